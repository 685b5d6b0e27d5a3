// The one way Golden runs an external tool. Every command line is logged (pasteable), tool output is
// kept in the build log with the tool's name as prefix, a missing tool names its Debian package, and a
// failure reports the command, exit code or signal, and the tail of stderr.
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../errors.js';
import { interruptSignal } from '../lifecycle.js';
import { log } from '../log/logger.js';
import { MissingToolError, findTool } from './tools.js';

export interface RunOptions {
  cwd?: string;
  /** Added to (not replacing) the inherited environment. */
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  /** `inherit` connects the terminal (interactive shells); output is then not captured. */
  stdio?: 'pipe' | 'inherit';
  /** Return the result instead of throwing when the command exits non-zero. */
  allowFailure?: boolean;
  /** Decode stdout as binary (Buffer) instead of text. */
  binary?: boolean;
  timeoutMs?: number;
  /** What the command is for, used in the failure message. */
  purpose?: string;
  /** Called with each line of stdout/stderr as it arrives (progress parsing). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunResult {
  command: string;
  exitCode: number;
  stdout: string;
  stdoutBuffer?: Buffer;
  stderr: string;
  durationMs: number;
}

/** GOLDEN_TRACE=FILE: one line per command run (ms since start, ms taken, command), to see where a build's time goes. */
const traceFile = process.env['GOLDEN_TRACE'];
const processStart = Math.round(performance.timeOrigin);

/** Quote one argument for a POSIX shell so logged command lines can be pasted. */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

function tail(text: string, lines = 15): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

export class CommandError extends UserError {
  readonly command: string;
  /** The tool's own exit code (the process exit code of Golden stays 1). */
  readonly toolExitCode: number;
  readonly stderr: string;
  constructor(command: string, exitCode: number, signal: string | undefined, stderr: string, purpose?: string) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    const stderrTail = tail(stderr);
    super(`${purpose ? `${purpose} failed: ` : ''}command ${how}:\n  ${command}${stderrTail ? `\n${stderrTail.replace(/^/gm, '  | ')}` : ''}`, {
      hint: 'the full output is in the build log; rerun with --verbose to see it live',
    });
    this.name = 'CommandError';
    this.command = command;
    this.toolExitCode = exitCode;
    this.stderr = stderr;
  }
}

export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const path = findTool(cmd);
  if (!path) throw new MissingToolError([cmd], opts.purpose ? `to ${opts.purpose}` : undefined);
  const line = commandLine(cmd, args);
  const tool = basename(cmd);
  log.debug(`$ ${line}`);
  const { execa } = await import('execa');
  const started = Date.now();
  const inherit = opts.stdio === 'inherit';
  const lineHandler = (stream: 'stdout' | 'stderr') =>
    async function* (chunk: unknown) {
      const text = String(chunk);
      log.file(`${tool}: ${text}`);
      if (log.enabled('verbose') && !inherit) log.verbose(`${tool}: ${text}`);
      opts.onLine?.(text, stream);
      yield chunk;
    };
  const child = execa(path, args, {
    cwd: opts.cwd,
    env: { LC_ALL: 'C.UTF-8', ...opts.env },
    extendEnv: true,
    input: opts.input,
    stdin: inherit ? 'inherit' : opts.input === undefined ? 'ignore' : 'pipe',
    stdout: inherit ? 'inherit' : opts.binary ? ['pipe'] : ['pipe', lineHandler('stdout')],
    stderr: inherit ? 'inherit' : ['pipe', lineHandler('stderr')],
    encoding: opts.binary ? 'buffer' : 'utf8',
    reject: false,
    stripFinalNewline: false,
    cancelSignal: interruptSignal,
    forceKillAfterDelay: 5000,
    timeout: opts.timeoutMs,
    maxBuffer: 1024 * 1024 * 1024,
  });
  const res = await child;
  const durationMs = Date.now() - started;
  if (traceFile) appendFileSync(traceFile, `${started - processStart} ${durationMs} ${line.slice(0, 300)}\n`);
  if (res.isCanceled && interruptSignal.aborted) throw interruptSignal.reason;
  if (res.failed && (res as { code?: string }).code === 'ENOENT') throw new MissingToolError([cmd]);
  const stdoutRaw = res.stdout as unknown;
  const stdout = Buffer.isBuffer(stdoutRaw) || stdoutRaw instanceof Uint8Array ? '' : Array.isArray(stdoutRaw) ? stdoutRaw.join('\n') : String(stdoutRaw ?? '');
  const stderrRaw = res.stderr as unknown;
  const stderr = Array.isArray(stderrRaw) ? stderrRaw.join('\n') : String(stderrRaw ?? '');
  const exitCode = res.exitCode ?? (res.signal ? 128 : 1);
  const result: RunResult = { command: line, exitCode, stdout, stderr, durationMs };
  if (opts.binary) result.stdoutBuffer = Buffer.from(stdoutRaw as Uint8Array);
  if (res.failed && !opts.allowFailure) {
    if (res.timedOut) throw new CommandError(line, exitCode, `timeout after ${opts.timeoutMs} ms`, stderr, opts.purpose);
    throw new CommandError(line, exitCode, res.signal ?? undefined, stderr || (opts.binary ? '' : stdout), opts.purpose);
  }
  return result;
}

/** Run a command and return its trimmed stdout. */
export async function capture(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return (await run(cmd, args, opts)).stdout.trim();
}
