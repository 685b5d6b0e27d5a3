// Every mistake in a config is reported at once, one paragraph each, so the user fixes them in one go.
import { formatLocation, InputError, UsageError } from '../errors.js';

export class ConfigErrors extends UsageError {
  readonly errors: readonly InputError[];
  constructor(errors: readonly InputError[]) {
    const sorted = [...errors].sort(compareErrors);
    const only = sorted.length === 1 ? sorted[0] : undefined;
    const paragraphs = sorted.map((e) => (e.hint ? `${e.message}\n  hint: ${e.hint}` : e.message));
    super(only ? only.message : `${sorted.length} problems in the configuration:\n\n${paragraphs.join('\n\n')}`, {
      hint: only ? only.hint : 'fix them, then check again with `golden config check`',
    });
    this.name = 'ConfigErrors';
    this.errors = sorted;
  }
}

function compareErrors(a: InputError, b: InputError): number {
  const la = a.location;
  const lb = b.location;
  return la.file.localeCompare(lb.file) || (la.line ?? 0) - (lb.line ?? 0) || (la.column ?? 0) - (lb.column ?? 0) || a.message.localeCompare(b.message);
}

/** Throw the gathered errors, if any, as one ConfigErrors. */
export function throwIfAny(errors: readonly InputError[]): void {
  if (errors.length === 0) return;
  throw new ConfigErrors(dedupe(errors));
}

function dedupe(errors: readonly InputError[]): InputError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${formatLocation(e.location)} ${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
