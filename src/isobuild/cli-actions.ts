// What each `golden iso STEP` command does with its options: translate isobuild's flags into the step
// functions shared with the iso output.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, UserError } from '../errors.js';
import { log } from '../log/logger.js';
import { capitalise, diskInfoLine } from '../outputs/iso/disk-info.js';
import { type AptSource, parsePackageList } from '../outputs/iso/pool.js';
import { cacheRootOf } from '../outputs/squashfs.js';
import { hostAptSources, hostMirror } from './host-mirror.js';
import { findArtifacts, generatePoolStep, generateSourcesStep, initStep, installLiveFiles, makeBootableStep, makeIsoStep, setupAptStep } from './steps.js';
import { saveWorkState, stateFor, workDirPaths } from './workdir.js';

type Opts = Record<string, unknown>;

function str(o: Opts, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = o[n];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

function epochNow(): number {
  const sde = process.env['SOURCE_DATE_EPOCH'];
  return sde && /^\d+$/.test(sde) ? Number(sde) : Math.floor(Date.now() / 1000);
}

/** "Golden 1.0 - Daily amd64 (20260101)" → its project and version words. */
export function parseDiskInfo(line: string): { capProject: string; version: string; official: boolean } {
  const m = /^(.*?) (\S+) - (Daily|Release)\b/.exec(line);
  if (m) return { capProject: m[1]!, version: m[2]!, official: m[3] === 'Release' };
  const [capProject = 'Golden', version = '0.1'] = line.split(/\s+/);
  return { capProject, version, official: false };
}

export async function runIsoStep(step: string, o: Opts): Promise<void> {
  const dir = str(o, 'workDir', 'workdir');
  if (!dir) throw new UsageError(`golden iso ${step} needs a work directory`, { hint: 'give --work-dir DIR before the step name' });
  const w = workDirPaths(dir);
  switch (step) {
    case 'init': {
      const epoch = epochNow();
      const explicit = str(o, 'diskId', 'diskInfo');
      const arch = str(o, 'arch')!;
      const fromFlags = { capProject: capitalise(str(o, 'project') ?? 'golden'), version: str(o, 'imageVersion') ?? '0.1', official: o['official'] === true };
      const id = explicit ? parseDiskInfo(explicit) : fromFlags;
      const line = explicit ?? diskInfoLine({ ...id, arch, epoch });
      await initStep(w, { diskInfo: line, ...id, series: str(o, 'series')!, arch, vendor: (str(o, 'vendor') ?? 'debian') as 'debian' | 'ubuntu', sourceDateEpoch: epoch });
      log.success(`work directory ready: ${w.root}`);
      return;
    }
    case 'setup-apt': {
      const state = stateFor(w, 'setup-apt');
      const chroot = str(o, 'chroot');
      const keyringFor = (root: string) => {
        const own = join(root, 'usr/share/keyrings', `${state.vendor}-archive-keyring.gpg`);
        return str(o, 'keyring') ?? (existsSync(own) ? own : `/usr/share/keyrings/${state.vendor}-archive-keyring.gpg`);
      };
      let sources: AptSource[];
      if (chroot) {
        if (!existsSync(join(chroot, 'etc/apt'))) throw new UserError(`setup-apt --chroot: ${chroot} has no etc/apt`);
        sources = hostAptSources(join(chroot, 'etc/apt')).map((s) => ({ ...s, signedBy: keyringFor(chroot) }));
      } else {
        const components = (o['components'] as string[] | undefined) ?? ['main'];
        const suites = (o['suites'] as string[] | undefined) ?? [state.series];
        sources = [{ uri: str(o, 'mirror') ?? hostMirror(state.series), suites, components, signedBy: keyringFor('/') }];
      }
      await setupAptStep(w, sources);
      log.success('apt state ready');
      return;
    }
    case 'generate-pool': {
      stateFor(w, 'generate-pool');
      const file = str(o, 'packageListFile');
      const names = [...(file ? parsePackageList(readFileSync(file, 'utf8')) : []), ...((o['package'] as string[] | undefined) ?? [])];
      if (names.length === 0) throw new UsageError('generate-pool needs packages', { hint: 'give --package-list-file FILE or --package NAME...' });
      const n = await generatePoolStep(w, names, join(cacheRootOf(''), 'debs', 'iso-pool'));
      log.success(`pool: ${n} packages, signed`);
      return;
    }
    case 'generate-sources':
      process.stdout.write(generateSourcesStep(w, str(o, 'mountpoint')));
      return;
    case 'add-live-filesystem': {
      stateFor(w, 'add-live-filesystem');
      const files = findArtifacts(str(o, 'artifactPrefix')!);
      installLiveFiles(w, files);
      log.success(`live filesystem: ${files.layers.length} layers`);
      return;
    }
    case 'make-bootable': {
      const state = stateFor(w, 'make-bootable');
      const cap = str(o, 'capitalizedProject', 'capproject') ?? (str(o, 'project') ? capitalise(str(o, 'project')!) : undefined);
      if (cap) {
        state.capProject = cap;
        saveWorkState(w, state);
      }
      const subarch = str(o, 'subarch');
      if (subarch) log.warn(`make-bootable: --subarch ${subarch} has no effect on ${state.arch}`);
      const timeout = Number(str(o, 'timeout') ?? '3');
      if (!Number.isInteger(timeout) || timeout < 0) throw new UsageError(`make-bootable: --timeout must be a whole number of seconds, not "${String(o['timeout'])}"`);
      await makeBootableStep(w, { title: `${state.capProject} ${state.version}`, kernelArguments: (o['kernelArg'] as string[] | undefined) ?? [], timeoutSeconds: timeout });
      log.success('bootable: BIOS, UEFI and Secure Boot');
      return;
    }
    case 'make-iso': {
      const r = await makeIsoStep(w, { dest: str(o, 'dest')!, volumeId: str(o, 'volId', 'volid') });
      log.success(`${r.path} (sha256 ${r.sha256.slice(0, 16)}…)`);
      return;
    }
    default:
      throw new UsageError(`unknown step ${step}`);
  }
}

