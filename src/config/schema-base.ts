// Where the image comes from: distribution, base layer, apt repositories, packages.
import { z } from 'zod';
import { filePath, obj, slug } from './schema-common.js';

export const VENDORS = ['debian', 'ubuntu'] as const;

export const distributionSchema = obj({
  vendor: z.enum(VENDORS).default('debian').describe('distribution family: debian or ubuntu'),
  suite: z.string().min(1).default('bookworm').describe('release code name, e.g. bookworm, trixie, noble'),
  architecture: z.string().min(1).default('amd64').describe('Debian architecture of the image, e.g. amd64'),
  components: z.array(z.string().min(1)).min(1).default(['main']).describe('archive components, e.g. [main, contrib, non-free-firmware]'),
  mirror: z
    .url()
    .optional()
    .describe("archive URL; default: the mirror the build machine's own apt configuration uses for this vendor"),
  securitySuite: z
    .union([z.boolean(), z.string().min(1)])
    .default(true)
    .describe('security updates suite: true for SUITE-security, false for none, or an explicit suite name'),
  securityMirror: z
    .url()
    .optional()
    .describe("URL for the security suite; default: the host's apt configuration's security source, else the main mirror"),
  updatesSuite: z
    .union([z.boolean(), z.string().min(1)])
    .default(true)
    .describe('stable updates suite: true for SUITE-updates, false for none, or an explicit suite name'),
  keyring: filePath().optional().describe("keyring file that signs the mirror; default: the vendor's archive keyring on the host"),
  variant: z
    .enum(['extract', 'custom', 'essential', 'apt', 'required', 'minbase', 'buildd', 'important', 'debootstrap', 'standard'])
    .default('minbase')
    .describe('mmdebstrap variant of the base layer'),
}).describe('the distribution the image is made from');
export type DistributionConfig = z.infer<typeof distributionSchema>;

export const mmdebstrapBaseSchema = obj({
  packages: z.array(z.string().min(1)).default([]).describe('extra packages installed in the base layer itself (rarely needed: prefer packages.install)'),
  options: z.array(z.string()).default([]).describe('extra mmdebstrap command-line options, passed as given'),
}).describe('make the base layer with mmdebstrap from distribution (the default)');

export const baseSchema = z
  .union([
    obj({ mmdebstrap: mmdebstrapBaseSchema }),
    obj({ rootfs: filePath().describe('root filesystem tarball (.tar, .tar.gz, .tar.xz, .tar.zst) used as the base layer') }),
    obj({ image: filePath().describe('existing image used as the base layer: qcow2, raw, vmdk, vhd, vhdx, a Golden ISO or an OCI archive') }),
  ])
  .describe('what the base layer is: mmdebstrap (default), a rootfs tarball, or an existing image');
export type BaseConfig = z.infer<typeof baseSchema>;

export const REPOSITORY_USES = ['build', 'image', 'both'] as const;
const repositoryUse = z
  .enum(REPOSITORY_USES)
  .default('both')
  .describe('build: only while building; image: only in the apt sources of the image; both (default)');

export const goldenRepositorySchema = obj({
  name: slug().describe('short name; used for the sources file name and referenced by packages.metapackage.archive and updates.sources'),
  golden: filePath().describe('a Golden archive directory made by `golden init` / `golden repo`; its public key becomes Signed-By'),
  distribution: z.string().min(1).optional().describe("archive distribution to use; default: the archive's default distribution"),
  components: z.array(z.string().min(1)).optional().describe("components; default: the archive's components"),
  deployedUrl: z.url().optional().describe('the URL deployed machines use for this archive (its published http(s) address)'),
  use: repositoryUse,
}).describe('the company archive made by Golden');

export const aptRepositorySchema = obj({
  name: slug().describe('short name; used for the sources file name and referenced by updates.sources'),
  url: z.url().describe('archive URL used at build time'),
  deployedUrl: z.url().optional().describe('archive URL deployed machines use, when it differs from url'),
  suites: z.array(z.string().min(1)).min(1).describe('suites, e.g. [bookworm]; a suite ending in "/" is a flat repository'),
  components: z.array(z.string().min(1)).default(['main']).describe('components, e.g. [main]'),
  key: filePath().describe('the OpenPGP public key (armoured or binary) that signs the repository; becomes Signed-By'),
  use: repositoryUse,
}).describe('another apt repository');

export const repositorySchema = z.union([goldenRepositorySchema, aptRepositorySchema]).describe('an apt repository: a Golden archive ({name, golden}) or any other ({name, url, suites, key})');
export type GoldenRepositoryConfig = z.infer<typeof goldenRepositorySchema>;
export type AptRepositoryConfig = z.infer<typeof aptRepositorySchema>;
export type RepositoryConfig = z.infer<typeof repositorySchema>;
export function isGoldenRepository(r: RepositoryConfig): r is GoldenRepositoryConfig {
  return 'golden' in r;
}

export const metapackageSchema = obj({
  name: z.string().regex(/^[a-z0-9][a-z0-9.+-]+$/, 'a Debian package name: lower case, digits, ".", "+", "-"').describe('name of the metapackage'),
  archive: slug().optional().describe('name of the Golden repository (under repositories) to publish it to; default: the only one'),
  distribution: z.string().min(1).optional().describe("archive distribution to publish to; default: the archive's default"),
  version: z.string().optional().describe('package version; default: derived from the list content so a change yields a higher version'),
}).describe('turn packages.install (and lists) into a metapackage in the company archive, and install that');

export const packagesSchema = obj({
  install: z.array(z.string().min(1)).default([]).describe('packages to install (apt syntax: name, name=version, name/suite)'),
  remove: z.array(z.string().min(1)).default([]).describe('packages to purge after installing'),
  lists: z.array(filePath()).default([]).describe('files listing packages to install, one per line, "#" starts a comment'),
  metapackage: metapackageSchema.optional(),
}).describe('packages to install and remove');
export type PackagesConfig = z.infer<typeof packagesSchema>;
export type MetapackageConfig = z.infer<typeof metapackageSchema>;
