// Reading the manifest, config and SBOM back out of any image Golden can read, without mounting and
// without unpacking more than needed: debugfs/mtools at the root partition's offset for disks, the
// ISO 9660 tree (or the squashfs layers, top first) for ISOs, a wildcard extraction for tarballs.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractOci } from '../customize/archive.js';
import { detectImageKind, type ImageKind } from '../customize/detect.js';
import { findRoot, location, openDisk } from '../customize/disk.js';
import { readFilesystemFile } from '../customize/filesystems.js';
import { isoExtract, layerOrder } from '../customize/iso.js';
import { run } from '../exec/run.js';
import type { InstalledPackage } from './dpkg-status.js';
import { parseDpkgStatus } from './dpkg-status.js';
import { CONFIG_FILE, IMAGE_MANIFEST_DIR, ISO_MANIFEST_DIR, MANIFEST_FILE, parseOsRelease, SBOM_FILE, type Manifest, type OsRelease } from './manifest.js';

/** Reads files of the image's root tree by absolute path; undefined when absent. */
type ImageFileReader = (path: string) => Promise<Buffer | undefined>;

const WANTED = [`${IMAGE_MANIFEST_DIR}/${MANIFEST_FILE}`, `${IMAGE_MANIFEST_DIR}/${CONFIG_FILE}`, `${IMAGE_MANIFEST_DIR}/${SBOM_FILE}`, '/etc/os-release', '/usr/lib/os-release', '/var/lib/dpkg/status'];

function dirReader(root: string): ImageFileReader {
  return async (p) => {
    const f = join(root, p);
    return existsSync(f) ? readFileSync(f) : undefined;
  };
}

async function tarReader(file: string, scratch: string): Promise<ImageFileReader> {
  const out = join(scratch, 'tar');
  mkdirSync(out, { recursive: true });
  // one pass over the archive for every file inspect may want; absent ones make tar exit 2
  await run('tar', ['-x', '-f', file, '-C', out, '--wildcards', '--no-anchored', ...WANTED.map((p) => p.slice(1))], { allowFailure: true, purpose: 'read files from the tarball' });
  return dirReader(out);
}

async function isoReader(iso: string, scratch: string): Promise<ImageFileReader> {
  const medium = join(scratch, 'medium');
  await isoExtract(iso, ISO_MANIFEST_DIR, medium);
  let layers: { dir: string; files: string[] } | undefined;
  const squashfsLayers = async () => {
    if (layers) return layers;
    for (const liveDir of ['live', 'casper']) {
      const dir = join(scratch, liveDir);
      if (!(await isoExtract(iso, `/${liveDir}`, dir))) continue;
      const files = readdirSync(dir);
      const read = (n: string) => (files.includes(n) ? readFileSync(join(dir, n), 'utf8') : undefined);
      layers = { dir, files: layerOrder(files, read('filesystem.module'), read('layerfs-path')).reverse() };
      return layers;
    }
    layers = { dir: scratch, files: [] };
    return layers;
  };
  return async (p) => {
    if (p.startsWith(`${IMAGE_MANIFEST_DIR}/`)) {
      const onMedium = join(medium, p.slice(IMAGE_MANIFEST_DIR.length + 1));
      if (existsSync(onMedium)) return readFileSync(onMedium);
    }
    const { dir, files } = await squashfsLayers();
    for (const layer of files) {
      const r = await run('unsquashfs', ['-cat', join(dir, layer), p], { binary: true, allowFailure: true });
      if (r.exitCode === 0) return r.stdoutBuffer;
    }
    return undefined;
  };
}

async function diskReader(image: string, scratch: string): Promise<ImageFileReader> {
  const disk = await openDisk(image, scratch);
  const { part } = await findRoot(disk, scratch);
  const loc = location(disk, part);
  return async (p) => {
    const data = await readFilesystemFile(loc, p, scratch);
    // os-release is usually a symlink, which debugfs cat does not follow
    if (data !== undefined && data.length < 256 && p === '/etc/os-release' && !data.includes('=')) return undefined;
    return data;
  };
}

export interface ImageMetadata {
  kind: ImageKind;
  /** Present when the image was made by Golden. */
  manifest?: Manifest;
  configYaml?: string;
  sbom?: unknown;
  os: OsRelease;
  /** From the manifest, else from the image's dpkg database. */
  packages: InstalledPackage[];
}

export async function readImageMetadata(imagePath: string): Promise<ImageMetadata> {
  const kind = await detectImageKind(imagePath);
  const scratch = mkdtempSync(join(process.env['GOLDEN_TMPDIR'] ?? tmpdir(), 'golden-inspect-'));
  try {
    let read: ImageFileReader;
    switch (kind) {
      case 'dir':
        read = dirReader(imagePath);
        break;
      case 'tar':
        read = await tarReader(imagePath, scratch);
        break;
      case 'iso':
        read = await isoReader(imagePath, scratch);
        break;
      case 'disk':
        read = await diskReader(imagePath, scratch);
        break;
      case 'oci': {
        const root = join(scratch, 'oci-root');
        await extractOci(imagePath, root, scratch);
        read = dirReader(root);
        break;
      }
    }
    const text = async (p: string) => (await read(p))?.toString('utf8');
    const manifestText = await text(`${IMAGE_MANIFEST_DIR}/${MANIFEST_FILE}`);
    const manifest = manifestText ? (JSON.parse(manifestText) as Manifest) : undefined;
    const configYaml = await text(`${IMAGE_MANIFEST_DIR}/${CONFIG_FILE}`);
    const sbomText = await text(`${IMAGE_MANIFEST_DIR}/${SBOM_FILE}`);
    const osText = manifest ? undefined : ((await text('/etc/os-release')) ?? (await text('/usr/lib/os-release')));
    const status = manifest ? undefined : await text('/var/lib/dpkg/status');
    const result: ImageMetadata = {
      kind,
      os: manifest?.os ?? (osText ? parseOsRelease(osText) : {}),
      packages: manifest?.packages ?? (status ? parseDpkgStatus(status) : []),
    };
    if (manifest) result.manifest = manifest;
    if (configYaml !== undefined) result.configYaml = configYaml;
    if (sbomText) result.sbom = JSON.parse(sbomText);
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
