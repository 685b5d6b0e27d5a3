// A golden.yaml with an installer section, a company repository with its own key and a passphrase file,
// written into a temporary directory for the installer tests.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey } from '../../src/repo/signing.js';

export const COMPANY_URL = 'http://archive.acme.example/acme';
export const PASSPHRASE = 'golden test passphrase';
// `openssl passwd -6 -salt goldensalt tech`
export const PASSWORD_HASH = '$6$goldensalt$OUbTgmWVBy1G5id89hx6WJ2T2r5E.LtqserhquFi73sBjc9ncRVgRd2U6/EPhHJE8u1icEfzv8kokzqBgbz9J0';

export interface InstallerFixture {
  dir: string;
  configPath: string;
  publicKey: string;
}

export interface InstallerConfigOptions {
  /** The installer section as YAML text (default: unattended, encrypted, passphrase from a file). */
  installer?: string;
  /** More YAML appended at the end. */
  extra?: string;
  /** Leave out the kernel command line (when an included fragment sets it). */
  noKernel?: boolean;
}

/**
 * The company archive's public key, made once and kept in the test cache: the key is an input of the
 * image's config layer, so a fresh key per run would rebuild that layer and the ISO every time.
 */
async function companyKey(): Promise<string> {
  const dir = process.env['GOLDEN_TEST_CACHE'] ?? '/var/tmp/golden-test-cache';
  const file = join(dir, 'installer-acme.asc');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const key = await generateSigningKey({ name: 'ACME archive' });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.${process.pid}`, key.publicArmored);
  renameSync(`${file}.${process.pid}`, file);
  return key.publicArmored;
}

/** Write golden.yaml (plus key and passphrase files) into dir. */
export async function writeInstallerConfig(dir: string, opts: InstallerConfigOptions = {}): Promise<InstallerFixture> {
  const { text, publicKey } = await installerConfigText(dir, opts);
  const configPath = join(dir, 'golden.yaml');
  writeFileSync(configPath, text);
  return { dir, configPath, publicKey };
}

/** The config text, with the key and passphrase files it names written into dir. */
export async function installerConfigText(dir: string, opts: InstallerConfigOptions = {}): Promise<{ text: string; publicKey: string }> {
  const publicArmored = await companyKey();
  writeFileSync(join(dir, 'acme.asc'), publicArmored);
  writeFileSync(join(dir, 'passphrase.txt'), `${PASSPHRASE}\n`);
  const installer =
    opts.installer ??
    [
      'installer:',
      '  mode: unattended',
      '  hostname: acme-{serial}',
      '  encryption:',
      '    enabled: true',
      '    passphrase: {file: passphrase.txt}',
      '  user:',
      '    name: tech',
      `    passwordHash: '${PASSWORD_HASH}'`,
      '  reboot: false',
    ].join('\n');
  const yaml = [
    'name: acme-desktop',
    'version: "1.0"',
    'repositories:',
    '  - name: acme',
    `    url: ${COMPANY_URL}`,
    '    suites: [bookworm]',
    '    components: [main]',
    '    key: acme.asc',
    '    use: image',
    'updates:',
    '  unattended:',
    '    enabled: true',
    ...(opts.noKernel ? [] : ['kernel:', '  commandLine: [console=tty0, "console=ttyS0,115200"]']),
    installer,
    opts.extra ?? '',
    '',
  ].join('\n');
  return { text: yaml, publicKey: publicArmored };
}
