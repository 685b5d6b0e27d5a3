import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { extractImageRoot } from '../../src/customize/extract.js';
import { run } from '../../src/exec/run.js';
import { tempDir } from '../helpers.js';
import { vendorCloudImage } from './cloud-image.js';

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

test('a cloud image Golden did not write (qcow2, GPT, ESP + /boot + root by fstab) becomes a faithful root tree', { timeout: 60 * 60_000 }, async () => {
  const image = await vendorCloudImage();
  const before = await sha256File(image);
  const dest = join(tempDir('golden-extract-'), 'root');
  const result = await extractImageRoot(image, dest);
  assert.equal(result.kind, 'disk');
  assert.equal(await sha256File(image), before, 'the input image is not modified');
  if (result.kind !== 'disk') return;
  assert.equal(result.details.format, 'qcow2');
  assert.equal(result.details.table, 'gpt');
  assert.equal(result.details.root.partition, 3);
  assert.deepEqual(result.details.mounts.map((m) => `${m.mountpoint}:${m.fs}`), ['/boot:ext4', '/boot/efi:vfat']);

  // files of the root, /boot and the ESP are all there
  assert.match(readFileSync(join(dest, 'etc/os-release'), 'utf8'), /bookworm/);
  assert.equal(readFileSync(join(dest, 'boot/on-boot-partition'), 'utf8'), 'boot\n');
  assert.equal(readFileSync(join(dest, 'boot/efi/EFI/BOOT/HELLO.TXT'), 'utf8'), 'from the ESP\n');

  const t = join(dest, 'srv/golden-test');
  const owned = lstatSync(join(t, 'owned'));
  assert.equal(`${owned.uid}:${owned.gid}`, '1234:5678', 'owners are kept');
  assert.equal(owned.mode & 0o7777, 0o640);
  assert.equal(lstatSync(join(t, 'setuid')).mode & 0o7777, 0o4755, 'the setuid bit is kept');
  assert.equal(lstatSync(join(t, 'sticky')).mode & 0o7777, 0o1777, 'the sticky bit is kept');
  assert.equal(lstatSync(join(dest, 'tmp')).mode & 0o7777, 0o1777);
  assert.equal(readlinkSync(join(t, 'link')), 'owned', 'symlinks are kept');
  assert.equal(lstatSync(join(t, 'hardlink')).ino, owned.ino, 'hard links are kept');
  const dev = lstatSync(join(t, 'null'));
  assert.ok(dev.isCharacterDevice() && dev.rdev === 0x103, 'device nodes are kept');
  assert.ok(lstatSync(join(t, 'fifo')).isFIFO(), 'FIFOs are kept');
  const su = lstatSync(join(dest, 'usr/bin/su'));
  assert.equal(su.mode & 0o7777, 0o4755, 'su keeps its setuid bit');
  const xattr = await run('getfattr', ['-n', 'user.golden', '--only-values', join(t, 'owned')]);
  assert.equal(xattr.stdout.trim(), 'kept', 'extended attributes are kept');
  const cap = await run('getcap', [join(dest, 'usr/bin/ping')], { allowFailure: true });
  if (cap.exitCode === 0) assert.match(cap.stdout, /cap_net_raw/, 'file capabilities are kept');
  else {
    const raw = await run('getfattr', ['-n', 'security.capability', '-e', 'hex', join(dest, 'usr/bin/ping')]);
    assert.match(raw.stdout, /security\.capability=0x/);
  }
  assert.ok(existsSync(join(dest, 'var/lib/dpkg/status')));
});
