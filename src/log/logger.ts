// Human output goes to stderr (so stdout stays clean for data and --json events); a TTY gets a live,
// coloured progress line, anything else gets plain lines. NO_COLOR and --no-color turn colour off.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pc from 'picocolors';

export type Level = 'quiet' | 'info' | 'verbose' | 'debug';
const LEVELS: Record<Level, number> = { quiet: 0, info: 1, verbose: 2, debug: 3 };

export interface LogEvent {
  event: string;
  [field: string]: unknown;
}

export interface StepResult {
  cached?: boolean;
  detail?: string;
}

class Logger {
  level: Level = 'info';
  /** Emit machine-readable events (one JSON object per line) on stdout. */
  json = false;
  private color = !process.env['NO_COLOR'] && process.stderr.isTTY === true;
  private tty = process.stderr.isTTY === true;
  private logFile: string | undefined;
  private live: { label: string; started: number; timer: NodeJS.Timeout } | undefined;
  private depth = 0;

  configure(opts: { level?: Level; json?: boolean; color?: boolean }): void {
    if (opts.level) this.level = opts.level;
    if (opts.json !== undefined) this.json = opts.json;
    if (opts.color === false) this.color = false;
  }

  get colors() {
    return pc.createColors(this.color);
  }

  enabled(level: Level): boolean {
    return LEVELS[this.level] >= LEVELS[level];
  }

  /** Append every later log line and command to this file (the build log). */
  attachFile(path: string | undefined): void {
    this.logFile = path;
    if (path) mkdirSync(dirname(path), { recursive: true });
  }

  /** Write only to the build log file (command lines, tool output). */
  file(text: string): void {
    if (!this.logFile) return;
    try {
      appendFileSync(this.logFile, `[${new Date().toISOString()}] ${text}\n`);
    } catch {
      // a log file that cannot be written must not break the build
    }
  }

  private write(text: string): void {
    this.clearLive();
    process.stderr.write(`${'  '.repeat(this.depth)}${text}\n`);
    this.drawLive();
  }

  info(msg: string): void {
    this.file(msg);
    if (this.enabled('info')) this.write(msg);
  }
  verbose(msg: string): void {
    this.file(msg);
    if (this.enabled('verbose')) this.write(this.colors.dim(msg));
  }
  debug(msg: string): void {
    this.file(msg);
    if (this.enabled('debug')) this.write(this.colors.dim(msg));
  }
  warn(msg: string): void {
    this.file(`warning: ${msg}`);
    if (this.level !== 'quiet') this.write(this.colors.yellow(`warning: ${msg}`));
  }
  success(msg: string): void {
    this.file(msg);
    if (this.enabled('info')) this.write(this.colors.green(msg));
  }

  /** A machine-readable event: on stdout with --json, always in the build log. */
  event(ev: LogEvent): void {
    const line = JSON.stringify({ time: new Date().toISOString(), ...ev });
    this.file(line);
    if (this.json) process.stdout.write(`${line}\n`);
  }

  /**
   * Run one named piece of long work with a progress display and timing.
   * The callback may return `{ cached: true }` to say it reused a stored result.
   */
  async step<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.event({ event: 'step-start', step: label });
    this.file(`==> ${label}`);
    const outer = this.live;
    if (outer) this.stopLive();
    if (this.enabled('info')) {
      if (this.tty && !this.json) this.startLive(label, started);
      else if (!this.json) process.stderr.write(`${'  '.repeat(this.depth)}==> ${label}\n`);
    }
    this.depth++;
    try {
      const result = await fn();
      const seconds = (Date.now() - started) / 1000;
      const cached = (result as StepResult | undefined)?.cached === true;
      this.depth--;
      this.stopLive();
      this.event({ event: 'step-end', step: label, seconds, cached, ok: true });
      const tail = cached ? this.colors.cyan('cached') : `${seconds.toFixed(1)}s`;
      const detail = (result as StepResult | undefined)?.detail;
      if (this.enabled('info') && !this.json)
        this.write(`${this.colors.green('✔')} ${label} ${this.colors.dim('·')} ${tail}${detail ? ` ${this.colors.dim(detail)}` : ''}`);
      this.file(`<== ${label} ${cached ? 'cached' : `${seconds.toFixed(1)}s`}`);
      return result;
    } catch (err) {
      const seconds = (Date.now() - started) / 1000;
      this.depth--;
      this.stopLive();
      this.event({ event: 'step-end', step: label, seconds, ok: false, error: err instanceof Error ? err.message : String(err) });
      if (this.enabled('info') && !this.json) this.write(`${this.colors.red('✘')} ${label} ${this.colors.dim(`failed after ${seconds.toFixed(1)}s`)}`);
      throw err;
    } finally {
      if (outer) this.startLive(outer.label, outer.started);
    }
  }

  private startLive(label: string, started: number): void {
    const timer = setInterval(() => this.drawLive(), 250);
    timer.unref();
    this.live = { label, started, timer };
    this.drawLive();
  }
  private stopLive(): void {
    if (!this.live) return;
    clearInterval(this.live.timer);
    this.clearLive();
    this.live = undefined;
  }
  private clearLive(): void {
    if (this.live && this.tty) process.stderr.write('\r\x1b[2K');
  }
  private drawLive(): void {
    if (!this.live || !this.tty) return;
    const s = ((Date.now() - this.live.started) / 1000).toFixed(0);
    const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
    const frame = frames[Math.floor(Date.now() / 100) % frames.length];
    process.stderr.write(`\r\x1b[2K${'  '.repeat(Math.max(0, this.depth - 1))}${this.colors.cyan(frame ?? '*')} ${this.live.label} ${this.colors.dim(`${s}s`)}`);
  }
}

/** The process-wide logger; the CLI configures it from --verbose/--debug/--json/--no-color. */
export const log = new Logger();

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
