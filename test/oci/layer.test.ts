// An overlayfs upper directory as an OCI layer: whiteouts and opaque directories converted, digests
// of the tar (diff_id) and of the gzip blob, reproducible output.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { goldenConfigSchema } from '../../src/config/schema.js';
import { overlayMarks, writeLayer } from '../../src/outputs/oci/layer-tar.js';
import { imageConfig } from '../../src/outputs/oci/output.js';
import { tempDir } from '../helpers.js';

function upperDir(): string {
  const dir = tempDir('golden-upper-');
  mkdirSync(join(dir, 'etc/skel'), { recursive: true });
  writeFileSync(join(dir, 'etc/new'), 'new\n');
  execFileSync('mknod', [join(dir, 'etc/gone'), 'c', '0', '0']);
  writeFileSync(join(dir, 'etc/skel/.only'), 'x\n');
  execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(dir, 'etc/skel')]);
  return dir;
}

describe('OCI layer from an overlay upper directory', () => {
  it('finds whiteouts and opaque directories', async () => {
    const marks = await overlayMarks(upperDir());
    assert.deepEqual(marks.whiteouts, ['./etc/gone']);
    assert.deepEqual(marks.opaque, ['./etc/skel']);
    assert.equal(marks.unsound, undefined);
  });

  it('writes .wh. files instead of character devices, and the same bytes twice', async () => {
    const dir = upperDir();
    const work = tempDir('golden-layer-');
    const a = await writeLayer(dir, work, 'a', 1700000000, await overlayMarks(dir));
    const b = await writeLayer(dir, work, 'b', 1700000000, await overlayMarks(dir));
    assert.equal(a.digest, b.digest);
    assert.equal(a.diffId, b.diffId);
    assert.notEqual(a.diffId, a.digest);
    const listing = execFileSync('tar', ['-tvzf', a.file], { encoding: 'utf8' });
    assert.match(listing, /^-\S+ 0\/0 +0 \S+ \S+ etc\/\.wh\.gone$/m);
    assert.match(listing, /etc\/skel\/\.wh\.\.wh\.\.opq$/m);
    assert.match(listing, /\.\/etc\/skel\/\.only$/m);
    assert.doesNotMatch(listing, /^c.*gone$/m);
  });

  it('image config: architecture, env with PATH, entrypoint/cmd, labels, one diff_id per layer', () => {
    const config = goldenConfigSchema.parse({ name: 'app', version: '2.0', distribution: { architecture: 'arm64' }, outputs: [{ type: 'oci', entrypoint: ['/app'], env: { A: 'b' }, labels: { x: 'y' } }] });
    const c = imageConfig(config, config.outputs[0] as never, [{ diffId: 'aa', step: 'base' }, { diffId: 'bb', step: 'config' }], '2023-11-14T22:13:20.000Z') as Record<string, any>;
    assert.equal(c['architecture'], 'arm64');
    assert.equal(c['variant'], 'v8');
    assert.deepEqual(c['config'].Entrypoint, ['/app']);
    assert.deepEqual(c['config'].Cmd, []);
    assert.ok(c['config'].Env.includes('A=b'));
    assert.ok(c['config'].Env.some((e: string) => e.startsWith('PATH=')));
    assert.equal(c['config'].Labels['org.opencontainers.image.version'], '2.0');
    assert.deepEqual(c['rootfs'].diff_ids, ['sha256:aa', 'sha256:bb']);
  });
});
