// What the config step does inside the image: files, users, services, updates, scripts, features, cloud-init.
import { z } from 'zod';
import { fileMode, filePath, imagePath, obj, owner } from './schema-common.js';

const fileCommon = {
  destination: imagePath().describe('absolute path of the file in the image'),
  mode: fileMode('0644').describe('file mode as a quoted octal string (default "0644")'),
  owner: owner().describe('owner as "user:group" (default "root:root"); the user and group must exist in the image'),
};
export const fileEntrySchema = z
  .union([
    obj({ source: filePath().describe('file on the build machine to copy'), ...fileCommon }),
    obj({ content: z.string().describe('the file content, written as given'), ...fileCommon }),
  ])
  .describe('a file put into the image, from a path (source) or inline (content)');
export type FileEntry = z.infer<typeof fileEntrySchema>;

export const directoryEntrySchema = obj({
  path: imagePath().describe('absolute path of the directory in the image; parents are created too'),
  mode: fileMode('0755').describe('directory mode as a quoted octal string (default "0755")'),
  owner: owner().describe('owner as "user:group" (default "root:root")'),
}).describe('a directory created in the image');
export type DirectoryEntry = z.infer<typeof directoryEntrySchema>;

const unixName = () => z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/, 'a user or group name: lower case letters, digits, "_" and "-"');

export const userEntrySchema = obj({
  name: unixName().describe('login name'),
  uid: z.number().int().min(0).optional().describe('numeric user id; default: the next free one'),
  groups: z.array(unixName()).default([]).describe('supplementary groups (created when missing)'),
  passwordHash: z
    .string()
    .regex(/^(\$[0-9a-z]+\$|!|\*)/, 'a crypt(3) hash as made by `mkpasswd -m yescrypt` or `openssl passwd -6`, or "!" for no password')
    .optional()
    .describe('crypt(3) password hash; default: password login disabled'),
  sshKeys: z.array(z.string().min(1)).default([]).describe('SSH public keys for ~/.ssh/authorized_keys'),
  sudo: z.boolean().default(false).describe('allow sudo without password (a file in /etc/sudoers.d)'),
  shell: z.string().default('/bin/bash').describe('login shell (default /bin/bash)'),
  home: z.string().optional().describe('home directory; default /home/NAME'),
}).describe('a user account in the image');
export type UserEntry = z.infer<typeof userEntrySchema>;

export const groupEntrySchema = obj({
  name: unixName().describe('group name'),
  gid: z.number().int().min(0).optional().describe('numeric group id; default: the next free one'),
}).describe('a group in the image');
export type GroupEntry = z.infer<typeof groupEntrySchema>;

export const servicesSchema = obj({
  enable: z.array(z.string().min(1)).default([]).describe('systemd units to enable'),
  disable: z.array(z.string().min(1)).default([]).describe('systemd units to disable'),
  mask: z.array(z.string().min(1)).default([]).describe('systemd units to mask'),
}).describe('systemd units to enable, disable or mask');
export type ServicesConfig = z.infer<typeof servicesSchema>;

export const kernelSchema = obj({
  commandLine: z.array(z.string().min(1)).default([]).describe('kernel arguments added for every output, e.g. ["console=ttyS0"]'),
}).describe('kernel settings');
export type KernelConfig = z.infer<typeof kernelSchema>;

export const unattendedSchema = obj({
  enabled: z.boolean().default(false).describe('install and enable unattended-upgrades (the unattended-upgrades feature sets this)'),
  origins: z
    .array(z.string().min(1))
    .default([])
    .describe('Unattended-Upgrade::Origins-Pattern entries, e.g. "origin=Golden"; default: the distribution, its security suite and every Golden repository'),
  reboot: obj({
    enabled: z.boolean().default(false).describe('reboot automatically when an upgrade needs it'),
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'write a time as "HH:MM", e.g. "02:00"').default('02:00').describe('when to reboot, "HH:MM" local time'),
  })
    .prefault({})
    .describe('automatic reboot window'),
}).describe('automatic upgrades on deployed machines');

export const updatesSchema = obj({
  unattended: unattendedSchema.prefault({}),
  sources: z
    .array(z.string().min(1))
    .optional()
    .describe('names of repositories (plus "distribution") whose apt sources stay on deployed machines; default: the distribution and every repository with use image or both'),
}).describe('how deployed machines receive updates');
export type UpdatesConfig = z.infer<typeof updatesSchema>;

const scriptCommon = {
  name: z.string().optional().describe('label shown in the progress display and the log'),
  interpreter: z.string().default('/bin/sh').describe('interpreter inside the image (default /bin/sh)'),
  environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string()).default({}).describe('environment variables for the script'),
};
export const scriptEntrySchema = z
  .union([
    obj({ path: filePath().describe('script file on the build machine'), ...scriptCommon }),
    obj({ content: z.string().min(1).describe('the script text'), ...scriptCommon }),
  ])
  .describe('a script run in the image chroot');
export type ScriptEntry = z.infer<typeof scriptEntrySchema>;

export const scriptsSchema = obj({
  postCustomization: z.array(scriptEntrySchema).default([]).describe('scripts run, in order, at the end of the config step'),
  finalize: z.array(scriptEntrySchema).default([]).describe('scripts run, in order, in the finalize step before clean-up'),
}).describe('scripts run inside the image chroot');
export type ScriptsConfig = z.infer<typeof scriptsSchema>;

export const featureRefSchema = z
  .union([
    z.string().min(1).describe('a built-in feature name or a path to a feature directory'),
    obj({
      name: z.string().min(1).describe('a built-in feature name or a path to a feature directory'),
      with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}).describe("the feature's parameters"),
    }),
  ])
  .describe('a feature: a built-in name (ssh-server, cloud-init, unattended-upgrades, devuser, growroot, live), a feature directory, or {name, with}');
export type FeatureRef = z.infer<typeof featureRefSchema>;

const cloudDoc = (what: string) =>
  z.union([filePath(), z.record(z.string(), z.unknown())]).optional().describe(`${what}: a file path, or the document inline as YAML`);
export const cloudInitSchema = obj({
  userData: cloudDoc('cloud-init user-data (#cloud-config)'),
  metaData: cloudDoc('NoCloud meta-data'),
  networkConfig: cloudDoc('NoCloud network-config'),
  placement: z
    .enum(['image', 'seed-disk'])
    .default('image')
    .describe('image: the NoCloud seed goes in /var/lib/cloud/seed/nocloud; seed-disk: a separate "cidata" disk beside each disk output'),
}).describe('NoCloud seed for cloud-init (add the cloud-init feature to install it)');
export type CloudInitConfig = z.infer<typeof cloudInitSchema>;
