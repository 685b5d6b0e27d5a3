// One test per class of config mistake: each error names the file, line, column and field, and says how
// to fix it. Every error of a file is reported at once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runGolden } from '../helpers.js';
import { errorAt, loadErrors, writeTree } from './helpers.js';

test('YAML syntax error names file, line and column', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\npackages:\n  install: [vim, less\nhostname: x\n' });
  const errs = await loadErrors(join(dir, 'golden.yaml'));
  const e = errs.errors[0]!;
  assert.equal(e.location.file, join(dir, 'golden.yaml'));
  assert.ok(e.location.line !== undefined && e.location.line >= 3, e.message);
  assert.match(e.message, /YAML syntax error/);
  assert.ok(e.hint);
});

test('duplicate key is a YAML error at the second key', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\nhostname: a\nhostname: b\n' });
  const errs = await loadErrors(join(dir, 'golden.yaml'));
  assert.equal(errs.errors[0]!.location.line, 3);
  assert.match(errs.errors[0]!.hint ?? '', /once/);
});

test('unknown key: error at the key, with a "did you mean" and the allowed keys', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\npackages:\n  instal: [vim]\ndistributon: {}\n' });
  const file = join(dir, 'golden.yaml');
  const errs = await loadErrors(file);
  const e = errorAt(errs, 'packages.instal', file, 3);
  assert.equal(e.location.column, 3);
  assert.match(e.message, /unknown key "instal"; did you mean "install"\?/);
  assert.match(e.hint ?? '', /install, remove, lists, metapackage/);
  assert.match(errorAt(errs, 'distributon', file, 4).message, /did you mean "distribution"/);
});

test('unknown key far from any allowed key: no suggestion, but the allowed keys', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\nkernel:\n  zzzzzz: 1\n' });
  const file = join(dir, 'golden.yaml');
  const e = errorAt(await loadErrors(file), 'kernel.zzzzzz', file, 3);
  assert.doesNotMatch(e.message, /did you mean/);
  assert.match(e.hint ?? '', /commandLine/);
});

test('wrong type: names what was expected and what was found', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\ndistribution:\n  components: main\nusers:\n  - name: bob\n    sudo: "yes"\n' });
  const file = join(dir, 'golden.yaml');
  const errs = await loadErrors(file);
  assert.match(errorAt(errs, 'distribution.components', file, 3).message, /expected a list, found the string "main"/);
  assert.match(errorAt(errs, 'users[0].sudo', file, 6).message, /expected a boolean/);
});

test('a key left empty: says to give a value or remove the key', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\npackages:\n#  install: [vim]\nhostname: x\n' });
  const file = join(dir, 'golden.yaml');
  const e = errorAt(await loadErrors(file), 'packages', file, 2);
  assert.match(e.message, /expected a mapping .*found null/);
  assert.match(e.hint ?? '', /remove the key/);
});

test('unquoted file mode: tells to quote it', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\nfiles:\n  - content: hi\n    destination: /etc/hi\n    mode: 0644\n' });
  const file = join(dir, 'golden.yaml');
  const e = errorAt(await loadErrors(file), 'files[0].mode', file, 5);
  assert.match(e.hint ?? '', /quote/);
});

test('wrong enum value: lists the allowed values and suggests the closest', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\ndistribution:\n  vendor: debain\noutputs:\n  - type: qcow\n  - type: tar\n    compression: bz2\n' });
  const file = join(dir, 'golden.yaml');
  const errs = await loadErrors(file);
  const vendor = errorAt(errs, 'distribution.vendor', file, 3);
  assert.match(vendor.message, /"debain" is not allowed here; did you mean "debian"\?/);
  assert.match(vendor.hint ?? '', /debian, ubuntu/);
  const type = errorAt(errs, 'outputs[0].type', file, 5);
  assert.match(type.message, /unknown type "qcow"; did you mean "qcow2"\?/);
  assert.match(type.hint ?? '', /rootfs, tar, iso, raw, qcow2, vmdk, vhd, vhdx, oci/);
  assert.match(errorAt(errs, 'outputs[1].compression', file, 7).hint ?? '', /gz, xz, zstd, none/);
});

test('missing required key and an entry that fits none of its forms', async () => {
  const dir = writeTree({ 'golden.yaml': 'hostname: x\nfiles:\n  - destination: /etc/x\nrepositories:\n  - name: acme\n    url: http://apt.example.test/acme\n    suites: [stable]\n' });
  const file = join(dir, 'golden.yaml');
  const errs = await loadErrors(file);
  assert.match(errs.errors.find((e) => e.location.field === 'name')?.message ?? '', /"name" is required/);
  assert.match(errorAt(errs, 'files[0]', file, 3).message, /needs one of "source" or "content"/);
  assert.match(errorAt(errs, 'repositories[0].key', file, 5).message, /"key" is required/);
});

