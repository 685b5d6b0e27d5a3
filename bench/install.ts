// bench/install: seconds from ISO boot to the installed system's login prompt, and the time of each
// installer step (from the installer's console lines), for automatic installs with and without
// encryption. Not a test: it prints figures. Run it through bench/install (compiles first).
import { execFileSync } from 'node:child_process';
import { tempDir } from '../test/helpers.js';
import { PASSPHRASE } from '../test/installer/fixture-config.js';
import { buildInstallIso, installAndBoot, type InstallRun } from '../test/installer/install-run.js';

const firmware = process.argv.includes('--uefi') ? 'uefi' : 'bios';
const variants = [
  { name: 'LUKS2', encrypt: true },
  { name: 'plain', encrypt: false },
];

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1).padStart(7);
}

const results: { name: string; run: InstallRun; buildMs: number }[] = [];
for (const v of variants) {
  const work = tempDir('golden-bench-install-');
  const t0 = Date.now();
  const iso = await buildInstallIso(work, { encrypt: v.encrypt, outputName: `bench-install-${v.name}` });
  const buildMs = Date.now() - t0;
  process.stderr.write(`${v.name}: ISO built in ${seconds(buildMs)} s; installing (${firmware})…\n`);
  const run = await installAndBoot({ iso, firmware, workDir: work, ...(v.encrypt ? { passphrase: PASSPHRASE } : {}) });
  results.push({ name: v.name, run, buildMs });
}

const steps = [...new Set(results.flatMap((r) => Object.keys(r.run.steps)))];
const header = ['', ...results.map((r) => r.name.padStart(9))].join(' ');
console.log(`Golden installer under QEMU TCG (${firmware}), seconds; load: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
console.log(header);
for (const s of steps) console.log([`step ${s}`.padEnd(24), ...results.map((r) => seconds(r.run.steps[s] ?? 0).padStart(9))].join(' '));
console.log(['ISO boot → install done'.padEnd(24), ...results.map((r) => seconds(r.run.installMs).padStart(9))].join(' '));
console.log(['disk boot → login:'.padEnd(24), ...results.map((r) => seconds(r.run.bootMs).padStart(9))].join(' '));
console.log(['ISO boot → login: total'.padEnd(24), ...results.map((r) => seconds(r.run.installMs + r.run.bootMs).padStart(9))].join(' '));
if (results.length === 2) {
  const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
  console.log(`encryption costs ×${((a.run.installMs + a.run.bootMs) / (b.run.installMs + b.run.bootMs)).toFixed(2)} of the plain install's total`);
}
