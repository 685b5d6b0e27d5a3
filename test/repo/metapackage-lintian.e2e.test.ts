// lintian, Debian's own package checker, finds no error in a generated metapackage; dpkg-deb reads it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildMetapackage } from '../../src/repo/metapackage.js';
import { tempDir } from '../helpers.js';

test('lintian reports no errors (or warnings) on a generated metapackage', async () => {
  const dir = tempDir();
  const deb = join(dir, 'company-desktop_1.3_all.deb');
  writeFileSync(deb, await buildMetapackage({ name: 'company-desktop', version: '1.3', depends: ['firefox-esr', 'libreoffice-writer (>= 4:7.0)', 'chromium | epiphany-browser', 'thunderbird', 'gimp', 'inkscape', 'vlc-plugin-base'], recommends: 'vlc' }));
  const info = spawnSync('dpkg-deb', ['--info', deb], { encoding: 'utf8' });
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /Depends: firefox-esr, libreoffice-writer \(>= 4:7\.0\), chromium \| epiphany-browser, thunderbird/);
  const contents = spawnSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8' });
  assert.match(contents.stdout, /\.\/usr\/share\/doc\/company-desktop\/copyright/);
  const r = spawnSync('lintian', ['--allow-root', '--tag-display-limit', '0', deb], { encoding: 'utf8', timeout: 300_000 });
  const out = `${r.stdout}${r.stderr}`;
  assert.doesNotMatch(out, /^E: /m, out);
  assert.doesNotMatch(out, /^W: /m, out);
  assert.equal(r.status, 0, out);
});
