// The deb822 .sources stanza clients put in /etc/apt/sources.list.d/ (sources.list(5), "DEB822-STYLE
// FORMAT"), with the archive key inline in Signed-By so nothing else has to be installed to trust it.
import { readFileSync } from 'node:fs';
import { armorPublicKey } from './signing.js';

export interface SourcesOptions {
  types?: readonly string[] | undefined;
  uris: readonly string[] | string;
  suites: readonly string[] | string;
  components: readonly string[] | string;
  /** An ASCII-armoured public key, or a path to a key file (.asc or binary .gpg). */
  signedBy: string;
  checkDate?: boolean | undefined;
  architectures?: readonly string[] | undefined;
}

function list(v: readonly string[] | string): string {
  return (typeof v === 'string' ? [v] : v).join(' ');
}

/** An armoured key from a key argument: the armour itself, or a file holding armour or binary packets. */
export function armoredKey(signedBy: string): string {
  if (signedBy.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) return signedBy;
  const data = readFileSync(signedBy);
  const text = data.toString('latin1');
  return text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----') ? text : armorPublicKey(data);
}

export function deb822Sources(o: SourcesOptions): string {
  const key = armoredKey(o.signedBy).replace(/\r/g, '').trimEnd();
  // A multi-line field: every line indented by one space, and an empty line written as " ." (deb822).
  const signedBy = key
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l}`))
    .join('\n');
  const lines = [`Types: ${list(o.types ?? ['deb'])}`, `URIs: ${list(o.uris)}`, `Suites: ${list(o.suites)}`, `Components: ${list(o.components)}`];
  if (o.architectures?.length) lines.push(`Architectures: ${o.architectures.join(' ')}`);
  if (o.checkDate === false) lines.push('Check-Date: no');
  lines.push(`Signed-By:\n${signedBy}`);
  return `${lines.join('\n')}\n`;
}
