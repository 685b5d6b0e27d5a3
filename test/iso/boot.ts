// Boot an ISO under QEMU (TCG) to the fixture's marker and a login prompt, then run further checks.
// Timeouts are generous: on a shared 2-core host an emulated live boot can take many minutes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { VirtualMachine, type Firmware } from '../../src/vm/qemu.js';
import { tempDir } from '../helpers.js';

export async function bootToLogin(iso: string, firmware: Firmware, marker: string, check?: (vm: VirtualMachine) => Promise<void>): Promise<void> {
  const vm = await VirtualMachine.start({ image: iso, firmware, memoryMiB: 1536, serialLog: join(tempDir(), `serial-${firmware}.log`) });
  try {
    await vm.waitFor(marker, 45 * 60_000);
    await vm.waitFor(/login:/, 10 * 60_000);
    if (firmware === 'secure-boot') assert.match(vm.console, /secureboot: Secure boot enabled/, 'the kernel runs with Secure Boot enforced');
    if (check) await check(vm);
  } finally {
    await vm.stop();
  }
}
