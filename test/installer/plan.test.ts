// The payload's pure decisions (lib-plan.sh), driven through bash on fixtures: disk choice from lsblk
// output, the partition table (applied with the real sfdisk to a sparse file and read back), hostname
// patterns, passphrase strength, layer order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, ftruncateSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, tempDir } from '../helpers.js';
import { DEFAULT_INSTALL_LAYOUT, layoutEntry } from '../../src/installer/installer-config.js';

const lib = join(repoRoot, 'src/installer/payload/lib-plan.sh');
const fixtures = join(repoRoot, 'test/installer/fixtures');

/** Run `source lib-plan.sh; <script>` with bash; stdin from `input`. */
function bash(script: string, args: string[] = [], input = ''): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; . ${JSON.stringify(lib)}; ${script}`, 'harness', ...args], { input, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const defaultLayout = DEFAULT_INSTALL_LAYOUT.map(layoutEntry);

describe('choose_disk', () => {
  const choose = (fixture: string, exclude = '') => bash('choose_disk "$1"', [exclude], readFileSync(join(fixtures, fixture), 'utf8'));

  it('takes the only fixed disk, never the USB stick, the DVD or zram', () => {
    assert.deepEqual(choose('lsblk-laptop.txt'), { code: 0, stdout: 'sda\n', stderr: '' });
  });
  it('takes the largest of several fixed disks and skips loop devices', () => {
    assert.equal(choose('lsblk-two-disks.txt').stdout, 'nvme1n1\n');
  });
  it('never takes the disk the live medium is on, even when it is the largest', () => {
    assert.equal(choose('lsblk-usb-boot.txt').stdout, 'sda\n');
    assert.equal(choose('lsblk-usb-boot.txt', 'sda').stdout, 'vda\n');
  });
  it('fails when there is no fixed writable disk', () => {
    const r = choose('lsblk-none.txt');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
  });
});

describe('partition_plan', () => {
  it('lays out BIOS boot + ESP + /boot + root on 1 MiB boundaries, and sfdisk writes exactly that', () => {
    const size = 20 * 1024 ** 3;
    const r = bash('partition_plan "$@"', [String(size), ...defaultLayout]);
    assert.equal(r.code, 0, r.stderr);
    const dir = tempDir();
    const img = join(dir, 'disk.img');
    const fd = openSync(img, 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
    const apply = spawnSync('sfdisk', ['--no-reread', '--no-tell-kernel', img], { input: r.stdout, encoding: 'utf8' });
    assert.equal(apply.status, 0, apply.stderr);
    const table = JSON.parse(spawnSync('sfdisk', ['--json', img], { encoding: 'utf8' }).stdout) as {
      partitiontable: { label: string; partitions: { start: number; size: number; type: string; name: string }[]; lastlba: number };
    };
    const parts = table.partitiontable.partitions;
    assert.equal(table.partitiontable.label, 'gpt');
    assert.deepEqual(
      parts.map((p) => [p.name, p.type]),
      [
        ['BIOS', '21686148-6449-6E6F-744E-656564454649'],
        ['ESP', 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'],
        ['boot', '0FC63DAF-8483-4772-8E79-3D69D8477DE4'],
        ['root', '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709'],
      ],
    );
    assert.deepEqual(parts.slice(0, 3).map((p) => p.size), [2048, 255 * 2048, 768 * 2048]);
    for (const p of parts) assert.equal(p.start % 2048, 0, `${p.name} starts on a 1 MiB boundary`);
    for (let i = 1; i < parts.length; i++) assert.equal(parts[i]!.start, parts[i - 1]!.start + parts[i - 1]!.size);
    const root = parts[3]!;
    assert.ok(root.start + root.size - 1 <= table.partitiontable.lastlba, 'root ends before the backup GPT');
    assert.ok(table.partitiontable.lastlba - (root.start + root.size - 1) < 2048 + 34, 'root takes the rest of the disk');
  });

  it('shares what fixed partitions leave between percentages', () => {
    const r = bash('partition_plan "$@"', [String(10 * 1024 ** 3), 'ESP|256M|esp|vfat|/boot/efi|umask=0077', 'root|60%|root|ext4|/|defaults', 'home|40%|home|ext4|/home|defaults']);
    assert.equal(r.code, 0, r.stderr);
    const sizes = [...r.stdout.matchAll(/size=(\d+)/g)].map((m) => Number(m[1]));
    assert.equal(sizes[0], 256 * 2048);
    assert.ok(Math.abs(sizes[1]! / (sizes[1]! + sizes[2]!) - 0.6) < 0.001);
  });

  it('refuses a disk that is too small, a bad size and an unknown type, saying which', () => {
    let r = bash('partition_plan "$@"', [String(512 * 1024 ** 2), ...defaultLayout]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the partitions need 1024 MiB but the disk has 510 MiB/);
    r = bash('partition_plan "$@"', [String(1024 ** 3), 'root|12Q|root|ext4|/|defaults']);
    assert.match(r.stderr, /partition 1: bad size "12Q"/);
    r = bash('partition_plan "$@"', [String(1024 ** 3), 'x|10M|raid|ext4|/x|defaults']);
    assert.match(r.stderr, /partition 1: unknown type "raid"/);
    r = bash('partition_plan "$@"', [String(1024 ** 3), 'a|70%|root|ext4|/|defaults', 'b|40%|home|ext4|/home|defaults']);
    assert.match(r.stderr, /110%/);
  });
});

describe('expand_hostname', () => {
  const expand = (...a: string[]) => bash('expand_hostname "$@"', a).stdout.trim();
  it('puts the DMI serial into the pattern, as a valid host name', () => {
    assert.equal(expand('acme-{serial}', 'PF3X Y9/Z1', '', 'abcd1234'), 'acme-pf3x-y9-z1');
  });
  it('uses the random part when the serial is a vendor placeholder or missing', () => {
    assert.equal(expand('acme-{serial}', 'To be filled by O.E.M.', '', 'abcd1234'), 'acme-abcd1234');
    assert.equal(expand('acme-{serial}', '', '', 'abcd1234'), 'acme-abcd1234');
  });
  it('knows {mac} and {random}, and keeps a plain name as it is', () => {
    assert.equal(expand('ws-{mac}', '', '52:54:00:12:34:56', 'ff'), 'ws-525400123456');
    assert.equal(expand('kiosk-{random}', 'X', '', '0a1b2c3d'), 'kiosk-0a1b2c3d');
    assert.equal(expand('office-pc', 'X', '', 'ff'), 'office-pc');
  });
  it('cuts to 63 characters without a trailing dash', () => {
    const h = expand(`${'a'.repeat(62)}-{serial}`, 'SERIAL', '', 'ff');
    assert.equal(h, 'a'.repeat(62));
  });
});

describe('passphrase_problem', () => {
  const problem = (p: string, min: number) => bash('passphrase_problem "$1" "$2"', [p, String(min)]);
  it('refuses a passphrase shorter than the minimum, and one repeated character', () => {
    assert.equal(problem('short', 8).code, 0);
    assert.match(problem('short', 8).stdout, /at least 8 characters/);
    assert.match(problem('aaaaaaaaaa', 8).stdout, /single character/);
  });
  it('accepts a long enough one', () => {
    assert.deepEqual(problem('correct horse battery', 8), { code: 1, stdout: '', stderr: '' });
  });
});

describe('device names and layers', () => {
  it('names partitions as the kernel does', () => {
    assert.equal(bash('part_device vda 2; part_device nvme0n1 3; part_device mmcblk0 1').stdout, 'vda2\nnvme0n1p3\nmmcblk0p1\n');
  });
  it('stacks the live layers in filesystem.module order, bottom first, skipping comments and blanks', () => {
    const r = bash('live_layers "$1"', [join(fixtures, 'live')]);
    assert.deepEqual(
      r.stdout.trim().split('\n').map((l) => l.slice(l.lastIndexOf('/') + 1)),
      ['00-base.squashfs', '01-packages.squashfs', '02-config.squashfs', '03-installer.squashfs'],
    );
  });
  it('converts sizes in powers of 1024', () => {
    assert.equal(bash('size_to_bytes 512M; size_to_bytes 1.5G; size_to_bytes 2048KiB; size_to_bytes 1').stdout, '536870912\n1610612736\n2097152\n1\n');
  });
  it('names LUKS containers after the partition label', () => {
    assert.equal(bash('crypt_name root; crypt_name "My Data"').stdout, 'root_crypt\nmy_data_crypt\n');
  });
});
