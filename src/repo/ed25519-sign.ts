// OpenPGP v4 signatures made with node:crypto for the archive's own key type (EdDSA legacy over
// ed25519, unencrypted secret key), so publishing does not load openpgp.js (~0.1 s of start-up).
// Packet formats: RFC 4880 §5.2 (signature packet v4), §5.5.3 (secret key), §12.2 (fingerprint),
// §7 (cleartext signature framework); EdDSA in OpenPGP: draft-koch-eddsa-for-openpgp (the signature
// is EdDSA over the hash digest, r and s as MPIs). Any other key falls back to openpgp.js.
import { createHash, createPrivateKey, sign as edSign, type KeyObject } from 'node:crypto';
import { armorBlock, dearmor } from './armor.js';

const ED25519_OID = Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01]);
const SHA512 = 10;
const EDDSA = 22;

export interface Ed25519Key {
  key: KeyObject;
  fingerprint: Buffer;
  created: number;
}

function packets(data: Buffer): { tag: number; body: Buffer }[] {
  const out: { tag: number; body: Buffer }[] = [];
  let off = 0;
  while (off < data.length) {
    const h = data[off]!;
    if (!(h & 0x80)) throw new Error('bad packet header');
    let tag: number;
    let len: number;
    if (h & 0x40) {
      tag = h & 0x3f;
      const l0 = data[off + 1]!;
      if (l0 < 192) {
        len = l0;
        off += 2;
      } else if (l0 < 224) {
        len = ((l0 - 192) << 8) + data[off + 2]! + 192;
        off += 3;
      } else if (l0 === 255) {
        len = data.readUInt32BE(off + 2);
        off += 6;
      } else throw new Error('partial body lengths are not expected in a key');
    } else {
      tag = (h >> 2) & 0x0f;
      const lt = h & 3;
      if (lt === 0) {
        len = data[off + 1]!;
        off += 2;
      } else if (lt === 1) {
        len = data.readUInt16BE(off + 1);
        off += 3;
      } else if (lt === 2) {
        len = data.readUInt32BE(off + 1);
        off += 5;
      } else throw new Error('indeterminate length');
    }
    out.push({ tag, body: data.subarray(off, off + len) });
    off += len;
  }
  return out;
}

function readMpi(buf: Buffer, off: number): [Buffer, number] {
  const bits = buf.readUInt16BE(off);
  const bytes = Math.ceil(bits / 8);
  return [buf.subarray(off + 2, off + 2 + bytes), off + 2 + bytes];
}

function mpi(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  const bits = v.length === 0 ? 0 : (v.length - 1) * 8 + (32 - Math.clz32(v[0]!));
  const head = Buffer.alloc(2);
  head.writeUInt16BE(bits);
  return Buffer.concat([head, v]);
}

const b64url = (b: Buffer) => b.toString('base64url');

/** The ed25519 key inside an armoured secret key, or undefined when it is another kind of key. */
export function parseEd25519SecretKey(armored: string): Ed25519Key | undefined {
  try {
    const first = packets(dearmor(armored))[0];
    if (!first || first.tag !== 5) return undefined;
    const b = first.body;
    if (b[0] !== 4 || b[5] !== EDDSA) return undefined;
    const oidLen = b[6]!;
    if (!b.subarray(7, 7 + oidLen).equals(ED25519_OID)) return undefined;
    const [pub, afterPub] = readMpi(b, 7 + oidLen);
    if (pub.length !== 33 || pub[0] !== 0x40) return undefined;
    if (b[afterPub] !== 0) return undefined; // encrypted secret key: leave it to openpgp.js
    const [secret] = readMpi(b, afterPub + 1);
    const seed = Buffer.concat([Buffer.alloc(32 - secret.length), secret]);
    const publicBody = b.subarray(0, afterPub);
    const head = Buffer.from([0x99, publicBody.length >> 8, publicBody.length & 0xff]);
    const fingerprint = createHash('sha1').update(head).update(publicBody).digest();
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(pub.subarray(1)) }, format: 'jwk' });
    return { key, fingerprint, created: b.readUInt32BE(1) };
  } catch {
    return undefined;
  }
}

function signaturePacket(k: Ed25519Key, sigType: 0 | 1, data: Buffer, date: Date): Buffer {
  const time = Math.max(k.created, Math.floor(date.getTime() / 1000));
  const created = Buffer.alloc(6);
  created[0] = 5;
  created[1] = 2;
  created.writeUInt32BE(time, 2);
  const issuerFpr = Buffer.concat([Buffer.from([22, 33, 4]), k.fingerprint]);
  const hashedSub = Buffer.concat([created, issuerFpr]);
  const hashedPart = Buffer.concat([Buffer.from([4, sigType, EDDSA, SHA512, hashedSub.length >> 8, hashedSub.length & 0xff]), hashedSub]);
  const trailer = Buffer.alloc(6);
  trailer[0] = 4;
  trailer[1] = 0xff;
  trailer.writeUInt32BE(hashedPart.length, 2);
  const digest = createHash('sha512').update(data).update(hashedPart).update(trailer).digest();
  const sig = edSign(null, digest, k.key);
  const unhashed = Buffer.concat([Buffer.from([9, 16]), k.fingerprint.subarray(12)]);
  const body = Buffer.concat([hashedPart, Buffer.from([unhashed.length >> 8, unhashed.length & 0xff]), unhashed, digest.subarray(0, 2), mpi(sig.subarray(0, 32)), mpi(sig.subarray(32))]);
  if (body.length >= 192) throw new Error('unexpected signature size');
  return Buffer.concat([Buffer.from([0xc2, body.length]), body]);
}

export function detachSignEd25519(k: Ed25519Key, data: Buffer, date: Date): string {
  return armorBlock('SIGNATURE', signaturePacket(k, 0, data, date));
}

/** A clear-signed document (RFC 4880 §7): dash-escaped text, then the signature over its canonical form. */
export function clearSignEd25519(k: Ed25519Key, text: string, date: Date): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const lines = body.split('\n').map((l) => l.replace(/\r$/, ''));
  // Canonical text: CRLF line ends, trailing spaces/tabs ignored, no line end after the last line.
  const canonical = Buffer.from(lines.map((l) => l.replace(/[ \t]+$/, '')).join('\r\n'));
  const escaped = lines.map((l) => (l.startsWith('-') ? `- ${l}` : l)).join('\n');
  return `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${escaped}\n${armorBlock('SIGNATURE', signaturePacket(k, 1, canonical, date))}`;
}
