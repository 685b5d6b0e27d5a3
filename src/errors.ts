// The three kinds of error Golden knows. One top-level catch (cli/main.ts) maps them to exit codes:
// a user mistake is reported as one paragraph with a hint and no stack trace; a bug shows its stack.

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Something the user can fix: bad input, a missing file, a missing host tool. */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/** A mistake in how a command was called or in a configuration file (exit code 2). */
export class UsageError extends UserError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: EXIT_USAGE });
    this.name = 'UsageError';
  }
}

/** Where in a file a problem is; line and column count from 1. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
  /** Dotted field path inside the document, e.g. `outputs[0].type`. */
  field?: string;
}

export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) s += `:${loc.column}`;
  if (loc.field) s += ` (${loc.field})`;
  return s;
}

/** A mistake at a known place in an input file: the message names file, line, column and field. */
export class InputError extends UsageError {
  readonly location: SourceLocation;
  constructor(location: SourceLocation, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`${formatLocation(location)}: ${message}`, options);
    this.name = 'InputError';
    this.location = location;
  }
}

/** A problem that has already been reported to the user; only the exit code is left to apply. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number = EXIT_FAILURE, message = 'already reported') {
    super(message);
    this.name = 'ExitError';
    this.exitCode = exitCode;
  }
}

/** A bug in Golden: the user can do nothing about it but report it. */
export class InternalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InternalError';
  }
}

/** Thrown when the user interrupts a long operation (SIGINT/SIGTERM). */
export class InterruptedError extends UserError {
  constructor(signal: string) {
    super(`interrupted by ${signal}; everything this run started has been cleaned up`, { exitCode: 130 });
    this.name = 'InterruptedError';
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UserError || err instanceof ExitError) return err.exitCode;
  return EXIT_FAILURE;
}

/** The text shown for an error: one paragraph and a hint for user errors, a stack for bugs or with --debug. */
export function describeError(err: unknown, debug: boolean): string {
  if (err instanceof ExitError) return '';
  if (err instanceof UserError) {
    let text = `error: ${err.message}`;
    if (err.hint) text += `\nhint: ${err.hint}`;
    if (debug && err.stack) text += `\n${err.stack}`;
    return text;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return `internal error (a bug in Golden, please report it): ${e.message}\n${e.stack ?? ''}`;
}
