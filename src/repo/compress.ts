// Decompression of .deb members and compression of index files. gzip is in-process (zlib); xz goes to
// the xz tool, and many small xz streams are decoded by ONE xz process: the streams are concatenated
// (xz decodes concatenated streams) and the output is split using the uncompressed sizes each stream's
// index records (xz file format §4, §6), so adding 3000 packages does not cost 3000 processes.
import { gunzipSync, gzipSync } from 'node:zlib';
import { filterBuffer } from './filter.js';

export type Compression = 'none' | 'gz' | 'xz' | 'zst';

export function compressionOf(memberName: string): Compression | undefined {
  if (/\.tar$/.test(memberName)) return 'none';
  if (/\.tar\.gz$/.test(memberName)) return 'gz';
  if (/\.tar\.xz$/.test(memberName)) return 'xz';
  if (/\.tar\.zst$/.test(memberName)) return 'zst';
  return undefined;
}

function readVarint(buf: Buffer, pos: { off: number }): number {
  let value = 0;
  let shift = 1;
  for (let i = 0; i < 9; i++) {
    const b = buf[pos.off++];
    if (b === undefined) throw new Error('truncated varint');
    value += (b & 0x7f) * shift;
    if (!(b & 0x80)) return value;
    shift *= 128;
  }
  throw new Error('bad varint');
}

/** Uncompressed size of a single-stream .xz buffer from its index, or undefined if it is not one. */
export function xzUncompressedSize(buf: Buffer): number | undefined {
  try {
    let end = buf.length;
    while (end >= 4 && buf.readUInt32LE(end - 4) === 0) end -= 4; // stream padding
    if (end < 24 || buf[end - 2] !== 0x59 || buf[end - 1] !== 0x5a) return undefined;
    if (buf.toString('latin1', 1, 6) !== '7zXZ\0' || buf[0] !== 0xfd) return undefined;
    const indexSize = (buf.readUInt32LE(end - 8) + 1) * 4;
    const indexStart = end - 12 - indexSize;
    if (indexStart < 12 || buf[indexStart] !== 0) return undefined;
    const pos = { off: indexStart + 1 };
    const records = readVarint(buf, pos);
    let unpadded = 0;
    let total = 0;
    for (let i = 0; i < records; i++) {
      unpadded += Math.ceil(readVarint(buf, pos) / 4) * 4;
      total += readVarint(buf, pos);
    }
    // A second stream concatenated inside one member would make the sizes disagree: not batchable.
    if (12 + unpadded + indexSize + 12 !== end) return undefined;
    return total;
  } catch {
    return undefined;
  }
}

export class DecompressError extends Error {
  constructor(readonly index: number, message: string) {
    super(message);
  }
}

/** Decompress many members; result i belongs to input i. A bad input throws DecompressError(i). */
export async function decompressMany(items: readonly { compression: Compression; data: Buffer }[]): Promise<Buffer[]> {
  const out: Buffer[] = new Array<Buffer>(items.length);
  const xzBatch: { i: number; size: number }[] = [];
  let zstd: typeof import('fzstd') | undefined;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    try {
      if (it.compression === 'none') out[i] = it.data;
      else if (it.compression === 'gz') out[i] = gunzipSync(it.data);
      else if (it.compression === 'zst') {
        zstd ??= await import('fzstd');
        out[i] = Buffer.from(zstd.decompress(it.data));
      } else {
        const size = xzUncompressedSize(it.data);
        if (size === undefined) out[i] = await xzOne(it.data);
        else xzBatch.push({ i, size });
      }
    } catch (err) {
      if (err instanceof DecompressError) throw err;
      throw new DecompressError(i, `cannot decompress (${it.compression}): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  if (xzBatch.length === 1) out[xzBatch[0]!.i] = await xzOneOrFail(items, xzBatch[0]!.i);
  else if (xzBatch.length > 1) {
    let all: Buffer | undefined;
    try {
      all = await filterBuffer('xz', ['-dc'], Buffer.concat(xzBatch.map((b) => items[b.i]!.data)), 'decompress control.tar.xz');
    } catch {
      // find which one is bad, so the error names the file
      for (const b of xzBatch) out[b.i] = await xzOneOrFail(items, b.i);
      return out;
    }
    let off = 0;
    for (const b of xzBatch) {
      out[b.i] = all.subarray(off, off + b.size);
      off += b.size;
    }
    if (off !== all.length) throw new Error('xz output size does not match the stream indexes');
  }
  return out;
}

function xzOne(data: Buffer): Promise<Buffer> {
  return filterBuffer('xz', ['-dc'], data, 'decompress control.tar.xz');
}

async function xzOneOrFail(items: readonly { data: Buffer }[], i: number): Promise<Buffer> {
  try {
    return await xzOne(items[i]!.data);
  } catch (err) {
    const msg = err instanceof Error ? (err.message.split('\n').find((l) => l.includes('| xz:')) ?? err.message.split('\n')[0]!) : String(err);
    throw new DecompressError(i, `cannot decompress (xz): ${msg.replace(/^\s*\|\s*/, '')}`);
  }
}

export function gzip(data: Buffer | string): Buffer {
  // mtime 0 and no file name in the header: same input, same bytes
  return gzipSync(data);
}

export function xzCompress(data: Buffer | string): Promise<Buffer> {
  const buf = Buffer.from(data);
  // Threaded xz with a fixed block size: a large index is compressed as several blocks in parallel
  // (apt's liblzma reads multi-block streams), and since the output depends on the block size only,
  // not on the number of threads, the same index gives the same bytes on every machine.
  const args = ['-c', '-6', '--check=crc64', '-T0', '--block-size=768KiB'];
  return filterBuffer('xz', args, buf, 'compress an index with xz');
}
