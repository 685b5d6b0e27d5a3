// The manifest every Golden image carries: what it is made of (packages with versions from its dpkg
// database, each layer's cache key and content digest), which Golden made it, and the resolved config.
// It is written inside the image (and on the ISO medium) so the image can be audited and customised
// again; `golden inspect` reads it back from any output type.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GoldenConfig } from '../config/schema.js';
import { parseDpkgStatus, type InstalledPackage } from './dpkg-status.js';
import { buildSbom } from './sbom.js';
import { treeDigest } from './tree-digest.js';

export const MANIFEST_VERSION = 1;
/** Where the files go inside the image. */
export const IMAGE_MANIFEST_DIR = '/usr/share/golden';
/** Where the files go on the ISO medium itself (readable without unpacking a squashfs). */
export const ISO_MANIFEST_DIR = '/.disk/golden';
export const MANIFEST_FILE = 'manifest.json';
export const CONFIG_FILE = 'golden.yaml';
export const SBOM_FILE = 'sbom.cdx.json';

export interface ManifestLayer {
  step: string;
  /** The layer's cache key (sha256 of its inputs). */
  key: string;
  /** sha256 of the layer's content (tree digest: paths, types, modes, owners, bytes). */
  sha256: string;
}

export interface OsRelease {
  id?: string;
  versionId?: string;
  versionCodename?: string;
  prettyName?: string;
}

export interface Manifest {
  manifestVersion: number;
  golden: { version: string };
  image: { name: string; version: string; description: string };
  /** Build time (SOURCE_DATE_EPOCH), ISO 8601. */
  created: string;
  distribution: { vendor: string; suite: string; architecture: string };
  os: OsRelease;
  layers: ManifestLayer[];
  packages: InstalledPackage[];
  config: unknown;
}

export interface BuildManifestInput {
  config: GoldenConfig;
  /** `sha256` may be given when already known (the tree digest of a cached layer never changes). */
  layers: { step: string; key: string; dir: string; sha256?: string }[];
  /** The merged image tree (read for the dpkg database and os-release). */
  rootDir: string;
  goldenVersion: string;
  /** Default: config.sourceDateEpoch, else SOURCE_DATE_EPOCH, else now. */
  sourceDateEpoch?: number;
}

export function parseOsRelease(text: string): OsRelease {
  const v = (k: string) => {
    const m = new RegExp(`^${k}=(.*)$`, 'm').exec(text);
    return m ? m[1]!.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1') : undefined;
  };
  const out: OsRelease = {};
  const id = v('ID');
  if (id) out.id = id;
  const versionId = v('VERSION_ID');
  if (versionId) out.versionId = versionId;
  const codename = v('VERSION_CODENAME');
  if (codename) out.versionCodename = codename;
  const pretty = v('PRETTY_NAME');
  if (pretty) out.prettyName = pretty;
  return out;
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export function readOsRelease(rootDir: string): OsRelease {
  const text = readIfExists(join(rootDir, 'etc/os-release')) ?? readIfExists(join(rootDir, 'usr/lib/os-release'));
  return text ? parseOsRelease(text) : {};
}

export function readInstalledPackages(rootDir: string): InstalledPackage[] {
  const status = readIfExists(join(rootDir, 'var/lib/dpkg/status'));
  return status ? parseDpkgStatus(status) : [];
}

export function epochFor(config: Pick<GoldenConfig, 'sourceDateEpoch'>, explicit?: number): number {
  if (explicit !== undefined) return explicit;
  if (config.sourceDateEpoch !== undefined) return config.sourceDateEpoch;
  const env = Number(process.env['SOURCE_DATE_EPOCH']);
  return Number.isInteger(env) && env >= 0 ? env : Math.floor(Date.now() / 1000);
}

/** Hashes every layer's content, so it takes a few seconds for a full base layer. */
export async function buildManifest(input: BuildManifestInput): Promise<Manifest> {
  const { config } = input;
  const layers = input.layers.map((l) => ({ step: l.step, key: l.key, sha256: l.sha256 ?? treeDigest(l.dir) }));
  return {
    manifestVersion: MANIFEST_VERSION,
    golden: { version: input.goldenVersion },
    image: { name: config.name, version: config.version, description: config.description },
    created: new Date(epochFor(config, input.sourceDateEpoch) * 1000).toISOString(),
    distribution: { vendor: config.distribution.vendor, suite: config.distribution.suite, architecture: config.distribution.architecture },
    os: readOsRelease(input.rootDir),
    layers,
    packages: readInstalledPackages(input.rootDir),
    config,
  };
}

/** The SBOM of a manifest's packages (CycloneDX 1.5 JSON). */
export function manifestSbom(manifest: Manifest): object {
  return buildSbom(manifest.packages, {
    name: manifest.image.name,
    version: manifest.image.version,
    goldenVersion: manifest.golden.version,
    vendor: manifest.os.id ?? manifest.distribution.vendor,
    distro: `${manifest.os.id ?? manifest.distribution.vendor}-${manifest.os.versionId ?? manifest.distribution.suite}`,
    timestamp: manifest.created,
  });
}

/**
 * The files that carry the manifest: inside the image (where = 'image', under /usr/share/golden) or on
 * the ISO medium (where = 'iso', under /.disk/golden). Paths are absolute within that tree.
 */
export function manifestFiles(manifest: Manifest, resolvedConfigYaml: string, where: 'image' | 'iso' = 'image'): { path: string; content: string }[] {
  const dir = where === 'iso' ? ISO_MANIFEST_DIR : IMAGE_MANIFEST_DIR;
  return [
    { path: `${dir}/${MANIFEST_FILE}`, content: `${JSON.stringify(manifest, null, 2)}\n` },
    { path: `${dir}/${CONFIG_FILE}`, content: resolvedConfigYaml.endsWith('\n') ? resolvedConfigYaml : `${resolvedConfigYaml}\n` },
    { path: `${dir}/${SBOM_FILE}`, content: `${JSON.stringify(manifestSbom(manifest), null, 2)}\n` },
  ];
}

/** The SBOM file written beside an output artefact, e.g. NAME.qcow2 → NAME.qcow2.cdx.json. */
export function sbomPathBeside(outputPath: string): string {
  return `${outputPath}.cdx.json`;
}
