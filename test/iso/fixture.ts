// The ISO every e2e test of the iso output uses: the shared bootable fragment (kernel, serial autologin,
// GOLDEN-BOOTED marker) plus cloud-init, a pool, and the Image Customizer's NoCloud recipe. Built once
// with the real `golden build` on the shared test cache; later callers get the cached output.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, bootableFragment, buildFixture, testCacheDir, type FixtureBuild } from '../fixtures/build.js';
import { repoRoot } from '../helpers.js';

export const ISO_NAME = 'golden-iso-e2e';
export const POOL_PACKAGE = 'hello';

/** The config text; `extra` is appended (a changed file for the rebuild test). */
export function isoConfig(extraFiles = ''): string {
  const data = join(repoRoot, 'test', 'iso', 'data', 'cloud-init-data');
  return `name: ${ISO_NAME}
version: "1.0"
packages:
  install: [cloud-init]
iso:
  pool:
    packages: [${POOL_PACKAGE}]
  additionalFiles:
    ${data}/user-data: /cloud-init-data/user-data
    ${data}/network-config: /cloud-init-data/network-config
    ${data}/meta-data: /cloud-init-data/meta-data
  kernelCommandLine:
    extraCommandLine: ["ds=nocloud"]
scripts:
  postCustomization:
    - content: |
        set -e
        mkdir -p /var/lib/cloud/seed/
        ln -s -T /run/live/medium/cloud-init-data /var/lib/cloud/seed/nocloud
${extraFiles}outputs:
  - type: iso
`;
}

/** Build (or take from the cache) the e2e ISO in a stable directory; returns the build and the ISO path. */
export async function isoFixture(extraFiles = '', tag = 'main'): Promise<{ build: FixtureBuild; iso: string }> {
  const dir = join(testCacheDir(), 'iso-e2e', tag);
  mkdirSync(dir, { recursive: true });
  // The config is rewritten only when it changed: its date is the build's SOURCE_DATE_EPOCH, so an
  // untouched file lets every test file and run take the ISO from the output cache.
  const configPath = join(dir, 'golden.yaml');
  const text = `include: [${JSON.stringify(bootableFragment)}]\n${isoConfig(extraFiles)}`;
  if (!existsSync(configPath) || readFileSync(configPath, 'utf8') !== text) writeFileSync(configPath, text);
  const build = await buildFixture({ path: configPath }, { outputDir: join(dir, 'out') });
  assertBuilt(build);
  const iso = build.outputs['iso']?.find((f) => f.endsWith('.iso'));
  if (!iso || !existsSync(iso)) throw new Error(`the build made no ISO: ${JSON.stringify(build.outputs)}`);
  return { build, iso };
}

/** A file the rebuild test changes: one more file in the image. */
export function changedFile(dir: string, content: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'motd');
  writeFileSync(path, content);
  return `files:\n  - source: ${path}\n    destination: /etc/motd\n`;
}


