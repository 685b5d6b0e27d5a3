// Small building blocks shared by every section of the golden.yaml schema.
import { z } from 'zod';

/** Strict object: an unknown key is an error (with a "did you mean" hint from the loader), never silence. */
export const obj = z.strictObject;

/** A path to a file or directory. Relative paths are resolved by the loader against the file that names them. */
export const filePath = () => z.string().min(1, 'must not be empty');

/** A slug usable in file names, package names and volume ids. */
export const slug = () =>
  z
    .string()
    .regex(/^[a-z0-9][a-z0-9.+-]*$/, 'use lower-case letters, digits, ".", "+" and "-", starting with a letter or digit');

/** An absolute path inside the image. */
export const imagePath = () => z.string().regex(/^\//, 'must be an absolute path inside the image, starting with "/"');

/**
 * A file mode as a quoted octal string. Quoting matters: YAML reads an unquoted 0644 as the decimal number 644.
 */
export const fileMode = (dflt: string) =>
  z.string().regex(/^0?[0-7]{3,4}$/, 'write the mode as a quoted octal string, e.g. "0644"').default(dflt);

/** owner[:group], by name or number. */
export const owner = () =>
  z
    .string()
    .regex(/^[a-z_0-9][a-z0-9_.-]*(:[a-z_0-9][a-z0-9_.-]*)?$/i, 'write it as "user:group", e.g. "root:root"')
    .default('root:root');

/** A size such as 512M, 4G, 1.5GiB or 2048K; units are powers of 1024. */
export const sizeString = () =>
  z.string().regex(/^\d+(\.\d+)?\s*([KMGT]i?B?)?$/i, 'write a size such as "512M" or "4G"');

/** A size or a percentage of what is left, for partitions. */
export const sizeOrPercent = () =>
  z.string().regex(/^(\d+(\.\d+)?\s*([KMGT]i?B?)?|\d{1,3}%)$/i, 'write a size such as "512M" or "4G", or a percentage such as "100%"');

/** Keyboard layout as understood by keyboard-configuration (XKB). */
export const keyboardSchema = obj({
  layout: z.string().min(1).describe('XKB layout, e.g. "us", "de", "fr"'),
  variant: z.string().optional().describe('XKB variant, e.g. "nodeadkeys"'),
  model: z.string().optional().describe('XKB model, e.g. "pc105"'),
}).describe('console and X keyboard layout (written to /etc/default/keyboard)');
export type KeyboardConfig = z.infer<typeof keyboardSchema>;

/** Parse "512M" / "4G" / "1.5GiB" to bytes; undefined for a percentage. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) return undefined;
  const power = ['', 'K', 'M', 'G', 'T'].indexOf((m[2] ?? '').toUpperCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}
