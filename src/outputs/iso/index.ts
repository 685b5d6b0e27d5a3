// The `iso` output: a hybrid BIOS/UEFI live ISO with Secure Boot, one squashfs per layer, and a signed
// pool on the disc. The work itself is in build.ts and the isobuild steps it shares with `golden iso`.
import { existsSync } from 'node:fs';
import { UserError } from '../../errors.js';
import { installerImagePackages, installerPayloadFiles } from '../../installer/iso-parts.js';
import type { OutputBuilder } from '../types.js';
import { verifyAdditionalFiles } from './additional-files.js';
import { checkBootFiles } from './boot-files.js';
import { liveVendor } from './vendor/index.js';

/** User-space ASLR off while a live initramfs runs, back on before init (see the first file). */
export const LIVE_ASLR_SCRIPTS = ['outputs/iso/payload/00-golden-aslr-off.init-top', 'outputs/iso/payload/golden-aslr-restore.init-bottom'];

export const isoOutput: OutputBuilder<'iso'> = {
  type: 'iso',
  defaultFileName: (config, output) => `${output.name ?? config.name}.iso`,
  requiredTools: (output, config) => {
    const pool = config.iso.pool;
    const needsApt = pool.packages.length > 0 || pool.lists.length > 0;
    return ['mksquashfs', 'xorriso', 'grub-mkimage', 'mkfs.vfat', 'mcopy', 'mmd', ...(needsApt ? ['apt-get', 'apt-cache'] : [])];
  },
  imagePackages: (_output, config) => [...liveVendor(config.distribution.vendor).imagePackages(config.distribution.architecture), ...installerImagePackages(config)],
  installedInitramfsExcludes: (_output, config) => (config.installer ? liveVendor(config.distribution.vendor).liveInitramfsFiles : undefined),
  initramfsFiles: (_output, config) => [...liveVendor(config.distribution.vendor).initramfsFiles, ...(config.iso.initramfsAslr ? [] : LIVE_ASLR_SCRIPTS)],
  payloadFiles: (_output, config) => (config.installer ? installerPayloadFiles() : []),
  verify: (_output, config) => {
    if (config.distribution.architecture !== 'amd64') {
      throw new UserError(`distribution.architecture: the iso output supports amd64 only for now, not "${config.distribution.architecture}"`);
    }
    checkBootFiles(liveVendor(config.distribution.vendor).signedBootFiles(config.distribution.architecture));
    verifyAdditionalFiles(config.iso.additionalFiles);
    for (const list of config.iso.pool.lists) {
      if (!existsSync(list)) throw new UserError(`iso.pool.lists: ${list} does not exist`);
    }
  },
  build: async (ctx) => (await import('./build.js')).buildIso(ctx),
};
