// The one schema of golden.yaml: source of the TypeScript types, the runtime checks, the committed JSON
// Schema (schema/golden.schema.json) and the reference (docs/config-reference.md). Every object is strict,
// so a misspelt key is an error. Defaults are applied by parsing, so consumers see concrete values.
//
// Paths: in the parsed config returned by loadConfig() every path field is absolute (the loader resolves
// it against the file that named it). `include` and `features` have already been merged in.
import { z } from 'zod';
import { baseSchema, distributionSchema, packagesSchema, repositorySchema } from './schema-base.js';
import { keyboardSchema, obj, slug } from './schema-common.js';
import { installerSchema, isoSchema, outputEntrySchema, storageSchema } from './schema-media.js';
import {
  cloudInitSchema,
  directoryEntrySchema,
  featureRefSchema,
  fileEntrySchema,
  groupEntrySchema,
  kernelSchema,
  scriptsSchema,
  servicesSchema,
  updatesSchema,
  userEntrySchema,
} from './schema-system.js';

export * from './schema-base.js';
export * from './schema-common.js';
export * from './schema-media.js';
export * from './schema-system.js';

export const goldenConfigSchema = obj({
  $schema: z.string().optional().describe('JSON Schema reference for editors; ignored by Golden'),
  name: slug().describe('image name, used in file names, the ISO volume id and .disk/info'),
  version: z.string().regex(/^[A-Za-z0-9.+~_-]+$/, 'letters, digits and ". + ~ _ -"').default('0.1').describe('image version'),
  description: z.string().default('').describe('one line saying what the image is for'),
  sourceDateEpoch: z.number().int().min(0).optional().describe('timestamps are clamped to this (seconds since 1970); default: SOURCE_DATE_EPOCH from the environment, else the config file date'),
  include: z.array(z.string().min(1)).default([]).describe('YAML fragments merged before this file: lists append, maps merge, later scalars win'),
  features: z.array(featureRefSchema).default([]).describe('reusable blocks merged like includes; already applied in the loaded config'),
  distribution: distributionSchema.prefault({}),
  base: baseSchema.default(() => ({ mmdebstrap: { packages: [], options: [] } })),
  repositories: z.array(repositorySchema).default([]).describe('apt repositories besides the distribution'),
  packages: packagesSchema.prefault({}),
  files: z.array(fileEntrySchema).default([]).describe('files put into the image'),
  directories: z.array(directoryEntrySchema).default([]).describe('directories created in the image'),
  users: z.array(userEntrySchema).default([]).describe('user accounts'),
  groups: z.array(groupEntrySchema).default([]).describe('groups'),
  hostname: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, 'a host name: letters, digits and "-"').default('localhost').describe('host name of the image'),
  locale: z.string().default('C.UTF-8').describe('system locale, e.g. en_US.UTF-8 (generated when not C)'),
  timezone: z.string().default('Etc/UTC').describe('time zone, e.g. Europe/Berlin'),
  keyboard: keyboardSchema.optional(),
  services: servicesSchema.prefault({}),
  kernel: kernelSchema.prefault({}),
  updates: updatesSchema.prefault({}),
  scripts: scriptsSchema.prefault({}),
  cloudInit: cloudInitSchema.optional(),
  iso: isoSchema.prefault({}),
  storage: storageSchema.prefault({}),
  installer: installerSchema.optional(),
  outputs: z.array(outputEntrySchema).default([]).describe('what to build: rootfs, tar, iso, raw, qcow2, vmdk, vhd, vhdx, oci'),
}).describe('A Golden image definition (golden.yaml)');

/** The config after loading: defaults applied, paths absolute, includes and features merged. */
export type GoldenConfig = z.infer<typeof goldenConfigSchema>;
/** What a golden.yaml file may contain before defaults are applied. */
export type GoldenConfigInput = z.input<typeof goldenConfigSchema>;
