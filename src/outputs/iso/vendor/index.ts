import { debianVendor } from './debian.js';
import type { LiveVendor } from './types.js';
import { ubuntuVendor } from './ubuntu.js';

export function liveVendor(name: 'debian' | 'ubuntu'): LiveVendor {
  return name === 'ubuntu' ? ubuntuVendor : debianVendor;
}
export type { LiveVendor } from './types.js';
