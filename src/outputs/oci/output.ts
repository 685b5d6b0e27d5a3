// Output `oci`: an OCI image layout (directory, or the same as a .tar archive) with one OCI layer per
// Golden layer, so a registry or a container engine stores the shared base once and a config change
// ships as a small layer. When an upper directory uses overlayfs features OCI cannot express
// (redirect_dir, metacopy), the merged tree becomes one layer instead.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { GoldenConfig, OutputOf } from '../../config/schema.js';
import { run } from '../../exec/run.js';
import { formatBytes, log } from '../../log/logger.js';
import { outputFile } from '../disk/artefact.js';
import type { OutputBuilder, OutputContext, OutputResult } from '../types.js';
import { overlayMarks, writeLayer, type LayerBlob, type OverlayMarks } from './layer-tar.js';

type OciOutput = OutputOf<'oci'>;

const OCI_ARCH: Record<string, { architecture: string; variant?: string }> = {
  amd64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64', variant: 'v8' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v5' },
  i386: { architecture: '386' },
  ppc64el: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
};

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function putBlob(layoutDir: string, data: Buffer): { digest: string; size: number } {
  const hex = sha256(data);
  writeFileSync(join(layoutDir, 'blobs/sha256', hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

export function imageConfig(config: GoldenConfig, output: OciOutput, layers: { diffId: string; step: string }[], created: string): Record<string, unknown> {
  const arch = OCI_ARCH[config.distribution.architecture] ?? { architecture: config.distribution.architecture };
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...output.env };
  const labels = { 'org.opencontainers.image.title': config.name, 'org.opencontainers.image.version': config.version, ...(config.description ? { 'org.opencontainers.image.description': config.description } : {}), ...output.labels };
  const containerConfig: Record<string, unknown> = { Env: Object.entries(env).map(([k, v]) => `${k}=${v}`), Labels: labels };
  if (output.entrypoint) containerConfig['Entrypoint'] = output.entrypoint;
  containerConfig['Cmd'] = output.cmd ?? (output.entrypoint ? [] : ['/bin/bash']);
  return {
    created,
    architecture: arch.architecture,
    ...(arch.variant ? { variant: arch.variant } : {}),
    os: 'linux',
    config: containerConfig,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${l.diffId}`) },
    history: layers.map((l) => ({ created, created_by: `golden ${l.step} step` })),
  };
}

async function build(ctx: OutputContext<'oci'>): Promise<OutputResult> {
  const { config, output } = ctx;
  const layoutDir = join(ctx.workDir, 'layout');
  const work = join(ctx.workDir, 'layers');
  mkdirSync(join(layoutDir, 'blobs/sha256'), { recursive: true });
  mkdirSync(work, { recursive: true });
  const marks: OverlayMarks[] = [];
  let flatten: string | undefined;
  for (const layer of ctx.layers) {
    const m = await overlayMarks(layer.dir);
    if (m.unsound) flatten ??= `layer ${layer.step}: ${m.unsound}`;
    marks.push(m);
  }
  const blobs: (LayerBlob & { step: string })[] = [];
  if (flatten) {
    log.warn(`the OCI image gets one layer (the merged tree): ${flatten}, which OCI layers cannot express`);
    const ns = await ctx.openRoot();
    ctx.cleanup.defer('close the OCI namespace', () => ns.close());
    const blob = await log.step('Packing the merged tree as one OCI layer', async () => {
      const b = await writeLayer(ns.root, work, 'merged', ctx.sourceDateEpoch, undefined);
      return { ...b, detail: formatBytes(b.size) };
    });
    blobs.push({ ...blob, step: 'merged' });
    await ns.close();
  } else {
    for (const [i, layer] of ctx.layers.entries()) {
      const blob = await log.step(`Packing layer ${layer.step} as an OCI layer`, async () => {
        const b = await writeLayer(layer.dir, work, `${i}-${layer.step}`, ctx.sourceDateEpoch, marks[i]);
        return { ...b, detail: formatBytes(b.size) };
      });
      blobs.push({ ...blob, step: layer.step });
    }
  }
  const layerDescriptors = blobs.map((b) => {
    renameSync(b.file, join(layoutDir, 'blobs/sha256', b.digest));
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${b.digest}`, size: b.size };
  });
  const created = new Date(ctx.sourceDateEpoch * 1000).toISOString();
  const configBlob = putBlob(layoutDir, json(imageConfig(config, output, blobs, created)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers: layerDescriptors,
    annotations: { 'org.opencontainers.image.created': created },
  };
  const manifestBlob = putBlob(layoutDir, json(manifest));
  const tag = output.tag ?? (config.version || 'latest');
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifestBlob, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  writeFileSync(join(layoutDir, 'index.json'), json(index));
  writeFileSync(join(layoutDir, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
  const tmp = join(dirname(ctx.outputPath), `.${basename(ctx.outputPath)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  if (output.archive) {
    await run('tar', ['--create', `--file=${tmp}`, '--format=posix', '--sort=name', '--numeric-owner', '--owner=0', '--group=0', `--mtime=@${ctx.sourceDateEpoch}`, '--pax-option=delete=atime,delete=ctime', '--directory', layoutDir, 'oci-layout', 'index.json', 'blobs'], { purpose: 'write the OCI archive' });
  } else {
    renameSync(layoutDir, tmp);
  }
  rmSync(ctx.outputPath, { recursive: true, force: true });
  renameSync(tmp, ctx.outputPath);
  if (output.archive) return { files: [await outputFile(ctx.outputPath)] };
  const total = configBlob.size + manifestBlob.size + layerDescriptors.reduce((n, l) => n + l.size, 0);
  return { files: [{ path: ctx.outputPath, bytes: total, sha256: manifestBlob.digest.slice('sha256:'.length) }] };
}

export const ociOutput: OutputBuilder<'oci'> = {
  type: 'oci',
  defaultFileName: (config, output) => `${output.name ?? config.name}${output.archive ? '.oci.tar' : '.oci'}`,
  requiredTools: () => ['tar', 'getfattr'],
  build,
};
