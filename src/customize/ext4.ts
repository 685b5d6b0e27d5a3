// Reading an ext2/3/4 filesystem inside an image file without mounting it, through debugfs (which opens
// `FILE?offset=N` itself, so no loop device and no partition copy is needed).
//
// `debugfs rdump` alone is not faithful (checked with e2fsprogs 1.47): it drops setuid/setgid bits (it
// chowns after chmod), device nodes, FIFOs, extended attributes (file capabilities such as ping's
// cap_net_raw) and hard links. So after rdump one batch `ls -p` of every directory gives the full
// inventory (inode, mode, owner) and the tree is corrected from it; xattrs are copied with ea_list/ea_get
// and restored in one `setfattr --restore`.
import { chmodSync, existsSync, lchownSync, linkSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import { log } from '../log/logger.js';

export function ext4Device(file: string, offset: number): string {
  return offset > 0 ? `${file}?offset=${offset}` : file;
}

const quoteForDebugfs = (p: string) => `"${p}"`;

interface Section {
  command: string;
  output: string;
}

/** Run debugfs commands in one process; returns each command's stdout (debugfs echoes "debugfs: CMD" before each). */
export async function debugfsBatch(device: string, commands: readonly string[], scratch: string): Promise<Section[]> {
  if (commands.length === 0) return [];
  const file = join(scratch, `debugfs-${Math.random().toString(36).slice(2)}.cmds`);
  writeFileSync(file, `${commands.join('\n')}\n`);
  const res = await run('debugfs', ['-f', file, device], { purpose: 'read the ext4 filesystem' });
  rmSync(file, { force: true });
  const sections: Section[] = [];
  for (const chunk of res.stdout.split(/^debugfs: /m).slice(1)) {
    const nl = chunk.indexOf('\n');
    sections.push({ command: nl < 0 ? chunk : chunk.slice(0, nl), output: nl < 0 ? '' : chunk.slice(nl + 1) });
  }
  return sections;
}

/** One file of the filesystem, or undefined when it does not exist. */
export async function ext4ReadFile(device: string, path: string): Promise<Buffer | undefined> {
  // `dump` to a file rather than `cat` to stdout: debugfs reports a missing file only on stderr with exit 0
  const dir = mkdtempSync(join(tmpdir(), 'golden-debugfs-'));
  try {
    const out = join(dir, 'file');
    const res = await run('debugfs', ['-R', `dump ${quoteForDebugfs(path)} ${out}`, device], { allowFailure: true, purpose: 'read a file from an ext4 filesystem' });
    if (res.exitCode !== 0 || !existsSync(out) || /not found|not a directory/i.test(res.stderr)) return undefined;
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Entry {
  path: string;
  inode: number;
  mode: number;
  uid: number;
  gid: number;
}

const S_IFMT = 0o170000;
const T = { dir: 0o040000, reg: 0o100000, lnk: 0o120000, chr: 0o020000, blk: 0o060000, fifo: 0o010000, sock: 0o140000 };

function listDirs(root: string, rel = ''): string[] {
  const out = [rel || '/'];
  for (const name of readdirSync(join(root, rel))) {
    const p = `${rel}/${name}`;
    if (lstatSync(join(root, p)).isDirectory()) out.push(...listDirs(root, p));
  }
  return out;
}

/** Parse `ls -p` lines: /inode/mode/uid/gid/name/size/ */
export function parseLsP(dir: string, text: string): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/(.*)\/(\d*)\/$/.exec(line);
    if (!m) continue;
    const name = m[5]!;
    if (name === '.' && dir !== '/') continue;
    if (name === '..') continue;
    const path = name === '.' ? '/' : dir === '/' ? `/${name}` : `${dir}/${name}`;
    out.push({ path, inode: Number(m[1]), mode: parseInt(m[2]!, 8), uid: Number(m[3]), gid: Number(m[4]) });
  }
  return out;
}

/** Extract the whole filesystem into `dest` (which must exist and be empty), faithfully. */
export async function extractExt4(device: string, dest: string, scratch: string): Promise<{ entries: number; xattrs: number }> {
  await run('debugfs', ['-R', `rdump / ${quoteForDebugfs(dest)}`, device], { purpose: 'copy the ext4 filesystem out of the image' });
  const dirs = listDirs(dest).filter((d) => !d.includes('"') && !d.includes('\n'));
  const sections = await debugfsBatch(device, dirs.map((d) => `ls -p ${quoteForDebugfs(d)}`), scratch);
  const entries: Entry[] = [];
  sections.forEach((s, i) => entries.push(...parseLsP(dirs[i]!, s.output)));
  const host = (p: string) => join(dest, p);
  const firstPathOfInode = new Map<number, string>();
  const devices: Entry[] = [];
  for (const e of entries) {
    const type = e.mode & S_IFMT;
    if (type !== T.dir) {
      const first = firstPathOfInode.get(e.inode);
      if (first !== undefined && type === T.reg) {
        rmSync(host(e.path), { force: true });
        linkSync(host(first), host(e.path));
        continue;
      }
      firstPathOfInode.set(e.inode, e.path);
    }
    if (type === T.chr || type === T.blk || type === T.fifo) devices.push(e);
    else if (type === T.sock) log.verbose(`ext4: socket ${e.path} not recreated (it is meaningless in an image)`);
    else if ((e.mode & 0o7000) !== 0 && existsSync(host(e.path))) chmodSync(host(e.path), e.mode & 0o7777);
  }
  if (devices.length > 0) {
    const stats = await debugfsBatch(device, devices.map((d) => `stat ${quoteForDebugfs(d.path)}`), scratch);
    for (const [i, d] of devices.entries()) {
      const p = host(d.path);
      if (existsSync(p)) unlinkSync(p);
      const type = d.mode & S_IFMT;
      if (type === T.fifo) await run('mkfifo', [p]);
      else {
        const m = /Device major\/minor number:\s*(\d+):(\d+)/.exec(stats[i]?.output ?? '');
        if (!m) continue;
        await run('mknod', [p, type === T.chr ? 'c' : 'b', String(Number(m[1])), String(Number(m[2]))]);
      }
      lchownSync(p, d.uid, d.gid);
      chmodSync(p, d.mode & 0o7777);
    }
  }
  const xattrs = await copyXattrs(device, entries.filter((e) => [T.reg, T.dir].includes(e.mode & S_IFMT)), dest, scratch);
  return { entries: entries.length, xattrs };
}

/** getfattr's dump format quotes unusual bytes in file names as \ooo. */
function quotePathForRestore(p: string): string {
  return [...Buffer.from(p, 'utf8')].map((b) => (b > 0x20 && b < 0x7f && b !== 0x5c && b !== 0x3d ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`)).join('');
}

async function copyXattrs(device: string, entries: readonly Entry[], dest: string, scratch: string): Promise<number> {
  const listed = await debugfsBatch(device, entries.map((e) => `ea_list ${quoteForDebugfs(e.path)}`), scratch);
  const wanted: { path: string; name: string }[] = [];
  listed.forEach((s, i) => {
    for (const m of s.output.matchAll(/^ {2}(\S+) \(\d+\)/gm)) {
      // ACLs are stored by ext4 as system.posix_acl_* and restored by the same name.
      wanted.push({ path: entries[i]!.path, name: m[1]! });
    }
  });
  if (wanted.length === 0) return 0;
  const dir = mkdtempSync(join(scratch, 'xattrs-'));
  await debugfsBatch(device, wanted.map((w, i) => `ea_get -f ${join(dir, String(i))} ${quoteForDebugfs(w.path)} ${w.name}`), scratch);
  let dump = '';
  let last = '';
  wanted.forEach((w, i) => {
    const valueFile = join(dir, String(i));
    if (!existsSync(valueFile)) return;
    if (w.path !== last) dump += `\n# file: ${quotePathForRestore(`.${w.path}`)}\n`;
    last = w.path;
    dump += `${w.name}=0x${readFileSync(valueFile).toString('hex')}\n`;
  });
  const restore = join(dir, 'restore');
  writeFileSync(restore, dump.trimStart());
  await run('setfattr', ['-h', `--restore=${restore}`], { cwd: dest, purpose: 'restore extended attributes (file capabilities, ACLs)' });
  rmSync(dir, { recursive: true, force: true });
  return wanted.length;
}
