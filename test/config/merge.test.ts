// The one merge rule (lists append, maps merge, later scalars win), applied to includes and features,
// with paths resolved against the file that wrote them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { mergePlain } from '../../src/config/merge.js';
import { BUILTIN_FEATURES_DIR } from '../../src/config/features.js';
import { load, writeTree } from './helpers.js';

test('mergePlain: lists append, maps merge, later scalars win', () => {
  const a = { x: 1, list: [1, 2], map: { a: 1, b: { c: 1 } }, keep: 'a' };
  const b = { x: 2, list: [3], map: { b: { d: 2 }, e: 5 }, replaced: [1] };
  assert.deepEqual(mergePlain(a, b), { x: 2, list: [1, 2, 3], map: { a: 1, b: { c: 1, d: 2 }, e: 5 }, keep: 'a', replaced: [1] });
  assert.deepEqual(mergePlain({ v: [1] }, { v: 'scalar' }), { v: 'scalar' }, 'a different kind replaces');
});

test('includes merge before the including file; paths resolve against the file that names them', async () => {
  const dir = writeTree({
    'golden.yaml': 'name: demo\ninclude: [shared/base.yaml, shared/extra.yaml]\nhostname: main\npackages:\n  install: [main-pkg]\nfiles:\n  - source: local.txt\n    destination: /etc/local\n',
    'shared/base.yaml': 'include: [deeper/inner.yaml]\nhostname: base\ntimezone: Europe/Paris\npackages:\n  install: [base-pkg]\n  lists: [pkgs.txt]\nfiles:\n  - source: motd\n    destination: /etc/motd\n',
    'shared/deeper/inner.yaml': 'packages:\n  install: [inner-pkg]\nlocale: de_DE.UTF-8\n',
    'shared/extra.yaml': 'timezone: Europe/Berlin\nservices:\n  enable: [a.service]\n',
    'shared/pkgs.txt': 'vim\n',
    'shared/motd': 'hi\n',
    'local.txt': 'x\n',
  });
  const { config, referencedFiles } = await load(join(dir, 'golden.yaml'));
  assert.deepEqual(config.packages.install, ['inner-pkg', 'base-pkg', 'main-pkg'], 'lists append, includes first, depth first');
  assert.equal(config.hostname, 'main', 'the including file wins');
  assert.equal(config.timezone, 'Europe/Berlin', 'a later include wins over an earlier one');
  assert.equal(config.locale, 'de_DE.UTF-8', 'a nested include reaches the top');
  assert.deepEqual(config.packages.lists, [join(dir, 'shared/pkgs.txt')]);
  assert.deepEqual(config.files.map((f) => ('source' in f ? f.source : '')), [join(dir, 'shared/motd'), join(dir, 'local.txt')]);
  assert.deepEqual(referencedFiles, [join(dir, 'local.txt'), join(dir, 'shared/base.yaml'), join(dir, 'shared/deeper/inner.yaml'), join(dir, 'shared/extra.yaml'), join(dir, 'shared/motd'), join(dir, 'shared/pkgs.txt')]);
});

test('sources.locate points into the include that set a field', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\ninclude: [inc.yaml]\n', 'inc.yaml': '# comment\noutputs:\n  - type: tar\n' });
  const { sources } = await load(join(dir, 'golden.yaml'));
  assert.deepEqual(sources.locate('outputs[0].type'), { file: join(dir, 'inc.yaml'), line: 3, column: 11, field: 'outputs[0].type' });
});

test('feature.yaml: only description, parameters and config at the top, else an error at the key', async () => {
  const dir = writeTree({
    'golden.yaml': 'name: demo\nfeatures: [./my-feature]\n',
    'my-feature/feature.yaml': 'description: test\nfeatures: [growroot]\nconfig: {}\n',
  });
  const err = await load(join(dir, 'golden.yaml')).catch((e: Error) => e);
  assert.ok(err instanceof Error);
  assert.match(err.message, new RegExp(`${join(dir, 'my-feature/feature.yaml')}:2:1 \\(features\\): unknown key "features" in feature\\.yaml`));
});

test('features: dependencies first, each once; files resolve inside the feature directory', async () => {
  const dir = writeTree({
    'golden.yaml': 'name: demo\nfeatures:\n  - ssh-server\n  - {name: devuser, with: {name: carol}}\n  - ./my-feature\npackages:\n  install: [vim]\nhostname: mine\n',
    'my-feature/feature.yaml': [
      'description: test feature',
      'parameters:',
      '  greeting: {default: hello}',
      'config:',
      '  features: [growroot, ssh-server]',
      '  hostname: from-feature',
      '  packages: {install: [feature-pkg]}',
      '  files:',
      '    - source: files/greeting',
      '      destination: /etc/greeting',
      '    - content: "${greeting}, ${HOME}"',
      '      destination: /etc/inline',
      '',
    ].join('\n'),
    'my-feature/files/greeting': 'hello\n',
  });
  const { config, referencedFiles, features } = await load(join(dir, 'golden.yaml'));
  assert.deepEqual(features.map((f) => f.name), ['ssh-server', 'devuser', 'growroot', join(dir, 'my-feature')]);
  assert.equal(config.hostname, 'mine');
  assert.deepEqual(config.packages.install.slice(-2), ['feature-pkg', 'vim']);
  assert.equal(config.packages.install.filter((p) => p === 'openssh-server').length, 1, 'ssh-server applied once');
  assert.deepEqual(config.users.map((u) => [u.name, u.sudo]), [['carol', true]]);
  const greeting = config.files.find((f) => f.destination === '/etc/greeting');
  assert.ok(greeting && 'source' in greeting && greeting.source === join(dir, 'my-feature/files/greeting'));
  const inline = config.files.find((f) => f.destination === '/etc/inline');
  assert.ok(inline && 'content' in inline && inline.content === 'hello, ${HOME}', 'only declared parameters are replaced');
  assert.ok(referencedFiles.includes(join(dir, 'my-feature/feature.yaml')));
  assert.ok(referencedFiles.includes(join(BUILTIN_FEATURES_DIR, 'growroot/feature.yaml')));
});

test('overrides replace a field after includes and features', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\ndistribution: {suite: bookworm}\n' });
  const { config } = await load(join(dir, 'golden.yaml'), { 'distribution.suite': 'trixie', 'outputs': [{ type: 'rootfs' }] });
  assert.equal(config.distribution.suite, 'trixie');
  assert.deepEqual(config.outputs, [{ type: 'rootfs' }]);
});
