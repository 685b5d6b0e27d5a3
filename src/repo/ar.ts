// The ar(5) container of a .deb (deb(5)): "!<arch>\n", then members with a 60-byte header
// (name/16, mtime/12, uid/6, gid/6, mode/8, size/10, "`\n") and data padded to an even length.

export interface ArMember {
  name: string;
  data: Buffer;
}

const MAGIC = '!<arch>\n';

export class ArFormatError extends Error {}

export function readAr(buf: Buffer): ArMember[] {
  if (buf.length < 8 || buf.toString('latin1', 0, 8) !== MAGIC) throw new ArFormatError('not an ar archive (bad magic)');
  const members: ArMember[] = [];
  let off = 8;
  while (off < buf.length) {
    if (buf.length - off === 1 && buf[off] === 0x0a) break; // tolerated trailing padding
    if (off + 60 > buf.length) throw new ArFormatError(`truncated ar member header at byte ${off}`);
    if (buf[off + 58] !== 0x60 || buf[off + 59] !== 0x0a) throw new ArFormatError(`corrupt ar member header at byte ${off}`);
    const name = buf.toString('latin1', off, off + 16).trimEnd().replace(/\/$/, '');
    const size = Number(buf.toString('latin1', off + 48, off + 58).trim());
    if (!Number.isSafeInteger(size) || size < 0) throw new ArFormatError(`bad size in ar member "${name}"`);
    const start = off + 60;
    if (start + size > buf.length) throw new ArFormatError(`ar member "${name}" is truncated (${buf.length - start} of ${size} bytes)`);
    members.push({ name, data: buf.subarray(start, start + size) });
    off = start + size + (size % 2);
  }
  return members;
}

function field(value: string, width: number): string {
  if (value.length > width) throw new Error(`ar header field "${value}" longer than ${width}`);
  return value.padEnd(width, ' ');
}

/** Write an ar archive the way dpkg-deb does (mtime given, uid/gid 0, mode 100644). */
export function writeAr(members: readonly ArMember[], mtime = 0): Buffer {
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1')];
  for (const m of members) {
    const header =
      field(m.name, 16) + field(String(mtime), 12) + field('0', 6) + field('0', 6) + field('100644', 8) + field(String(m.data.length), 10) + '`\n';
    parts.push(Buffer.from(header, 'latin1'), m.data);
    if (m.data.length % 2) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}
