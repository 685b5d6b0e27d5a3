// The default mirror comes from the host's apt configuration, in both formats, never from a built-in host.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { hostMirror, hostMirrors, parseDeb822Sources, parseSourcesList, readAptSources } from '../../src/config/host-mirror.js';
import { FIXTURES } from './helpers.js';

test('deb822 .sources: main and security mirrors; disabled paragraphs and other file names ignored', () => {
  const etc = join(FIXTURES, 'apt-debian');
  assert.deepEqual(hostMirrors('debian', etc), { mirror: 'http://mirror.example.test/debian', securityMirror: 'http://security.example.test/debian-security' });
  const uris = readAptSources(etc).flatMap((s) => s.uris);
  assert.ok(!uris.some((u) => u.includes('disabled') || u.includes('should-not-be-read')), uris.join(' '));
  assert.equal(hostMirror('ubuntu', etc), undefined, 'a Debian host has no Ubuntu mirror');
});

test('one-line sources.list: options, deb-src skipped, security found', () => {
  const etc = join(FIXTURES, 'apt-ubuntu');
  assert.deepEqual(hostMirrors('ubuntu', etc), { mirror: 'http://archive.example.test/ubuntu', securityMirror: 'http://security.example.test/ubuntu' });
  assert.equal(hostMirror('debian', etc), undefined);
});

test('parsers: fields, continuation lines, comments, signed-by', () => {
  const list = parseSourcesList('deb [arch=amd64 signed-by=/k.gpg] http://h.example.test/debian trixie main contrib # note\n#deb http://x y z\n', 'f');
  assert.deepEqual(list, [{ types: ['deb'], uris: ['http://h.example.test/debian'], suites: ['trixie'], components: ['main', 'contrib'], signedBy: '/k.gpg', file: 'f' }]);
  const deb822 = parseDeb822Sources('Types: deb\nURIs: http://a.example.test/debian\n  http://b.example.test/debian\nSuites: trixie\nComponents: main\n', 'g');
  assert.deepEqual(deb822[0]?.uris, ['http://a.example.test/debian', 'http://b.example.test/debian']);
});

test('no apt configuration at all: undefined, not an exception', () => {
  assert.equal(hostMirror('debian', join(FIXTURES, 'does-not-exist')), undefined);
});
