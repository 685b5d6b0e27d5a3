// `golden config check` and `golden config schema`: validate a config and print what Golden will use.
import { stringify } from 'yaml';
import { ExitError, EXIT_USAGE, formatLocation, InputError } from '../errors.js';
import { ConfigErrors } from './config-errors.js';
import { goldenJsonSchemaText } from './json-schema.js';
import { loadConfig } from './load.js';

export interface CheckOptions {
  json: boolean;
  /** Print only the list of referenced input files. */
  files: boolean;
}

export async function configCheck(configFile: string, opts: CheckOptions): Promise<number> {
  let loaded;
  try {
    loaded = await loadConfig(configFile);
  } catch (err) {
    if (!opts.json || !(err instanceof ConfigErrors || err instanceof InputError)) throw err;
    const list = err instanceof ConfigErrors ? err.errors : [err];
    const errors = list.map((e) => {
      const prefix = `${formatLocation(e.location)}: `;
      return { ...e.location, message: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message, hint: e.hint };
    });
    process.stdout.write(`${JSON.stringify({ ok: false, errors }, null, 2)}\n`);
    throw new ExitError(EXIT_USAGE);
  }
  if (opts.files) {
    process.stdout.write(opts.json ? `${JSON.stringify(loaded.referencedFiles, null, 2)}\n` : loaded.referencedFiles.map((f) => `${f}\n`).join(''));
    return 0;
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, configPath: loaded.configPath, config: loaded.config, referencedFiles: loaded.referencedFiles }, null, 2)}\n`);
  } else {
    process.stdout.write(`# ${loaded.configPath} is valid. Resolved configuration (defaults, includes and features applied):\n`);
    process.stdout.write(stringify(loaded.config, { lineWidth: 0 }));
  }
  return 0;
}

export function configSchema(): number {
  process.stdout.write(goldenJsonSchemaText());
  return 0;
}
