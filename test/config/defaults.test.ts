// After loading, consumers see concrete values: defaults filled in, mirror taken from the host's apt.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AUTO_UPGRADES_FILE, distributionSuites, UNATTENDED_FILE } from '../../src/config/derive.js';
import { goldenConfigSchema } from '../../src/config/schema.js';
import { load, writeTree } from './helpers.js';

test('a config with only a name gets every default', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: tiny\n' });
  const { config, baseDir, configPath, referencedFiles } = await load(join(dir, 'golden.yaml'));
  assert.equal(configPath, join(dir, 'golden.yaml'));
  assert.equal(baseDir, dir);
  assert.deepEqual(referencedFiles, []);
  assert.deepEqual(config.distribution, {
    vendor: 'debian',
    suite: 'bookworm',
    architecture: 'amd64',
    components: ['main'],
    securitySuite: true,
    updatesSuite: true,
    variant: 'minbase',
    mirror: 'http://mirror.example.test/debian',
    securityMirror: 'http://security.example.test/debian-security',
  });
  assert.deepEqual(config.base, { mmdebstrap: { packages: [], options: [] } });
  assert.equal(config.hostname, 'localhost');
  assert.equal(config.locale, 'C.UTF-8');
  assert.deepEqual(config.storage.partitions.map((p) => p.type), ['bios-boot', 'esp', 'root']);
  assert.equal(config.storage.bootType, 'both');
  assert.equal(config.iso.compression, 'fast');
  assert.equal(config.iso.cdromMountpoint, '/run/live/medium');
  assert.deepEqual(config.updates.unattended, { enabled: false, origins: [], reboot: { enabled: false, time: '02:00' } });
  assert.deepEqual(config.outputs, []);
  assert.deepEqual(distributionSuites(config), { suite: 'bookworm', updates: 'bookworm-updates', security: 'bookworm-security' });
});

test('entry defaults: file mode and owner, tar compression, script interpreter', () => {
  const c = goldenConfigSchema.parse({
    name: 'x',
    files: [{ content: 'a', destination: '/a' }],
    directories: [{ path: '/d' }],
    scripts: { finalize: [{ content: 'true' }] },
    outputs: [{ type: 'tar' }, { type: 'vhd' }, { type: 'oci' }],
  });
  assert.deepEqual(c.files[0], { content: 'a', destination: '/a', mode: '0644', owner: 'root:root' });
  assert.deepEqual(c.directories[0], { path: '/d', mode: '0755', owner: 'root:root' });
  assert.deepEqual(c.scripts.finalize[0], { content: 'true', interpreter: '/bin/sh', environment: {} });
  assert.deepEqual(c.outputs, [{ type: 'tar', compression: 'zstd' }, { type: 'vhd', subformat: 'fixed' }, { type: 'oci', archive: false, env: {}, labels: {} }]);
});

test('defaults are fresh objects: changing one parsed config does not change the next', () => {
  const a = goldenConfigSchema.parse({ name: 'a' });
  a.storage.partitions.pop();
  const b = goldenConfigSchema.parse({ name: 'b' });
  assert.equal(b.storage.partitions.length, 3);
});

test('updates.unattended becomes the package and its apt configuration files', async () => {
  const dir = writeTree({
    'golden.yaml': 'name: demo\nrepositories:\n  - {name: acme, url: "http://build.example.test/acme", deployedUrl: "https://apt.example.test/acme", suites: [stable], key: acme.asc}\nupdates:\n  unattended:\n    enabled: true\n    reboot: {enabled: true, time: "03:30"}\n',
    'acme.asc': 'not really a key\n',
  });
  const { config } = await load(join(dir, 'golden.yaml'));
  assert.ok(config.packages.install.includes('unattended-upgrades'));
  const file = (dest: string) => {
    const f = config.files.find((x) => x.destination === dest);
    assert.ok(f && 'content' in f, dest);
    return f.content;
  };
  assert.match(file(AUTO_UPGRADES_FILE), /APT::Periodic::Unattended-Upgrade "1";/);
  const conf = file(UNATTENDED_FILE);
  assert.match(conf, /"origin=Debian,codename=bookworm-security,label=Debian-Security";/);
  assert.match(conf, /"site=apt\.example\.test";/);
  assert.match(conf, /Automatic-Reboot "true";/);
  assert.match(conf, /Automatic-Reboot-Time "03:30";/);
});

test('the ubuntu vendor takes its mirror from the host configuration for ubuntu', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\ndistribution: {vendor: ubuntu, suite: noble}\n' });
  const { loadConfig } = await import('../../src/config/load.js');
  const { FIXTURES } = await import('./helpers.js');
  const { config } = await loadConfig(join(dir, 'golden.yaml'), { etcApt: join(FIXTURES, 'apt-ubuntu') });
  assert.equal(config.distribution.mirror, 'http://archive.example.test/ubuntu');
  assert.equal(config.distribution.securityMirror, 'http://security.example.test/ubuntu');
});
