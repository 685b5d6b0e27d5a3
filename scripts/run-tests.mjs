// node scripts/run-tests.mjs TAP_FILE CONCURRENCY FILE...
// Runs test files in the order given (`node --test` sorts them by name, which would start the longest,
// the installs under QEMU, late), CONCURRENCY at a time, with the spec report on stdout and TAP into
// TAP_FILE. Exits 1 when a test fails or is cancelled.
import { createWriteStream } from 'node:fs';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';

const [tapFile, concurrency, ...files] = process.argv.slice(2);
if (!tapFile || !Number(concurrency) || files.length === 0) {
  console.error('usage: node scripts/run-tests.mjs TAP_FILE CONCURRENCY FILE...');
  process.exit(2);
}
const stream = run({ files, concurrency: Number(concurrency) });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.compose(spec).pipe(process.stdout);
stream.compose(tap).pipe(createWriteStream(tapFile));
