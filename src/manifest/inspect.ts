// `golden inspect IMAGE`: what an image is made of, read back from the image itself.
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { log } from '../log/logger.js';
import { readImageMetadata, type ImageMetadata } from './read.js';

export interface InspectOptions {
  json?: boolean;
  config?: boolean;
  sbom?: boolean;
  packages?: boolean;
}

function summary(path: string, m: ImageMetadata, withPackages: boolean): string {
  const lines: string[] = [];
  lines.push(`image:      ${path} (${m.kind})`);
  if (m.manifest) {
    const x = m.manifest;
    lines.push(`name:       ${x.image.name} ${x.image.version}${x.image.description ? ` — ${x.image.description}` : ''}`);
    lines.push(`built by:   Golden ${x.golden.version} at ${x.created}`);
    lines.push(`base:       ${x.distribution.vendor} ${x.distribution.suite} ${x.distribution.architecture}`);
    lines.push('layers:');
    for (const l of x.layers) lines.push(`  ${l.step.padEnd(10)} key ${l.key.slice(0, 16)}…  content sha256 ${l.sha256}`);
  } else {
    lines.push('manifest:   none (this image was not made by Golden)');
  }
  if (m.os.prettyName) lines.push(`os:         ${m.os.prettyName}`);
  lines.push(`packages:   ${m.packages.length}`);
  if (withPackages) for (const p of m.packages) lines.push(`  ${p.name} ${p.version} ${p.architecture}`);
  lines.push(`config:     ${m.configYaml !== undefined ? 'present (golden inspect --config)' : 'absent'}`);
  lines.push(`sbom:       ${m.sbom !== undefined ? 'CycloneDX 1.5 (golden inspect --sbom)' : 'absent'}`);
  return `${lines.join('\n')}\n`;
}

export async function inspectCommand(image: string, opts: InspectOptions): Promise<number> {
  // `golden inspect … | head` closes the pipe early: that is the reader's choice, not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const m = await readImageMetadata(resolve(image));
  if (opts.config) {
    if (m.configYaml === undefined) throw new UserError(`${image} carries no Golden config`, { hint: 'only images built by Golden carry /usr/share/golden/golden.yaml' });
    process.stdout.write(m.configYaml);
    return 0;
  }
  if (opts.sbom) {
    if (m.sbom === undefined) throw new UserError(`${image} carries no SBOM`, { hint: 'only images built by Golden carry /usr/share/golden/sbom.cdx.json' });
    process.stdout.write(`${JSON.stringify(m.sbom, null, 2)}\n`);
    return 0;
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ image: resolve(image), ...m }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(summary(image, m, opts.packages === true));
  if (!m.manifest) log.verbose('no /usr/share/golden/manifest.json in the image; packages were read from its dpkg database');
  return 0;
}
