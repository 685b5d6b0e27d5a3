import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { goldenConfigSchema } from '../../src/config/schema.js';
import { parseDpkgStatus } from '../../src/manifest/dpkg-status.js';
import { buildManifest, manifestFiles, manifestSbom } from '../../src/manifest/manifest.js';
import { buildSbom, debPurl } from '../../src/manifest/sbom.js';
import { repoRoot, tempDir } from '../helpers.js';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The published CycloneDX 1.5 schema (with the schemas it references), shipped in test/manifest/fixtures. */
function cyclonedxValidator() {
  const dir = join(repoRoot, 'test/manifest/fixtures/cyclonedx');
  const load = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Formats ajv-formats lacks: RFC 3987 IRI references (no spaces or controls) and internationalised e-mail.
  ajv.addFormat('iri-reference', /^[^\s\u0000-\u001f"<>\\^`{|}]*$/u);
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
  // The bom schema refers to its siblings by their file names, relative to its own $id.
  ajv.addSchema({ ...load('spdx.SNAPSHOT.schema.json'), $id: 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json' });
  ajv.addSchema({ ...load('jsf-0.82.SNAPSHOT.schema.json'), $id: 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json' });
  return ajv.compile(load('bom-1.5.SNAPSHOT.schema.json'));
}

const STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u10
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
Homepage: https://www.gnu.org/software/libc/libc.html

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: systemd
Status: install ok installed
Architecture: amd64
Source: systemd (252.38-1~deb12u1)
Version: 1:252.38-1~deb12u1
Description: system and service manager
`;

test('dpkg status: installed packages only, with source and epoch versions', () => {
  const pkgs = parseDpkgStatus(STATUS);
  assert.deepEqual(pkgs.map((p) => `${p.name}=${p.version}`), ['libc6=2.36-9+deb12u10', 'systemd=1:252.38-1~deb12u1']);
  assert.equal(pkgs[0]!.source, 'glibc');
  assert.equal(pkgs[0]!.sourceVersion, '2.36-9+deb12u10');
  assert.equal(pkgs[1]!.sourceVersion, '252.38-1~deb12u1');
  assert.equal(pkgs[0]!.summary, 'GNU C Library: Shared libraries');
});

test('purl: the version is percent-encoded (epoch colon, plus)', () => {
  assert.equal(debPurl({ name: 'systemd', version: '1:252.38+x', architecture: 'amd64' }, 'debian', 'debian-12'), 'pkg:deb/debian/systemd@1%3A252.38%2Bx?arch=amd64&distro=debian-12');
});

test('the SBOM of a real dpkg database validates against the published CycloneDX 1.5 schema', () => {
  const validate = cyclonedxValidator();
  const pkgs = parseDpkgStatus(readFileSync('/var/lib/dpkg/status', 'utf8'));
  assert.ok(pkgs.length > 50, 'the host has a real package database');
  const meta = { name: 'office', version: '1.2', goldenVersion: '0.1.0', vendor: 'debian', distro: 'debian-12', timestamp: '2026-01-01T00:00:00.000Z' };
  const sbom = buildSbom(pkgs, meta) as { components: { name: string }[] };
  const ok = validate(sbom);
  assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  assert.equal(sbom.components.length, pkgs.length);
  assert.deepEqual(buildSbom(pkgs, meta), sbom, 'the same input gives the same SBOM');

  // the validator really checks: a component without a name is rejected
  const broken = structuredClone(sbom) as { components: Record<string, unknown>[] };
  delete broken.components[0]!['name'];
  assert.equal(validate(broken), false);
  assert.ok(validate.errors?.some((e) => /name/.test(e.message ?? '') || /name/.test(JSON.stringify(e.params))));
});

test('the manifest lists packages, layer keys and content digests, the config; its files land where documented', async () => {
  const dir = tempDir();
  const root = join(dir, 'root');
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), STATUS);
  writeFileSync(join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  const layer2 = join(dir, 'layer2');
  mkdirSync(layer2);
  writeFileSync(join(layer2, 'a'), 'one');
  const config = goldenConfigSchema.parse({ name: 'office', version: '2.0', sourceDateEpoch: 1700000000 });
  const layers = [
    { step: 'base', key: 'a'.repeat(64), dir: root },
    { step: 'config', key: 'b'.repeat(64), dir: layer2 },
  ];
  const m = await buildManifest({ config, layers, rootDir: root, goldenVersion: '0.1.0' });
  assert.equal(m.golden.version, '0.1.0');
  assert.equal(m.created, '2023-11-14T22:13:20.000Z');
  assert.deepEqual(m.os, { id: 'debian', versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  assert.deepEqual(m.packages.map((p) => p.name), ['libc6', 'systemd']);
  assert.deepEqual(m.layers.map((l) => l.key), ['a'.repeat(64), 'b'.repeat(64)]);
  assert.match(m.layers[1]!.sha256, /^[0-9a-f]{64}$/);
  const again = await buildManifest({ config, layers, rootDir: root, goldenVersion: '0.1.0' });
  assert.deepEqual(again, m, 'the manifest is reproducible');
  writeFileSync(join(layer2, 'a'), 'two');
  const changed = await buildManifest({ config, layers, rootDir: root, goldenVersion: '0.1.0' });
  assert.notEqual(changed.layers[1]!.sha256, m.layers[1]!.sha256, 'the digest follows the content');
  assert.equal(changed.layers[0]!.sha256, m.layers[0]!.sha256);

  const files = manifestFiles(m, 'name: office\n');
  assert.deepEqual(files.map((f) => f.path), ['/usr/share/golden/manifest.json', '/usr/share/golden/golden.yaml', '/usr/share/golden/sbom.cdx.json']);
  assert.deepEqual(manifestFiles(m, 'name: office\n', 'iso').map((f) => f.path), ['/.disk/golden/manifest.json', '/.disk/golden/golden.yaml', '/.disk/golden/sbom.cdx.json']);
  assert.deepEqual(JSON.parse(files[0]!.content), JSON.parse(JSON.stringify(m)));
  assert.ok(cyclonedxValidator()(manifestSbom(m)));
});
