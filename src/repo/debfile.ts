// Reads .deb/.udeb files (deb(5)) natively: the ar container, then control.tar.{,gz,xz,zst}, then the
// control file. Also computes the file's checksums for the index. No dpkg-deb process per package.
import { hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { UserError } from '../errors.js';
import { readAr } from './ar.js';
import { type Compression, DecompressError, compressionOf, decompressMany } from './compress.js';
import { type Stanza, getField, parseDeb822, sortBinaryFields } from './deb822.js';
import { readTar } from './tar.js';
import { isValidVersion } from './version.js';

export interface FileHashes {
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
}

export function hashBuffer(data: Buffer): FileHashes {
  return {
    size: data.length,
    md5: hash('md5', data, 'hex'),
    sha1: hash('sha1', data, 'hex'),
    sha256: hash('sha256', data, 'hex'),
  };
}

export interface DebInfo extends FileHashes {
  path: string;
  kind: 'deb' | 'udeb';
  package: string;
  version: string;
  architecture: string;
  /** Source package name (for the pool directory). */
  source: string;
  /** The control paragraph in Debian field order, without index-only fields. */
  control: Stanza;
  data: Buffer;
}

export class BadPackageError extends UserError {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`, { hint: 'the file is not a valid Debian binary package; nothing was changed in the archive' });
    this.name = 'BadPackageError';
  }
}

interface Parsed {
  path: string;
  data: Buffer;
  control: { compression: Compression; data: Buffer };
}

function splitDeb(path: string, data: Buffer): Parsed {
  let members;
  try {
    members = readAr(data);
  } catch (err) {
    throw new BadPackageError(path, (err as Error).message);
  }
  if (members[0]?.name !== 'debian-binary' || !members[0].data.toString('latin1').startsWith('2.')) {
    throw new BadPackageError(path, 'the first ar member is not debian-binary with format 2.x');
  }
  const ctl = members.find((m) => m.name.startsWith('control.tar'));
  const dataTar = members.find((m) => m.name.startsWith('data.tar'));
  if (!ctl || !dataTar) throw new BadPackageError(path, 'control.tar or data.tar member missing');
  const compression = compressionOf(ctl.name);
  if (!compression) throw new BadPackageError(path, `unsupported control member "${ctl.name}"`);
  if (!compressionOf(dataTar.name)) throw new BadPackageError(path, `unsupported data member "${dataTar.name}"`);
  return { path, data, control: { compression, data: ctl.data } };
}

/** Read and validate many packages; throws BadPackageError naming the first bad file. */
export async function inspectDebs(paths: readonly string[]): Promise<DebInfo[]> {
  const files = await Promise.all(
    paths.map(async (path) => {
      try {
        return { path, data: await readFile(path) };
      } catch (err) {
        throw new UserError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }),
  );
  return inspectDebBuffers(files);
}

/** The same for packages already in memory (`path` is only used in messages and for the kind). */
export async function inspectDebBuffers(files: readonly { path: string; data: Buffer }[]): Promise<DebInfo[]> {
  const parsed = files.map((f) => splitDeb(f.path, f.data));
  let tars: Buffer[];
  try {
    tars = await decompressMany(parsed.map((p) => p.control));
  } catch (err) {
    if (err instanceof DecompressError) throw new BadPackageError(parsed[err.index]!.path, `control.tar: ${err.message}`);
    throw err;
  }
  return parsed.map((p, i) => describeDeb(p, tars[i]!));
}

function describeDeb(p: Parsed, controlTar: Buffer): DebInfo {
  let control: Stanza | undefined;
  try {
    const entry = readTar(controlTar).find((e) => e.name === 'control' && e.type === 'file');
    if (!entry) throw new Error('no ./control file in control.tar');
    control = parseDeb822(entry.data.toString('utf8'))[0];
  } catch (err) {
    throw new BadPackageError(p.path, `control.tar: ${(err as Error).message}`);
  }
  if (!control) throw new BadPackageError(p.path, 'empty control file');
  const pkg = getField(control, 'Package');
  const version = getField(control, 'Version');
  const arch = getField(control, 'Architecture');
  if (!pkg || !/^[a-z0-9][a-z0-9.+-]+$/.test(pkg)) throw new BadPackageError(p.path, `invalid or missing Package field (${pkg ?? 'none'})`);
  if (!version || !isValidVersion(version)) throw new BadPackageError(p.path, `invalid or missing Version field (${version ?? 'none'})`);
  if (!arch || !/^[a-z0-9-]+$/.test(arch)) throw new BadPackageError(p.path, `invalid or missing Architecture field (${arch ?? 'none'})`);
  const sourceField = getField(control, 'Source');
  const source = sourceField ? sourceField.split(/\s+/)[0]! : pkg;
  return {
    ...hashBuffer(p.data),
    path: p.path,
    kind: basename(p.path).endsWith('.udeb') || getField(control, 'Package-Type') === 'udeb' ? 'udeb' : 'deb',
    package: pkg,
    version,
    architecture: arch,
    source,
    control: sortBinaryFields(control),
    data: p.data,
  };
}
