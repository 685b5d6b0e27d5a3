// Helpers for the archive tests: real .debs made by dpkg-deb, a private apt configuration (no chroot,
// trusting only what the .sources file's Signed-By names), and a digest of a whole directory tree.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGolden, tempDir } from '../helpers.js';

export interface DebSpec {
  name: string;
  version: string;
  arch?: string;
  depends?: string;
  /** dpkg-deb -Z: applies to control.tar and data.tar */
  compression?: 'xz' | 'gzip' | 'none' | 'zstd';
  description?: string;
  /** extra file content, to make two builds of the same name/version differ */
  payload?: string;
}

export function buildDeb(outDir: string, spec: DebSpec): string {
  const arch = spec.arch ?? 'amd64';
  const root = join(outDir, `.build-${spec.name}-${spec.version}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr', 'share', 'doc', spec.name), { recursive: true });
  writeFileSync(join(root, 'usr', 'share', 'doc', spec.name, 'README'), spec.payload ?? `${spec.name} ${spec.version}\n`);
  writeFileSync(
    join(root, 'DEBIAN', 'control'),
    `Package: ${spec.name}\nVersion: ${spec.version}\nArchitecture: ${arch}\nMaintainer: Test <test@example.org>\n` +
      (spec.depends ? `Depends: ${spec.depends}\n` : '') +
      `Section: misc\nPriority: optional\nDescription: ${spec.description ?? `test package ${spec.name}`}\n a package made by the Golden tests\n`,
  );
  const out = join(outDir, `${spec.name}_${spec.version}_${arch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${spec.compression ?? 'xz'}`, '--build', root, out], { stdio: 'pipe' });
  execFileSync('rm', ['-rf', root]);
  return out;
}

/** A fresh configuration directory made by `golden init`; returns it and its archive. */
export async function initArchive(): Promise<{ dir: string; archive: string }> {
  const dir = join(tempDir('golden-repo-'), 'cfg');
  const r = await runGolden(['init', dir, '--key-name', 'Golden test archive']);
  if (r.code !== 0) throw new Error(`golden init failed: ${r.stderr}`);
  return { dir, archive: join(dir, 'archive') };
}

/** `golden repo --archive A ...`, throwing with stderr when it fails unless allowFailure. */
export async function repo(archive: string, args: string[], allowFailure = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runGolden(['repo', '--archive', archive, ...args], { timeoutMs: 120_000 });
  if (r.code !== 0 && !allowFailure) throw new Error(`golden repo ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r;
}

export class PrivateApt {
  readonly root: string;
  readonly conf: string;
  constructor(sources: string) {
    this.root = tempDir('golden-apt-');
    const r = this.root;
    for (const d of ['state/lists/partial', 'cache/archives/partial', 'etc/sources.list.d', 'etc/trusted.gpg.d', 'etc/preferences.d', 'etc/apt.conf.d', 'log']) mkdirSync(join(r, d), { recursive: true });
    writeFileSync(join(r, 'status'), '');
    writeFileSync(join(r, 'etc', 'sources.list'), '');
    this.conf = join(r, 'apt.conf');
    // Nothing of the host's apt configuration is used: no host sources, no host trusted keys.
    writeFileSync(
      this.conf,
      [
        `Dir::State "${r}/state";`,
        `Dir::State::status "${r}/status";`,
        `Dir::Cache "${r}/cache";`,
        `Dir::Log "${r}/log";`,
        `Dir::Etc "${r}/etc";`,
        `Dir::Etc::sourcelist "${r}/etc/sources.list";`,
        `Dir::Etc::sourceparts "${r}/etc/sources.list.d";`,
        `Dir::Etc::trusted "${r}/etc/trusted.gpg";`,
        `Dir::Etc::trustedparts "${r}/etc/trusted.gpg.d";`,
        `Dir::Etc::main "${r}/etc/apt.conf";`,
        `Dir::Etc::parts "${r}/etc/apt.conf.d";`,
        `Dir::Etc::preferences "${r}/etc/preferences";`,
        `Dir::Etc::preferencesparts "${r}/etc/preferences.d";`,
        'APT::Architecture "amd64";',
        'APT::Architectures { "amd64"; };',
        'APT::Sandbox::User "root";',
        'Acquire::Languages "none";',
        'Acquire::Retries "0";',
        '',
      ].join('\n'),
    );
    this.setSources(sources);
  }

  setSources(text: string): void {
    writeFileSync(join(this.root, 'etc', 'sources.list.d', 'golden.sources'), text);
  }

  run(cmd: 'apt-get' | 'apt-cache', args: string[], cwd?: string): { code: number; out: string } {
    const r = spawnSync(cmd, args, { env: { ...process.env, APT_CONFIG: this.conf, LC_ALL: 'C.UTF-8' }, cwd, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  }
}

/** sha256 over every path, type, mode, symlink target and file content under dir. */
export function treeDigest(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const abs = join(dir, rel);
    const entries = readdirSync(abs).sort();
    for (const e of entries) {
      const r = rel ? `${rel}/${e}` : e;
      const st = lstatSync(join(dir, r));
      h.update(`${r}\0${st.mode}\0`);
      if (st.isSymbolicLink()) h.update(`-> ${readlinkSync(join(dir, r))}\0`);
      else if (st.isDirectory()) walk(r);
      else h.update(readFileSync(join(dir, r)));
    }
  };
  walk('');
  return h.digest('hex');
}

export function gpgv(keyring: string, ...files: string[]): { code: number; out: string } {
  const r = spawnSync('gpgv', ['--keyring', keyring, ...files], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
