// `golden run`: the QEMU command it prints for each firmware, the seed disk it attaches by itself,
// and the one-paragraph errors for what it cannot boot. (Real boots are in the e2e tests.)
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runGolden, tempDir } from '../helpers.js';

describe('golden run', () => {
  const dir = tempDir('golden-run-');
  const image = join(dir, 'web.qcow2');
  writeFileSync(image, '');

  it('--dry-run prints the BIOS command with the image as a snapshot drive', async () => {
    const r = await runGolden(['run', image, '--dry-run', '--memory', '2048', '--cpus', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^qemu-system-x86_64 -machine pc /m);
    assert.match(r.stdout, new RegExp(`-drive file=${image},format=qcow2,if=virtio,snapshot=on`));
    assert.match(r.stdout, /-m 2048 -smp 3/);
    assert.match(r.stdout, /-accel tcg/);
  });

  it('--secure-boot uses the Secure Boot OVMF build with SMM and a private variable store', async () => {
    const r = await runGolden(['run', image, '--secure-boot', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on/);
    assert.match(r.stdout, /OVMF_CODE_4M\.ms\.fd/);
    assert.match(r.stdout, /cp \/usr\/share\/OVMF\/OVMF_VARS_4M\.ms\.fd OVMF_VARS\.fd/);
  });

  it('attaches the cloud-init seed disk written beside the image, and extra disks', async () => {
    writeFileSync(join(dir, 'web-seed.img'), '');
    writeFileSync(join(dir, 'target.qcow2'), '');
    const r = await runGolden(['run', image, '--uefi', '--disk', join(dir, 'target.qcow2'), '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /OVMF_CODE_4M\.fd/);
    assert.match(r.stdout, new RegExp(`-drive file=${join(dir, 'target.qcow2')},format=qcow2,if=virtio`));
    assert.match(r.stdout, new RegExp(`-drive file=${join(dir, 'web-seed.img')},format=raw,if=virtio`));
  });

  it('refuses what it cannot boot, with a hint', async () => {
    const oci = join(dir, 'app.oci');
    mkdirSync(oci);
    const r = await runGolden(['run', oci]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a bootable image/);
    assert.match(r.stderr, /podman run/);
    const missing = await runGolden(['run', join(dir, 'nope.qcow2')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file/);
    assert.doesNotMatch(missing.stderr, /at .*\.js:\d+/);
  });
});
