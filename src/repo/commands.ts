// The actions of `golden repo …` (cli/repo.ts parses the arguments and imports this lazily).
import { createInterface } from 'node:readline/promises';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { UsageError, UserError } from '../errors.js';
import { interruptSignal } from '../lifecycle.js';
import { log } from '../log/logger.js';
import { type Archive, defaultArchiveDir, getDist, loadState, openArchive } from './archive.js';
import { type DistOptions, addDist, addFiles, listPackages, mutate, removePackages } from './ops.js';
import type { PublishResult } from './publish.js';

export interface RepoGlobals {
  archive?: string;
  wait?: string;
  json?: boolean;
  publish?: boolean;
}

function archiveOf(g: RepoGlobals): Archive {
  return openArchive(g.archive ?? defaultArchiveDir());
}

function waitSeconds(g: RepoGlobals): number {
  const w = Number(g.wait ?? '10');
  if (!Number.isFinite(w) || w < 0) throw new UsageError(`--wait: "${g.wait}" is not a number of seconds`);
  return w;
}

function emit(g: RepoGlobals, data: unknown, human: () => void): void {
  if (g.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else human();
}

function publishedNote(p: PublishResult | undefined): string {
  return p ? ` and published (generation ${p.generation})` : ' (not published: run `golden repo publish`)';
}

export async function cmdAddDist(g: RepoGlobals, name: string, o: DistOptions): Promise<void> {
  const a = archiveOf(g);
  const { published } = await mutate(a, { waitSeconds: waitSeconds(g), publish: g.publish !== false }, (state) => {
    addDist(state, name, o);
    return { changed: true, result: undefined };
  });
  emit(g, { dist: name, published: published?.generation ?? null }, () => log.success(`distribution ${name} created${publishedNote(published)}`));
}

export async function cmdRemoveDist(g: RepoGlobals, name: string, yes: boolean): Promise<void> {
  const a = archiveOf(g);
  const count = getDist(loadState(a), name).packages.length;
  if (!yes) {
    if (!process.stdin.isTTY) throw new UsageError(`removing distribution ${name} (${count} package(s)) needs confirmation`, { hint: 'add --yes' });
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Remove distribution ${name} and its ${count} package(s)? [y/N] `, { signal: interruptSignal });
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw new UserError('nothing removed', { exitCode: 1 });
  }
  const { published } = await mutate(a, { waitSeconds: waitSeconds(g), publish: g.publish !== false }, (state) => {
    getDist(state, name);
    delete state.dists[name];
    return { changed: true, result: undefined };
  });
  emit(g, { removed: name, packages: count, published: published?.generation ?? null }, () => log.success(`distribution ${name} removed${publishedNote(published)}`));
}

export async function cmdAdd(g: RepoGlobals, dist: string, files: string[], o: { component?: string; allowUploader?: string[] }): Promise<void> {
  const a = archiveOf(g);
  const allowed = o.allowUploader?.map((p) => {
    try {
      return new Uint8Array(readFileSync(p));
    } catch {
      throw new UserError(`cannot read uploader key ${p}`);
    }
  });
  const { result, published } = await mutate(a, { waitSeconds: waitSeconds(g), publish: g.publish !== false }, (state) =>
    addFiles(a, state, dist, files, { component: o.component, allowedUploaders: allowed }),
  );
  emit(g, { ...result, published: published?.generation ?? null }, () => {
    for (const r of result.replaced) log.verbose(`replaced ${r.name} ${r.version} (${r.architecture})`);
    if (result.added.length === 0) log.info(`nothing to add: ${result.unchanged} package(s) already in ${dist}`);
    else log.success(`added ${result.added.length} package(s) to ${dist}${result.unchanged ? `, ${result.unchanged} already there` : ''}${publishedNote(published)}`);
  });
}

export async function cmdRemove(g: RepoGlobals, dist: string, specs: string[]): Promise<void> {
  const a = archiveOf(g);
  const { result, published } = await mutate(a, { waitSeconds: waitSeconds(g), publish: g.publish !== false }, (state) => removePackages(state, dist, specs));
  emit(g, { ...result, published: published?.generation ?? null }, () =>
    log.success(`removed ${result.removed.map((r) => `${r.name} ${r.version} (${r.architecture})`).join(', ')} from ${dist}${publishedNote(published)}`),
  );
}

export async function cmdList(g: RepoGlobals, dist: string | undefined): Promise<void> {
  const rows = listPackages(loadState(archiveOf(g)), dist);
  emit(g, rows, () => {
    const w = (k: keyof (typeof rows)[number]) => Math.max(4, ...rows.map((r) => r[k].length));
    const [wd, wn, wv] = [w('dist'), w('name'), w('version')];
    for (const r of rows) process.stdout.write(`${r.dist.padEnd(wd)}  ${r.name.padEnd(wn)}  ${r.version.padEnd(wv)}  ${r.architecture}  ${r.component}\n`);
    if (rows.length === 0) log.info('no packages');
  });
}

export async function cmdMetapackage(
  g: RepoGlobals,
  dist: string,
  name: string,
  o: { depends?: string[]; recommends?: string[]; fromFile?: string; description?: string; maintainer?: string; component?: string },
): Promise<void> {
  if (!o.depends?.length && !o.fromFile && !o.recommends?.length) throw new UsageError('give the dependencies with --depends "a, b" and/or --from-file LIST');
  const a = archiveOf(g);
  const { addMetapackage } = await import('./metapackage-op.js');
  const { result, published } = await mutate(a, { waitSeconds: waitSeconds(g), publish: g.publish !== false }, (state) => addMetapackage(a, state, dist, name, o));
  emit(g, { ...result, published: published?.generation ?? null }, () =>
    result.changed ? log.success(`${name} ${result.version} built and added to ${dist}${publishedNote(published)}`) : log.info(`${name} ${result.version} is unchanged (same dependencies): no new version`),
  );
}

export async function cmdPublish(g: RepoGlobals): Promise<void> {
  const a = archiveOf(g);
  const { publishArchive } = await import('./publish.js');
  const { lockArchive } = await import('./archive.js');
  const lock = await lockArchive(a, waitSeconds(g));
  try {
    const p = await publishArchive(a);
    emit(g, p, () => log.success(`published ${p.dists.length} distribution(s) (generation ${p.generation})`));
  } finally {
    lock.release();
  }
}

export async function cmdSources(g: RepoGlobals, o: { url?: string; dist?: string[]; checkDate?: boolean }): Promise<void> {
  const a = archiveOf(g);
  const state = loadState(a);
  const dists = o.dist?.length ? o.dist : Object.keys(state.dists).sort();
  if (dists.length === 0) throw new UserError('the archive has no distribution yet', { hint: 'create one with `golden repo add-dist NAME`' });
  const components = [...new Set(dists.flatMap((d) => getDist(state, d).components))];
  const { deb822Sources } = await import('./sources.js');
  const text = deb822Sources({
    uris: o.url ?? pathToFileURL(a.publicDir).href,
    suites: dists,
    components,
    signedBy: a.publicKeyArmoredPath,
    checkDate: o.checkDate,
  });
  process.stdout.write(text);
}

export async function cmdServe(g: RepoGlobals, listen: string): Promise<void> {
  const a = archiveOf(g);
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new UsageError(`--listen: expected HOST:PORT, got "${listen}"`);
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  const { serveArchive } = await import('./serve.js');
  const running = await serveArchive({ publicDir: a.publicDir, host, port: Number(m[2]) }).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`cannot listen on ${listen}: ${err.code ?? err.message}`);
  });
  if (g.json) log.event({ event: 'serving', url: running.url, publicDir: a.publicDir });
  else process.stdout.write(`${running.url}\n`);
  log.info(`serving ${a.publicDir} at ${running.url} (Ctrl-C stops)`);
  await new Promise<void>((resolve) => interruptSignal.addEventListener('abort', () => resolve(), { once: true }));
  await running.close();
}
