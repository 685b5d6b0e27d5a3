// Shared by the tests: run the real `golden` executable, make temp dirs that are removed afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const goldenBin = join(repoRoot, 'bin', 'golden.js');

export interface GoldenResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runGolden(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<GoldenResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [goldenBin, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A fresh temporary directory, removed when the test process ends unless GOLDEN_KEEP_TMP is set. */
export function tempDir(prefix = 'golden-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!process.env['GOLDEN_KEEP_TMP']) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
