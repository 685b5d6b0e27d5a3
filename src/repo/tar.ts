// Just enough of POSIX ustar (and GNU long names) to read a .deb's control.tar and to write the small,
// reproducible trees of a metapackage.

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  data: Buffer;
  mode: number;
  linkname?: string;
}

export class TarFormatError extends Error {}

function octal(buf: Buffer, off: number, len: number): number {
  const s = buf.toString('latin1', off, off + len).replace(/\0.*$/s, '').trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function str(buf: Buffer, off: number, len: number): string {
  const s = buf.toString('utf8', off, off + len);
  const nul = s.indexOf('\0');
  return nul >= 0 ? s.slice(0, nul) : s;
}

/** Entries of a tar archive; stops at the end-of-archive marker. */
export function readTar(buf: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    if (sum !== octal(header, 148, 8)) throw new TarFormatError(`tar header checksum mismatch at byte ${off}`);
    const size = octal(header, 124, 12);
    const typeflag = String.fromCharCode(header[156]!);
    const start = off + 512;
    if (start + size > buf.length) throw new TarFormatError('tar member is truncated');
    const data = buf.subarray(start, start + size);
    off = start + Math.ceil(size / 512) * 512;
    if (typeflag === 'L') {
      longName = str(data, 0, data.length);
      continue;
    }
    if (typeflag === 'x' || typeflag === 'g') continue; // pax headers: names here are short
    const prefix = str(header, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${str(header, 0, 100)}` : str(header, 0, 100));
    longName = undefined;
    name = name.replace(/^\.\//, '').replace(/^\//, '');
    const type = typeflag === '0' || typeflag === '\0' ? 'file' : typeflag === '5' ? 'dir' : typeflag === '2' ? 'symlink' : 'other';
    const entry: TarEntry = { name, type, data, mode: octal(header, 100, 8) };
    if (type === 'symlink') entry.linkname = str(header, 157, 100);
    entries.push(entry);
  }
  return entries;
}

function putString(h: Buffer, off: number, len: number, value: string): void {
  const b = Buffer.from(value, 'utf8');
  if (b.length > len) throw new Error(`tar field too long: ${value}`);
  b.copy(h, off);
}

function putOctal(h: Buffer, off: number, len: number, value: number): void {
  putString(h, off, len, `${value.toString(8).padStart(len - 1, '0')}\0`);
}

/** A ustar archive owned by root:root with one mtime, entries in the order given (dirs end with '/'). */
export function writeTar(entries: readonly { name: string; data?: Buffer; mode?: number; dir?: boolean }[], mtime: number): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    let name = e.name;
    let prefix = '';
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf('/', 154);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    }
    const data = e.dir ? Buffer.alloc(0) : (e.data ?? Buffer.alloc(0));
    putString(h, 0, 100, name);
    putOctal(h, 100, 8, e.mode ?? (e.dir ? 0o755 : 0o644));
    putOctal(h, 108, 8, 0);
    putOctal(h, 116, 8, 0);
    putOctal(h, 124, 12, data.length);
    putOctal(h, 136, 12, mtime);
    h.fill(32, 148, 156);
    h[156] = (e.dir ? '5' : '0').charCodeAt(0);
    putString(h, 257, 6, 'ustar\0');
    putString(h, 263, 2, '00');
    putString(h, 265, 32, 'root');
    putString(h, 297, 32, 'root');
    putString(h, 345, 155, prefix);
    let sum = 0;
    for (const b of h) sum += b;
    putString(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    parts.push(h, data);
    if (data.length % 512) parts.push(Buffer.alloc(512 - (data.length % 512)));
  }
  parts.push(Buffer.alloc(1024));
  const total = parts.reduce((n, p) => n + p.length, 0);
  // GNU tar pads to a 10 KiB record; do the same so the output looks like what dpkg-deb makes.
  if (total % 10240) parts.push(Buffer.alloc(10240 - (total % 10240)));
  return Buffer.concat(parts);
}
