import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultEditOutput, liveKernelArguments, tarCompressionFor } from '../../src/customize/edit.js';

test('the default output of an edit sits beside the input, with the extension of the output type', () => {
  assert.equal(defaultEditOutput('/img/vendor.qcow2', 'qcow2'), '/img/vendor-edited.qcow2');
  assert.equal(defaultEditOutput('/img/vendor.qcow2', 'iso'), '/img/vendor-edited.iso');
  assert.equal(defaultEditOutput('/img/root.tar.gz', 'tar'), '/img/root-edited.tar.gz');
  assert.equal(defaultEditOutput('/img/office.iso', 'tar'), '/img/office-edited.tar.zst');
  assert.equal(tarCompressionFor('/x/root-edited.tar.gz'), 'gz');
  assert.equal(tarCompressionFor('/x/a.tar'), 'none');
  assert.equal(tarCompressionFor('/x/a.tar.zst'), 'zstd');
});

test('kernel arguments carried over from a live ISO leave out what the live system adds itself', () => {
  const cfg = "menuentry 'Start' {\n\tlinux\t/live/vmlinuz boot=live findiso=${iso_path} console=ttyS0,115200 ds=nocloud\n\tinitrd\t/live/initrd.img\n}\n";
  assert.deepEqual(liveKernelArguments(cfg), ['console=ttyS0,115200', 'ds=nocloud']);
  assert.deepEqual(liveKernelArguments('no entries'), []);
});
