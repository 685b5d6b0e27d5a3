// Issue 7: a qcow2 made by the disk output becomes the base of another build (base.image) that adds a
// package, a file and a kernel argument and is output as a live ISO; the ISO boots and shows all three.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { VirtualMachine } from '../../src/vm/qemu.js';
import { assertBuilt, buildFixture } from '../fixtures/build.js';
import { tempDir } from '../helpers.js';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('a qcow2 customised with a package, a file and a kernel argument becomes a live ISO that boots and shows all three', { timeout: 90 * 60_000 }, async () => {
  const disk = await buildFixture('name: base-image-src\nversion: "1.0"\n', { outputs: [{ type: 'qcow2' }] });
  assertBuilt(disk);
  const qcow2 = disk.outputs['qcow2']?.find((f) => f.endsWith('.qcow2'));
  assert.ok(qcow2, `the first build made a qcow2: ${JSON.stringify(disk.outputs)}`);
  const before = sha256(qcow2);

  const dir = tempDir('golden-base-image-');
  const custom = await buildFixture(
    `name: customised
version: "2.0"
base:
  image: ${qcow2}
packages:
  install: [hello]
files:
  - content: "customised by golden\\n"
    destination: /etc/golden-customised
kernel:
  commandLine: ["console=ttyS0,115200", "golden.custom=yes"]
`,
    { bootable: false, dir, outputs: [{ type: 'iso' }] },
  );
  assertBuilt(custom);
  assert.equal(sha256(qcow2), before, 'the input image is never modified');
  const iso = custom.outputs['iso']?.find((f) => f.endsWith('.iso'));
  assert.ok(iso, `the customised build made an ISO: ${JSON.stringify(custom.outputs)}`);

  const vm = await VirtualMachine.start({ image: iso, firmware: 'bios', memoryMiB: 1536, serialLog: join(dir, 'serial.log') });
  try {
    // the marker unit came with the base image; the image name is the customised one
    await vm.waitFor(/GOLDEN-BOOTED name=customised/, 45 * 60_000);
    await vm.waitFor(/login:|# $/m, 10 * 60_000);
    const from = vm.console.length;
    vm.send('\necho CHECK-FILE=$(cat /etc/golden-customised); echo CHECK-HELLO=$(hello); echo CHECK-CMDLINE=$(cat /proc/cmdline)\n');
    await vm.waitFor(/CHECK-CMDLINE=[^$\r\n]*\r?\n/, 5 * 60_000, from);
    const out = vm.console.slice(from);
    assert.match(out, /CHECK-FILE=customised by golden/);
    assert.match(out, /CHECK-HELLO=Hello, world!/);
    assert.match(out, /CHECK-CMDLINE=.*golden\.custom=yes/);
  } finally {
    await vm.stop();
  }
});
