// ASCII armour (RFC 4880 §6.2): base64 in 64-column lines and a CRC-24 checksum line.

function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of data) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

export function armorBlock(kind: 'PUBLIC KEY BLOCK' | 'SIGNATURE', data: Uint8Array): string {
  const lines = Buffer.from(data).toString('base64').match(/.{1,64}/g) ?? [];
  const c = crc24(data);
  const crc = Buffer.from([(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff]).toString('base64');
  return `-----BEGIN PGP ${kind}-----\n\n${lines.join('\n')}\n=${crc}\n-----END PGP ${kind}-----\n`;
}

/** The binary packets of an ASCII-armoured block. */
export function dearmor(armored: string): Buffer {
  const lines = armored.replace(/\r/g, '').split('\n');
  const start = lines.findIndex((l) => l.startsWith('-----BEGIN PGP'));
  if (start < 0) throw new Error('not an ASCII-armoured OpenPGP block');
  let i = start + 1;
  while (i < lines.length && lines[i]!.trim() !== '') i++;
  const body: string[] = [];
  for (i++; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l.startsWith('-----END') || l.startsWith('=')) break;
    body.push(l);
  }
  return Buffer.from(body.join(''), 'base64');
}
