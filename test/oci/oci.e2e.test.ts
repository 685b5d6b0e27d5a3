// The oci output from a real build: skopeo and umoci accept it, there is one OCI layer per Golden
// layer, and the unpacked tree has the files with their owners and modes, and the deletions made by a
// later layer (overlayfs whiteouts and opaque directories turned into OCI whiteouts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { assertBuilt, buildFixture, type FixtureBuild } from '../fixtures/build.js';
import { tempDir } from '../helpers.js';

const CONFIG = `name: oci-test
version: "1.2"
files:
  - content: "hello from golden\\n"
    destination: /srv/app/hello.txt
    mode: "0640"
    owner: "daemon:daemon"
scripts:
  postCustomization:
    - content: |
        set -e
        rm -f /etc/issue.net
        rm -rf /etc/skel
        mkdir /etc/skel
        echo only > /etc/skel/.golden
`;

describe('oci output', { timeout: 60 * 60_000 }, () => {
  let build: FixtureBuild;
  let layout: string;
  let archive: string;
  before(async () => {
    build = await buildFixture(CONFIG, {
      bootable: false,
      outputs: [
        { type: 'oci', entrypoint: ['/bin/cat'], cmd: ['/srv/app/hello.txt'], env: { GREETING: 'hi' }, labels: { 'com.example.team': 'golden' } },
        { type: 'oci', name: 'oci-test-archive', archive: true },
      ],
    });
    assertBuilt(build);
    const files = build.outputs['oci'] ?? [];
    // both outputs have type oci; the events carry one list each, the last one wins in the map
    const all = build.events.filter((e) => e.event === 'output').flatMap((e) => ((e['files'] as { path: string }[]) ?? []).map((f) => f.path));
    layout = all.find((p) => !p.endsWith('.tar'))!;
    archive = all.find((p) => p.endsWith('.tar'))!;
    assert.ok(layout && archive, `outputs: ${JSON.stringify(all)} ${JSON.stringify(files)}`);
  });

  it('skopeo inspects the layout: one layer per Golden layer, entrypoint, env, labels', () => {
    const info = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${layout}:1.2`], { encoding: 'utf8' }));
    assert.equal(info.Layers.length, 5, 'base, packages, config, finalize, manifest');
    assert.equal(info.Architecture, 'amd64');
    assert.equal(info.Labels['com.example.team'], 'golden');
    assert.ok(info.Env.includes('GREETING=hi'));
    const config = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${layout}:1.2`], { encoding: 'utf8' }));
    assert.deepEqual(config.config.Entrypoint, ['/bin/cat']);
    assert.deepEqual(config.config.Cmd, ['/srv/app/hello.txt']);
  });

  it('skopeo inspects the archive', () => {
    const info = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${archive}`], { encoding: 'utf8' }));
    assert.equal(info.Layers.length, 5);
  });

  it('umoci unpacks it: files with owners and modes, deletions of later layers applied', () => {
    const dir = tempDir('golden-umoci-');
    const bundle = join(dir, 'bundle');
    execFileSync('umoci', ['unpack', '--image', `${layout}:1.2`, bundle]);
    const root = join(bundle, 'rootfs');
    const hello = statSync(join(root, 'srv/app/hello.txt'));
    assert.equal(readFileSync(join(root, 'srv/app/hello.txt'), 'utf8'), 'hello from golden\n');
    assert.equal(hello.mode & 0o7777, 0o640);
    assert.equal(hello.uid, 1, 'daemon');
    assert.equal(hello.gid, 1, 'daemon');
    assert.equal(statSync(join(root, 'usr/bin/passwd')).mode & 0o7777, 0o4755, 'setuid kept');
    assert.ok(existsSync(join(root, 'etc/os-release')));
    assert.ok(!existsSync(join(root, 'etc/issue.net')), 'a whiteout removed /etc/issue.net');
    assert.deepEqual(readdirSync(join(root, 'etc/skel')), ['.golden'], 'an opaque directory replaced /etc/skel');
  });
});
