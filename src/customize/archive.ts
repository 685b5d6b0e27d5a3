// Root trees that arrive as archives: a rootfs tarball (plain or gz/xz/zstd/bz2) and an OCI image (a
// layout directory or a tar of one). umoci applies the OCI layers and their .wh. whiteouts the way the
// image spec says, so Golden does not reimplement that.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { run } from '../exec/run.js';

export async function extractTarball(file: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  // GNU tar recognises the compression from the file itself; --numeric-owner because the image's
  // users are not the host's.
  await run('tar', ['-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls', '-f', file, '-C', dest], { purpose: 'unpack the rootfs tarball' });
}

interface OciIndex {
  manifests?: { digest: string; annotations?: Record<string, string> }[];
}

/** The reference name of the first image in an OCI layout (what umoci needs to pick it). */
export function ociRefName(layoutDir: string): string | undefined {
  const index = JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8')) as OciIndex;
  return index.manifests?.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).find((n): n is string => typeof n === 'string');
}

export interface OciExtractDetails {
  ref: string;
}

/** Unpack an OCI layout directory or OCI archive (tar of a layout) into dest. */
export async function extractOci(input: string, dest: string, scratch: string): Promise<OciExtractDetails> {
  let layout = input;
  if (!existsSync(join(input, 'oci-layout'))) {
    layout = join(scratch, 'oci-layout');
    mkdirSync(layout, { recursive: true });
    await run('tar', ['-x', '-f', input, '-C', layout], { purpose: 'unpack the OCI archive' });
  }
  const ref = ociRefName(layout);
  if (!ref) {
    throw new UserError(`the OCI image ${input} has no reference name in index.json`, {
      hint: 'tag it, e.g. with: skopeo copy oci:DIR oci:DIR:latest',
    });
  }
  const rootfs = join(scratch, 'oci-rootfs');
  rmSync(rootfs, { recursive: true, force: true });
  await run('umoci', ['raw', 'unpack', '--image', `${layout}:${ref}`, rootfs], { purpose: 'apply the OCI image layers' });
  mkdirSync(dest, { recursive: true });
  for (const name of readdirSync(rootfs)) renameSync(join(rootfs, name), join(dest, name));
  if (layout !== input) rmSync(layout, { recursive: true, force: true });
  return { ref };
}

/** A tar archive that holds an OCI layout (its top level has oci-layout and index.json). */
export async function isOciArchive(file: string): Promise<boolean> {
  const r = await run('tar', ['-t', '-f', file], { allowFailure: true, purpose: 'list the archive' });
  if (r.exitCode !== 0) return false;
  const names = new Set(r.stdout.split('\n').map((l) => l.replace(/^\.\//, '')));
  return names.has('oci-layout') && names.has('index.json');
}
