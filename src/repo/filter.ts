// Runs a byte filter (xz) over a buffer. This is exec/run.ts's contract (logged command line, missing
// tool names its package, failure shows command, exit code and stderr) without loading execa: importing
// execa costs ~0.3 s here, more than a whole `golden repo add` of 300 packages should take.
import { spawn } from 'node:child_process';
import { log } from '../log/logger.js';
import { CommandError, commandLine } from '../exec/run.js';
import { MissingToolError, findTool } from '../exec/tools.js';

export function filterBuffer(cmd: string, args: readonly string[], input: Buffer, purpose: string): Promise<Buffer> {
  const path = findTool(cmd);
  if (!path) return Promise.reject(new MissingToolError([cmd], `to ${purpose}`));
  const line = commandLine(cmd, args);
  log.debug(`$ ${line}`);
  log.file(`$ ${line}`);
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.stdin.on('error', () => undefined); // EPIPE when the tool rejects its input early; exit code tells
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new CommandError(line, code ?? 128, signal ?? undefined, Buffer.concat(err).toString(), purpose));
    });
    child.stdin.end(input);
  });
}