test('a value of the wrong form: the error is about the form it came closest to', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\niso:\n  compression: {algorithm: zst}\n' });
  const file = join(dir, 'golden.yaml');
  const e = errorAt(await loadErrors(file), 'iso.compression.algorithm', file, 3);
  assert.match(e.message, /"zst" is not allowed here; did you mean "zstd"\?/);
  assert.match(e.hint ?? '', /"fast" \(default\), "small", or \{algorithm, level\}/);
});

test('missing referenced file: error at the field that names it', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\npackages:\n  lists: [lists/missing.txt]\nfiles:\n  - source: files/nope\n    destination: /etc/nope\n' });
  const file = join(dir, 'golden.yaml');
  const errs = await loadErrors(file);
  assert.match(errorAt(errs, 'packages.lists[0]', file, 3).message, new RegExp(`${join(dir, 'lists/missing.txt')} does not exist`));
  assert.match(errorAt(errs, 'files[0].source', file, 5).message, /does not exist/);
});

test('bad include: missing file, cycle, and a mistake inside an include names the include', async () => {
  const dir = writeTree({
    'golden.yaml': 'name: demo\ninclude:\n  - common/a.yaml\n  - missing.yaml\n',
    'common/a.yaml': 'include: [b.yaml]\nhostname: a\n',
    'common/b.yaml': 'include: [a.yaml]\nhostnme: b\n',
  });
  const file = join(dir, 'golden.yaml');
  const errs = await loadErrors(file);
  assert.match(errorAt(errs, 'include[1]', file, 4).message, /missing\.yaml does not exist/);
  const cycle = errs.errors.find((e) => /include cycle/.test(e.message));
  assert.ok(cycle, errs.message);
  assert.equal(cycle.location.file, join(dir, 'common/b.yaml'));
  assert.equal(cycle.location.line, 1);
  assert.match(errorAt(errs, 'hostnme', join(dir, 'common/b.yaml'), 2).message, /did you mean "hostname"/);
});

test('bad feature: unknown name with a suggestion, unknown parameter, missing directory', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\nfeatures:\n  - sshserver\n  - {name: devuser, with: {nmae: bob}}\n  - ./features/none\n' });
  const file = join(dir, 'golden.yaml');
  const errs = await loadErrors(file);
  const unknown = errorAt(errs, 'features[0]', file, 3);
  assert.match(unknown.message, /unknown feature "sshserver"; did you mean "ssh-server"\?/);
  assert.match(unknown.hint ?? '', /growroot/);
  assert.match(errorAt(errs, 'features[1].with.nmae', file, 4).message, /no parameter "nmae"; did you mean "name"\?/);
  assert.match(errorAt(errs, 'features[2]', file, 5).message, /does not exist/);
});

test('cross-references: unknown repository names and impossible combinations', async () => {
  const dir = writeTree({
    'golden.yaml': [
      'name: demo',
      'updates:',
      '  sources: [distribution, company]',
      'packages:',
      '  metapackage: {name: acme-desktop}',
      'installer:',
      '  mode: unattended',
      '  encryption: {enabled: true}',
      '',
    ].join('\n'),
  });
  const file = join(dir, 'golden.yaml');
  const errs = await loadErrors(file);
  assert.match(errorAt(errs, 'updates.sources[1]', file, 3).message, /no repository is named "company"/);
  assert.match(errorAt(errs, 'packages.metapackage', file, 5).message, /needs a Golden archive/);
  assert.match(errorAt(errs, 'installer.encryption.passphrase', file, 8).message, /cannot ask for the passphrase/);
});

test('golden config check: exit code 2, every error on stderr, and --json lists them', async () => {
  const dir = writeTree({ 'golden.yaml': 'name: demo\nhostnme: x\ndistribution: {vendor: redhat}\n' });
  const r = await runGolden(['config', 'check'], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /2 problems/);
  assert.match(r.stderr, /golden\.yaml:2:1 \(hostnme\): unknown key "hostnme"; did you mean "hostname"\?/);
  assert.match(r.stderr, /golden\.yaml:3:24 \(distribution\.vendor\)/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  const j = await runGolden(['config', 'check', '--json'], { cwd: dir });
  assert.equal(j.code, 2);
  const out = JSON.parse(j.stdout) as { ok: boolean; errors: { field: string; line: number; message: string }[] };
  assert.equal(out.ok, false);
  assert.deepEqual(out.errors.map((e) => [e.field, e.line]), [['hostnme', 2], ['distribution.vendor', 3]]);
  assert.equal(out.errors[0]?.message, 'unknown key "hostnme"; did you mean "hostname"?');
});
