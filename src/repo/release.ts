// The Release file of a distribution (Debian repository format, "Release files"): the fields apt reads,
// then MD5Sum/SHA256/SHA512 lines for every index file, plain and compressed, as paths under dists/SUITE.
import { createHash } from 'node:crypto';

export interface ReleaseInfo {
  origin?: string | undefined;
  label?: string | undefined;
  suite: string;
  codename: string;
  description?: string | undefined;
  architectures: readonly string[];
  components: readonly string[];
  date: Date;
  byHash: boolean;
}

export interface IndexFile {
  /** Path relative to dists/SUITE/. */
  path: string;
  data: Buffer;
}

export interface IndexHashes {
  md5: string;
  sha256: string;
  sha512: string;
}

export function hashIndex(data: Buffer): IndexHashes {
  return {
    md5: createHash('md5').update(data).digest('hex'),
    sha256: createHash('sha256').update(data).digest('hex'),
    sha512: createHash('sha512').update(data).digest('hex'),
  };
}

/** RFC 2822 date in UTC, as apt expects in Release's Date field. */
export function releaseDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, 'UTC');
}

export function formatRelease(info: ReleaseInfo, files: readonly (IndexFile & { hashes: IndexHashes })[]): string {
  const lines: string[] = [];
  if (info.origin) lines.push(`Origin: ${info.origin}`);
  if (info.label) lines.push(`Label: ${info.label}`);
  lines.push(`Suite: ${info.suite}`, `Codename: ${info.codename}`, `Date: ${releaseDate(info.date)}`);
  lines.push(`Architectures: ${info.architectures.join(' ')}`, `Components: ${info.components.join(' ')}`);
  if (info.description) lines.push(`Description: ${info.description}`);
  if (info.byHash) lines.push('Acquire-By-Hash: yes');
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const [title, key] of [['MD5Sum', 'md5'], ['SHA256', 'sha256'], ['SHA512', 'sha512']] as const) {
    lines.push(`${title}:`);
    for (const f of sorted) lines.push(` ${f.hashes[key]} ${String(f.data.length).padStart(16)} ${f.path}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The small per-component Release file (binary-ARCH/Release, source/Release). */
export function componentRelease(info: ReleaseInfo, component: string, architecture: string): string {
  const lines = [`Archive: ${info.suite}`];
  if (info.origin) lines.push(`Origin: ${info.origin}`);
  if (info.label) lines.push(`Label: ${info.label}`);
  lines.push(`Component: ${component}`, `Architecture: ${architecture}`);
  return `${lines.join('\n')}\n`;
}
