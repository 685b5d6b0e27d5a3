// A "vendor" cloud image that Golden did not write, made with plain tools the way a distribution's
// image pipeline would: an mmdebstrap tree, a GPT made by sfdisk on a file, an ESP (vfat, via mtools), a
// separate /boot and the root (mkfs.ext4 -d), each placed at its offset with dd conv=notrunc, fstab by
// UUID and LABEL, then qemu-img convert to qcow2. Cached under $GOLDEN_TEST_CACHE.
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostMirror } from '../../src/config/host-mirror.js';
import { run } from '../../src/exec/run.js';
import { MountNamespace } from '../../src/rootfs/namespace.js';

export const cacheRoot = join(process.env['GOLDEN_TEST_CACHE'] ?? '/var/tmp/golden-test-cache', 'customize');

export const ROOT_UUID = '6a1f5a9e-1d2c-4b7e-9f00-5a5e7ea11001';
export const ESP_ID = 'ABCD-1234';

async function mmdebstrapTree(name: string, include: string): Promise<string> {
  const dir = join(cacheRoot, name);
  if (existsSync(dir)) return dir;
  mkdirSync(cacheRoot, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const mirror = hostMirror('debian');
  if (!mirror) throw new Error('the host apt configuration names no Debian mirror');
  // mmdebstrap mounts /proc etc. in the target: inside a private namespace they cannot leak.
  const ns = await MountNamespace.open({ label: 'test mmdebstrap' });
  try {
    await ns.run('mmdebstrap', ['--variant=minbase', `--include=${include}`, '--mode=root', 'bookworm', tmp, mirror], { timeoutMs: 45 * 60_000 });
  } finally {
    await ns.close();
  }
  renameSync(tmp, dir);
  return dir;
}

/** A minbase bookworm tree with iputils-ping (whose binary carries a file capability xattr). */
export function minbaseTree(): Promise<string> {
  return mmdebstrapTree('bookworm-minbase-ping', 'iputils-ping');
}

/** The same with a kernel and initramfs in /boot, as a cloud image has. */
export function kernelTree(): Promise<string> {
  return mmdebstrapTree('bookworm-kernel-ping', 'linux-image-amd64,iputils-ping');
}

/** Entries whose metadata the extraction must keep, added to the image's root. */
export function addSpecialEntries(root: string): void {
  mkdirSync(join(root, 'srv/golden-test'), { recursive: true });
  const d = join(root, 'srv/golden-test');
  writeFileSync(join(d, 'owned'), 'owned by 1234:5678\n');
  chownSync(join(d, 'owned'), 1234, 5678);
  chmodSync(join(d, 'owned'), 0o640);
  writeFileSync(join(d, 'setuid'), '#!/bin/sh\n');
  chmodSync(join(d, 'setuid'), 0o4755);
  symlinkSync('owned', join(d, 'link'));
  linkSync(join(d, 'owned'), join(d, 'hardlink'));
  mkdirSync(join(d, 'sticky'));
  chmodSync(join(d, 'sticky'), 0o1777);
}

function sfdiskScript(): string {
  return [
    'label: gpt',
    'size=16MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=ESP',
    'size=128MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=boot',
    'type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=root',
    '',
  ].join('\n');
}

interface SfdiskJson {
  partitiontable: { partitions: { start: number; size: number }[] };
}

/** The vendor image as qcow2 (built once, then reused from the cache). */
export async function vendorCloudImage(): Promise<string> {
  const out = join(cacheRoot, 'vendor-cloud-v2.qcow2');
  if (existsSync(out)) return out;
  const tree = await kernelTree();
  const work = `${out}.work-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const root = join(work, 'root');
    await run('cp', ['-a', `${tree}/.`, `${root}/`]);
    addSpecialEntries(root);
    await run('mknod', [join(root, 'srv/golden-test/null'), 'c', '1', '3']);
    await run('mkfifo', [join(root, 'srv/golden-test/fifo')]);
    await run('setfattr', ['-n', 'user.golden', '-v', 'kept', join(root, 'srv/golden-test/owned')]);
    // /boot lives on its own partition: move its content out, leave the mount point
    const boot = join(work, 'boot');
    mkdirSync(boot);
    for (const n of readdirSync(join(root, 'boot'))) renameSync(join(root, 'boot', n), join(boot, n));
    writeFileSync(join(boot, 'on-boot-partition'), 'boot\n');
    mkdirSync(join(root, 'boot/efi'));
    writeFileSync(join(work, 'hello.txt'), 'from the ESP\n');
    writeFileSync(join(root, 'etc/fstab'), `# vendor fstab\nUUID=${ROOT_UUID} / ext4 defaults 0 1\nLABEL=VENDORBOOT /boot ext4 defaults 0 2\nUUID=${ESP_ID} /boot/efi vfat umask=0077 0 1\n`);

    const raw = join(work, 'disk.raw');
    await run('truncate', ['-s', '1280M', raw]);
    await run('sfdisk', ['--quiet', raw], { input: sfdiskScript() });
    const table = JSON.parse((await run('sfdisk', ['--json', raw])).stdout) as SfdiskJson;
    const [esp, bootPart, rootPart] = table.partitiontable.partitions.map((p) => ({ offset: p.start * 512, size: p.size * 512 }));
    const place = async (file: string, offset: number) =>
      run('dd', [`if=${file}`, `of=${raw}`, 'bs=4M', 'conv=notrunc,sparse', 'oflag=seek_bytes', `seek=${offset}`, 'status=none']);

    const espImg = join(work, 'esp.img');
    await run('mkfs.vfat', ['-C', '-i', ESP_ID.replace('-', ''), '-n', 'ESP', espImg, String(esp!.size / 1024)]);
    await run('mmd', ['-i', espImg, '::/EFI', '::/EFI/BOOT'], { env: { MTOOLS_SKIP_CHECK: '1' } });
    await run('mcopy', ['-i', espImg, join(work, 'hello.txt'), '::/EFI/BOOT/HELLO.TXT'], { env: { MTOOLS_SKIP_CHECK: '1' } });
    await place(espImg, esp!.offset);

    const bootImg = join(work, 'boot.img');
    await run('mkfs.ext4', ['-q', '-L', 'VENDORBOOT', '-d', boot, bootImg, `${bootPart!.size / 1024}k`]);
    await place(bootImg, bootPart!.offset);

    const rootImg = join(work, 'root.img');
    await run('mkfs.ext4', ['-q', '-U', ROOT_UUID, '-L', 'cloudimg-rootfs', '-d', root, rootImg, `${rootPart!.size / 1024}k`]);
    await place(rootImg, rootPart!.offset);

    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, `${out}.tmp`]);
    renameSync(`${out}.tmp`, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}
