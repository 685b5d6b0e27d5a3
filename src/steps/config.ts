// The config layer: groups, users, directories, files, hostname, locale, time zone, keyboard, apt sources
// for deployed machines, services, kernel command line, cloud-init seed, then the postCustomization
// scripts in order. When the step touched what goes into an initramfs, the initramfs is rebuilt.
import { readFileSync } from 'node:fs';
import { stringify as yamlStringify } from 'yaml';
import { isGoldenRepository, type GoldenConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { log } from '../log/logger.js';
import { deployedRepositories, goldenArchiveKey } from '../repo/deployed.js';
import { makeImageDirectory, writeImageFile } from './image-files.js';
import { GRUB_DROPIN, KERNEL_CMDLINE_FILE, grubDropin, kernelCommandLine } from './kernel-cmdline.js';
import { buildInstalledInitramfs, initramfsEnv, installedInitramfsExcludes } from './initramfs.js';
import { runScripts, scriptFiles } from './scripts.js';
import type { StepInputs, TreeStepContext } from './types.js';
import { changedInitramfsInputs } from './upper.js';

export type ConfigOptions = Pick<
  GoldenConfig,
  'files' | 'directories' | 'users' | 'groups' | 'hostname' | 'locale' | 'timezone' | 'keyboard' | 'services' | 'kernel' | 'repositories' | 'updates' | 'cloudInit'
> & { postCustomization: GoldenConfig['scripts']['postCustomization']; distributionSources: boolean; image: { name: string; version: string } };

export function configInputs(config: GoldenConfig): StepInputs<ConfigOptions> {
  const files: string[] = [];
  for (const f of config.files) if ('source' in f) files.push(f.source);
  files.push(...scriptFiles(config.scripts.postCustomization));
  for (const r of config.repositories) if (r.use !== 'build') files.push(isGoldenRepository(r) ? goldenArchiveKey(r.golden) : r.key);
  const ci = config.cloudInit;
  if (ci && ci.placement === 'image') for (const doc of [ci.userData, ci.metaData, ci.networkConfig]) if (typeof doc === 'string') files.push(doc);
  const sources = config.updates.sources;
  return {
    options: {
      files: config.files,
      directories: config.directories,
      users: config.users,
      groups: config.groups,
      hostname: config.hostname,
      locale: config.locale,
      timezone: config.timezone,
      keyboard: config.keyboard,
      services: config.services,
      kernel: config.kernel,
      repositories: config.repositories,
      updates: config.updates,
      cloudInit: config.cloudInit,
      postCustomization: config.scripts.postCustomization,
      distributionSources: sources === undefined || sources.includes('distribution'),
      image: { name: config.name, version: config.version },
    },
    files,
  };
}


export async function runConfig(ctx: TreeStepContext<ConfigOptions>): Promise<void> {
  const o = ctx.options;
  const root = ctx.root;

  for (const g of o.groups) {
    await root.sh('getent group "$1" >/dev/null || groupadd ${2:+-g "$2"} "$1"', [g.name, g.gid === undefined ? '' : String(g.gid)], { purpose: `create group ${g.name}` });
  }
  for (const u of o.users) {
    const home = u.home ?? `/home/${u.name}`;
    await root.sh('id "$1" >/dev/null 2>&1 || useradd -m -s "$2" -d "$3" ${4:+-u "$4"} "$1"', [u.name, u.shell, home, u.uid === undefined ? '' : String(u.uid)], { purpose: `create user ${u.name}` });
    for (const g of u.groups) await root.sh('getent group "$1" >/dev/null || groupadd "$1"', [g]);
    if (u.groups.length > 0) await root.chroot('usermod', ['-a', '-G', u.groups.join(','), u.name]);
    if (u.passwordHash) await root.chroot('usermod', ['-p', u.passwordHash, u.name]);
    if (u.sshKeys.length > 0) {
      await makeImageDirectory(root, `${home}/.ssh`, '0700', `${u.name}:`);
      await writeImageFile(root, { path: `${home}/.ssh/authorized_keys`, content: `${u.sshKeys.join('\n')}\n`, mode: '0600', owner: `${u.name}:` });
    }
    if (u.sudo) await writeImageFile(root, { path: `/etc/sudoers.d/golden-${u.name}`, content: `${u.name} ALL=(ALL:ALL) NOPASSWD: ALL\n`, mode: '0440' });
  }
  for (const d of o.directories) await makeImageDirectory(root, d.path, d.mode, d.owner);
  for (const f of o.files) {
    const content = 'source' in f ? readFileSync(f.source) : f.content;
    await writeImageFile(root, { path: f.destination, content, mode: f.mode, owner: f.owner });
  }

  // which image this is, for scripts and support (and the test suite's boot marker)
  await writeImageFile(root, { path: '/etc/golden-release', content: `GOLDEN_IMAGE_NAME=${shellWord(o.image.name)}\nGOLDEN_IMAGE_VERSION=${shellWord(o.image.version)}\n` });
  await writeImageFile(root, { path: '/etc/hostname', content: `${o.hostname}\n` });
  await writeImageFile(root, { path: '/etc/hosts', content: `127.0.0.1\tlocalhost\n127.0.1.1\t${o.hostname}\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n` });
  await configureLocale(ctx);
  await root.sh('[ -e "/usr/share/zoneinfo/$1" ] || { echo "time zone $1 is not in /usr/share/zoneinfo (is tzdata installed?)" >&2; exit 1; }; ln -sf "/usr/share/zoneinfo/$1" /etc/localtime; echo "$1" > /etc/timezone', [o.timezone], { purpose: `set the time zone ${o.timezone}` });
  if (o.keyboard) {
    const k = o.keyboard;
    await writeImageFile(root, { path: '/etc/default/keyboard', content: `XKBMODEL="${k.model ?? 'pc105'}"\nXKBLAYOUT="${k.layout}"\nXKBVARIANT="${k.variant ?? ''}"\nXKBOPTIONS=""\nBACKSPACE="guess"\n` });
  }
  await writeAptSources(ctx);
  if (o.kernel.commandLine.length > 0) {
    await writeImageFile(root, { path: GRUB_DROPIN, content: grubDropin(ctx.config) });
    await writeImageFile(root, { path: KERNEL_CMDLINE_FILE, content: `${kernelCommandLine(ctx.config)}\n` });
  }
  await writeCloudInitSeed(ctx);
  const anyServices = o.services.enable.length + o.services.disable.length + o.services.mask.length > 0;
  if (anyServices && !root.exists('/usr/bin/systemctl') && !root.exists('/bin/systemctl')) {
    throw new UserError(`services (${[...o.services.enable, ...o.services.disable, ...o.services.mask].join(', ')}) need systemd in the image, and it has none`, {
      hint: 'add systemd-sysv to packages.install (a minbase image has no init system)',
    });
  }
  for (const [verb, units] of [['enable', o.services.enable], ['disable', o.services.disable], ['mask', o.services.mask]] as const) {
    if (units.length > 0) await root.chroot('systemctl', [verb, ...units], { purpose: `systemctl ${verb} ${units.join(' ')}` });
  }
  await runScripts(ctx, o.postCustomization, 'postCustomization');

  const touched = changedInitramfsInputs(ctx.upper);
  if (touched.length > 0 && root.exists('/usr/sbin/update-initramfs')) {
    log.verbose(`initramfs inputs changed (${touched.slice(0, 3).join(', ')}): updating the initramfs`);
    const installed = installedInitramfsExcludes(ctx);
    await Promise.all([
      root.chroot('update-initramfs', ['-u', '-k', 'all'], { purpose: 'update the initramfs', env: await initramfsEnv(ctx) }),
      installed ? buildInstalledInitramfs(ctx, installed) : undefined,
    ]);
  }
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9._+~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function configureLocale(ctx: TreeStepContext<ConfigOptions>): Promise<void> {
  const locale = ctx.options.locale;
  if (!/^(C|POSIX)(\..*)?$/.test(locale)) {
    await ctx.root.sh(
      'charset=${1#*.}; [ "$charset" != "$1" ] || charset=UTF-8; grep -q "^$1 " /usr/share/i18n/SUPPORTED || { echo "unknown locale $1" >&2; exit 1; }; grep "^$1 " /usr/share/i18n/SUPPORTED | head -n1 > /etc/locale.gen; locale-gen',
      [locale],
      { purpose: `generate the locale ${locale}` },
    );
  }
  await writeImageFile(ctx.root, { path: '/etc/default/locale', content: `LANG=${locale}\n` });
}

/** deb822 sources for deployed machines, each with its key as Signed-By (the key inline). */
async function writeAptSources(ctx: TreeStepContext<ConfigOptions>): Promise<void> {
  if (!ctx.options.distributionSources) await writeImageFile(ctx.root, { path: '/etc/apt/sources.list', content: '# Golden: the distribution sources are not kept on deployed machines (updates.sources)\n' });
  for (const r of deployedRepositories(ctx.config)) {
    const keyText = readFileSync(r.keyFile);
    const armoured = keyText.subarray(0, 5).toString() === '-----';
    const keyPath = `/etc/apt/keyrings/golden-${r.name}.${armoured ? 'asc' : 'gpg'}`;
    await writeImageFile(ctx.root, { path: keyPath, content: keyText });
    const text = [`# Written by Golden from repositories (${r.name})`, 'Types: deb', `URIs: ${r.uri}`, `Suites: ${r.suites.join(' ')}`, ...(r.flat ? [] : [`Components: ${r.components.join(' ')}`]), `Signed-By: ${keyPath}`, ''].join('\n');
    await writeImageFile(ctx.root, { path: r.sourcesPath, content: text });
  }
}

async function writeCloudInitSeed(ctx: TreeStepContext<ConfigOptions>): Promise<void> {
  const ci = ctx.options.cloudInit;
  if (!ci || ci.placement !== 'image') return;
  const dir = '/var/lib/cloud/seed/nocloud';
  const docs: [string, unknown, string][] = [
    ['user-data', ci.userData, '#cloud-config\n'],
    ['meta-data', ci.metaData ?? { 'instance-id': `${ctx.config.name}-${ctx.config.version}` }, ''],
    ['network-config', ci.networkConfig, ''],
  ];
  for (const [name, doc, header] of docs) {
    if (doc === undefined) continue;
    const content = typeof doc === 'string' ? readFileSync(doc) : `${header}${yamlStringify(doc)}`;
    await writeImageFile(ctx.root, { path: `${dir}/${name}`, content, mode: '0600' });
  }
}
