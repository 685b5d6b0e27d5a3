// `golden inspect` reads the manifest, config and SBOM back from each kind of output, without mounting.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { goldenConfigSchema } from '../../src/config/schema.js';
import { run } from '../../src/exec/run.js';
import { buildManifest, manifestFiles, type Manifest } from '../../src/manifest/manifest.js';
import { layeredLiveIso } from '../customize/trees.js';
import { runGolden, tempDir } from '../helpers.js';

const STATUS = 'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b7\n\nPackage: coreutils\nStatus: install ok installed\nArchitecture: amd64\nVersion: 9.1-1\n';

async function goldenTree(dir: string, name: string): Promise<{ root: string; manifest: Manifest; yaml: string }> {
  const root = join(dir, 'rootfs');
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), STATUS);
  writeFileSync(join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n');
  const config = goldenConfigSchema.parse({ name, version: '3.1', sourceDateEpoch: 1700000000 });
  const manifest = await buildManifest({ config, layers: [{ step: 'base', key: 'c'.repeat(64), dir: root }], rootDir: root, goldenVersion: '0.1.0' });
  const yaml = `name: ${name}\nversion: "3.1"\n`;
  writeFiles(root, manifestFiles(manifest, yaml));
  return { root, manifest, yaml };
}

function writeFiles(root: string, files: { path: string; content: string }[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content);
  }
}

interface InspectJson {
  kind: string;
  manifest?: Manifest;
  configYaml?: string;
  sbom?: { bomFormat: string; components: unknown[] };
  packages: { name: string; version: string }[];
}

async function inspectJson(path: string): Promise<InspectJson> {
  const r = await runGolden(['--json', 'inspect', path], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as InspectJson;
}

test('inspect a rootfs directory and a tarball: manifest, config, SBOM, packages', async () => {
  const dir = tempDir();
  const { root, yaml } = await goldenTree(dir, 'office');
  const tarball = join(dir, 'office.tar.xz');
  await run('tar', ['-cJf', tarball, '-C', root, '.']);
  for (const [path, kind] of [[root, 'dir'], [tarball, 'tar']] as const) {
    const j = await inspectJson(path);
    assert.equal(j.kind, kind);
    assert.equal(j.manifest?.image.name, 'office');
    assert.equal(j.manifest?.golden.version, '0.1.0');
    assert.deepEqual(j.packages.map((p) => `${p.name}=${p.version}`), ['bash=5.2.15-2+b7', 'coreutils=9.1-1']);
    assert.equal(j.configYaml, yaml);
    assert.equal(j.sbom?.bomFormat, 'CycloneDX');
    assert.equal(j.sbom?.components.length, 2);
  }
  const text = await runGolden(['inspect', tarball, '--packages']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /name: +office 3\.1/);
  assert.match(text.stdout, /coreutils 9\.1-1 amd64/);
  const cfg = await runGolden(['inspect', root, '--config']);
  assert.equal(cfg.stdout, yaml);
});

test('inspect an ISO: from /.disk/golden on the medium, else from the squashfs layers (top first)', async () => {
  const dir = tempDir();
  const medium = await goldenTree(join(dir, 'a'), 'on-medium');
  const iso = await layeredLiveIso(join(dir, 'iso1'), { medium: (staging) => writeFiles(staging, manifestFiles(medium.manifest, medium.yaml, 'iso')) });
  const j = await inspectJson(iso);
  assert.equal(j.kind, 'iso');
  assert.equal(j.manifest?.image.name, 'on-medium');
  assert.equal(j.configYaml, medium.yaml);

  const inLayer = await goldenTree(join(dir, 'b'), 'in-layer');
  const iso2 = await layeredLiveIso(join(dir, 'iso2'), { upper: (upper) => writeFiles(upper, manifestFiles(inLayer.manifest, inLayer.yaml)) });
  const j2 = await inspectJson(iso2);
  assert.equal(j2.manifest?.image.name, 'in-layer');
  assert.equal(j2.sbom?.bomFormat, 'CycloneDX');
});

test('inspect an OCI layout', async () => {
  const dir = tempDir();
  const { root } = await goldenTree(dir, 'container');
  const layout = join(dir, 'layout');
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', `${layout}:1`]);
  await run('umoci', ['insert', '--image', `${layout}:1`, root, '/']);
  const j = await inspectJson(layout);
  assert.equal(j.kind, 'oci');
  assert.equal(j.manifest?.image.name, 'container');
  assert.equal(j.packages.length, 2);
});

test('inspect names what it cannot read', async () => {
  const dir = tempDir();
  const junk = join(dir, 'junk.bin');
  writeFileSync(junk, Buffer.alloc(100_000, 7));
  const r = await runGolden(['inspect', junk]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot tell what kind of image/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('inspect a disk image in every disk format Golden writes: raw, qcow2, vmdk, vhd, vhdx', async () => {
  const dir = tempDir();
  const { root } = await goldenTree(dir, 'vm');
  writeFileSync(join(root, 'etc/fstab'), 'LABEL=root / ext4 defaults 0 1\n');
  const raw = join(dir, 'vm.raw');
  // a GPT disk with one ext4 root partition at 1 MiB, made from the tree as the disk output does
  await run('truncate', ['-s', '64M', raw]);
  await run('sfdisk', ['--quiet', raw], { input: 'label: gpt\nstart=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n' });
  await run('mkfs.ext4', ['-q', '-L', 'root', '-d', root, '-E', `offset=${2048 * 512}`, raw, `${(64 - 2) * 1024}k`]);
  for (const [ext, fmt] of [['raw', ''], ['qcow2', 'qcow2'], ['vmdk', 'vmdk'], ['vhd', 'vpc'], ['vhdx', 'vhdx']] as const) {
    const image = ext === 'raw' ? raw : join(dir, `vm.${ext}`);
    if (fmt) await run('qemu-img', ['convert', '-O', fmt, raw, image]);
    const j = await inspectJson(image);
    assert.equal(j.manifest?.image.name, 'vm', `${ext}: the manifest is read`);
    assert.deepEqual(j.packages.map((p) => p.name), ['bash', 'coreutils'], `${ext}: the packages are read`);
    assert.equal(j.sbom?.bomFormat, 'CycloneDX', `${ext}: the SBOM is read`);
  }
});
