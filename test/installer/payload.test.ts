// Every file that goes into an image is checked by shellcheck, and every script that runs on its own
// stops at the first error (set -euo pipefail). The late script of the preseed/autoinstall is too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { GoldenConfig } from '../../src/config/schema.js';
import { PAYLOAD_DIR, PAYLOAD_FILES } from '../../src/installer/iso-parts.js';
import { lateScript } from '../../src/installer/late-script.js';
import { tempDir } from '../helpers.js';
import { writeInstallerConfig } from './fixture-config.js';

const shellFiles = readdirSync(PAYLOAD_DIR).filter((f) => !f.endsWith('.service'));

describe('installer payload', () => {
  it('ships every payload file and nothing else', () => {
    assert.deepEqual([...new Set(PAYLOAD_FILES.map((f) => f.name))].sort(), readdirSync(PAYLOAD_DIR).sort());
  });

  for (const file of shellFiles) {
    it(`${file} passes shellcheck`, () => {
      const r = spawnSync('shellcheck', ['-x', '-P', 'SCRIPTDIR', '--severity=style', file], { cwd: PAYLOAD_DIR, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });
  }

  it('every executable script stops at the first error', () => {
    for (const f of PAYLOAD_FILES.filter((x) => x.mode & 0o100)) {
      const text = readFileSync(join(PAYLOAD_DIR, f.name), 'utf8');
      assert.match(text, /^#!/, `${f.name} has a shebang`);
      if (text.startsWith('#!/bin/sh')) assert.match(text, /^set -eu$/m, `${f.name}: set -eu (POSIX sh has no pipefail)`);
      else assert.match(text, /^set -E?euo pipefail$/m, `${f.name}: set -euo pipefail`);
    }
  });

  it('units name the paths the files are installed at', () => {
    const installed = new Set(PAYLOAD_FILES.map((f) => f.path));
    for (const unit of shellFiles.length ? readdirSync(PAYLOAD_DIR).filter((f) => f.endsWith('.service')) : []) {
      const exec = /^ExecStart=(\S+)/m.exec(readFileSync(join(PAYLOAD_DIR, unit), 'utf8'));
      assert.ok(exec && installed.has(exec[1]!), `${unit}: ExecStart ${exec?.[1]} is installed`);
    }
  });

  describe('late script of preseed and autoinstall', () => {
    let config: GoldenConfig;
    before(async () => {
      config = (await loadConfig((await writeInstallerConfig(tempDir())).configPath)).config;
    });
    it('passes shellcheck as POSIX sh', () => {
      const file = join(tempDir(), 'late.sh');
      writeFileSync(file, lateScript(config, 'acme-{serial}'));
      const r = spawnSync('shellcheck', ['-s', 'sh', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });
    it('writes the company sources with Signed-By, the upgrade policy, and removes the disc source', () => {
      const s = lateScript(config, 'acme-{serial}');
      assert.match(s, /cat > '\/etc\/apt\/sources.list.d\/golden-acme.sources'/);
      assert.match(s, /^Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----/m);
      assert.match(s, /APT::Periodic::Unattended-Upgrade "1";/);
      assert.match(s, /rm -f \/etc\/apt\/sources.list.d\/cdrom.sources/);
      assert.match(s, /\/sys\/class\/dmi\/id\/product_serial/);
    });
  });
});
