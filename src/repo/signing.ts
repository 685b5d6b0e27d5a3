// OpenPGP for the archive: an ed25519 signing key (v4, EdDSA "legacy" encoding, which gpgv 2.2 and
// apt on Debian 12 verify), clear-signed InRelease and detached Release.gpg. Signing with such a key
// uses node:crypto (ed25519-sign.ts); openpgp.js is imported only to make keys, to verify uploads and
// to sign with any other kind of key, so commands start fast (publishing never loads it).
import type { PrivateKey } from 'openpgp';
import { armorBlock } from './armor.js';
import { type Ed25519Key, clearSignEd25519, detachSignEd25519, parseEd25519SecretKey } from './ed25519-sign.js';

export { dearmor } from './armor.js';

type OpenPGP = typeof import('openpgp');
let lib: Promise<OpenPGP> | undefined;
function openpgp(): Promise<OpenPGP> {
  lib ??= import('openpgp');
  return lib;
}

export interface SigningKey {
  privateArmored: string;
  publicArmored: string;
  /** The public key as binary packets: a keyring for gpgv --keyring and apt's Signed-By. */
  publicBinary: Uint8Array;
  fingerprint: string;
}

export async function generateSigningKey(opts: { name: string; email?: string; date?: Date }): Promise<SigningKey> {
  const pgp = await openpgp();
  const userID = opts.email ? { name: opts.name, email: opts.email } : { name: opts.name };
  // Sign-only primary key, no encryption subkey: the archive key never receives messages.
  const { privateKey, publicKey } = await pgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [userID],
    subkeys: [],
    format: 'object',
    ...(opts.date ? { date: opts.date } : {}),
  });
  return {
    privateArmored: privateKey.armor(),
    publicArmored: publicKey.armor(),
    publicBinary: publicKey.write(),
    fingerprint: publicKey.getFingerprint().toUpperCase(),
  };
}

const keyCache = new Map<string, Promise<PrivateKey>>();
function readPrivate(armored: string): Promise<PrivateKey> {
  let k = keyCache.get(armored);
  if (!k) {
    k = openpgp().then((pgp) => pgp.readPrivateKey({ armoredKey: armored }));
    keyCache.set(armored, k);
  }
  return k;
}

/** The signature time: SOURCE_DATE_EPOCH when set (reproducible), never before the key existed. */
async function signDate(key: PrivateKey, date?: Date): Promise<Date> {
  const created = key.getCreationTime();
  const d = date ?? sourceDateEpoch() ?? new Date();
  return d < created ? created : d;
}

export function sourceDateEpoch(): Date | undefined {
  const sde = process.env['SOURCE_DATE_EPOCH'];
  if (!sde || !/^\d+$/.test(sde)) return undefined;
  return new Date(Number(sde) * 1000);
}

// Without the random salt notation openpgp.js adds by default, EdDSA signatures are deterministic:
// same Release + same SOURCE_DATE_EPOCH = same InRelease.
const CONFIG = { nonDeterministicSignaturesViaNotation: false } as const;

const fastKeys = new Map<string, Ed25519Key | undefined>();
function fastKey(armored: string): Ed25519Key | undefined {
  if (!fastKeys.has(armored)) fastKeys.set(armored, parseEd25519SecretKey(armored));
  return fastKeys.get(armored);
}

function fastDate(k: Ed25519Key, date?: Date): Date {
  return date ?? sourceDateEpoch() ?? new Date(Math.max(Date.now(), k.created * 1000));
}

export async function clearSign(text: string, privateArmored: string, date?: Date): Promise<string> {
  const fast = fastKey(privateArmored);
  if (fast) return clearSignEd25519(fast, text, fastDate(fast, date));
  const pgp = await openpgp();
  const key = await readPrivate(privateArmored);
  const message = await pgp.createCleartextMessage({ text });
  return pgp.sign({ message, signingKeys: key, date: await signDate(key, date), config: CONFIG });
}

export async function detachSign(data: Uint8Array | string, privateArmored: string, date?: Date): Promise<string> {
  const fast = fastKey(privateArmored);
  if (fast) return detachSignEd25519(fast, Buffer.from(typeof data === 'string' ? Buffer.from(data) : data), fastDate(fast, date));
  const pgp = await openpgp();
  const key = await readPrivate(privateArmored);
  const binary = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const message = await pgp.createMessage({ binary });
  return pgp.sign({ message, signingKeys: key, detached: true, date: await signDate(key, date), config: CONFIG });
}

/** Verify a clear-signed text against any of the given public keys; returns the signer's fingerprint or undefined. */
export async function verifyClearSigned(text: string, publicKeys: readonly (string | Uint8Array)[]): Promise<string | undefined> {
  const pgp = await openpgp();
  const keys = await Promise.all(
    publicKeys.map((k) => (typeof k === 'string' && k.includes('-----BEGIN PGP') ? pgp.readKey({ armoredKey: k }) : pgp.readKey({ binaryKey: typeof k === 'string' ? Buffer.from(k, 'latin1') : k }))),
  );
  let message;
  try {
    message = await pgp.readCleartextMessage({ cleartextMessage: text });
  } catch {
    return undefined;
  }
  const result = await pgp.verify({ message, verificationKeys: keys, expectSigned: false });
  for (const sig of result.signatures) {
    try {
      await sig.verified;
      const signer = keys.find((k) => k.getKeys(sig.keyID).length > 0);
      if (signer) return signer.getFingerprint().toUpperCase();
    } catch {
      // not valid with these keys
    }
  }
  return undefined;
}

/** ASCII armour (RFC 4880 §6) for binary public key packets, without loading openpgp. */
export function armorPublicKey(binary: Uint8Array): string {
  return armorBlock('PUBLIC KEY BLOCK', binary);
}
