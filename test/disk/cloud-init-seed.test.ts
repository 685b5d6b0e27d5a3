// The NoCloud seed: documents from the config, in an image tree or on a CIDATA vfat disk made with
// mkfs.vfat + mcopy (real tools, no mount).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { goldenConfigSchema } from '../../src/config/schema.js';
import { makeSeedDisk, seedFiles, writeSeedIntoTree } from '../../src/outputs/cloud-init-seed.js';
import { tempDir } from '../helpers.js';

const config = goldenConfigSchema.parse({
  name: 'seeded',
  hostname: 'web1',
  cloudInit: { userData: { users: [{ name: 'ops' }] }, networkConfig: { version: 2 }, placement: 'seed-disk' },
});

describe('cloud-init NoCloud seed', () => {
  it('user-data is #cloud-config YAML; meta-data gets a content-derived instance-id and the hostname', () => {
    const files = seedFiles(config, config.cloudInit!);
    assert.match(files['user-data'], /^#cloud-config\nusers:\n {2}- name: ops\n/);
    assert.match(files['meta-data'], /^instance-id: seeded-[0-9a-f]{16}\nlocal-hostname: web1\n/);
    assert.equal(files['network-config'], 'version: 2\n');
    const other = seedFiles(config, { ...config.cloudInit!, userData: { users: [] } });
    assert.notEqual(other['meta-data'], files['meta-data'], 'new user-data, new instance: cloud-init runs again');
  });

  it('in the image: /var/lib/cloud/seed/nocloud, readable by root only', () => {
    const root = tempDir();
    writeSeedIntoTree(root, seedFiles(config, config.cloudInit!));
    const dir = join(root, 'var/lib/cloud/seed/nocloud');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.match(readFileSync(join(dir, 'user-data'), 'utf8'), /^#cloud-config/);
  });

  it('as a seed disk: vfat labelled CIDATA holding the three files', async () => {
    const dir = tempDir();
    const disk = join(dir, 'seeded-seed.img');
    await makeSeedDisk(disk, seedFiles(config, config.cloudInit!), dir);
    assert.match(execFileSync('blkid', ['-p', '-o', 'export', disk], { encoding: 'utf8' }), /^LABEL=CIDATA$/m);
    execFileSync('fsck.vfat', ['-n', disk]);
    const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
    const listing = execFileSync('mdir', ['-b', '-i', disk, '::/'], { encoding: 'utf8', env });
    for (const f of ['user-data', 'meta-data', 'network-config']) assert.ok(listing.includes(`::/${f}`), listing);
    assert.match(execFileSync('mtype', ['-i', disk, '::/user-data'], { encoding: 'utf8', env }), /name: ops/);
  });
});
