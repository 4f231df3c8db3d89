import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { EnvironmentError, InputError } from '../../src/errors.ts';
import { parseBackendChoice, probeBackend, selectBackend } from '../../src/trainer/backends/select-backend.ts';

// The native packages are optional dependencies that cannot be installed on this
// test machine. Where one is present, the tests that expect it missing are skipped.
const nativeInstalled = (await probeBackend('tensorflow')).available;

test('SWEEP_BACKEND values are parsed', () => {
  assert.equal(parseBackendChoice(undefined), 'auto');
  assert.equal(parseBackendChoice(' CPU '), 'cpu');
  assert.equal(parseBackendChoice('tensorflow-gpu'), 'tensorflow-gpu');
  assert.throws(() => parseBackendChoice('cuda'), (error: Error) => error instanceof InputError && /SWEEP_BACKEND must be one of auto, tensorflow-gpu, tensorflow, cpu, got "cuda"/.test(error.message));
});

test('missing native backend reports its import error', { skip: nativeInstalled }, async () => {
  const probe = await probeBackend('tensorflow-gpu');

  assert.equal(probe.available, false);
  assert.match(probe.error ?? '', /ERR_MODULE_NOT_FOUND: Cannot find package '@tensorflow\/tfjs-node-gpu'/);
});

test('forcing a missing backend fails with the fix', { skip: nativeInstalled }, async () => {
  await assert.rejects(selectBackend({ SWEEP_BACKEND: 'tensorflow' }), (error: Error) => {
    assert.ok(error instanceof EnvironmentError);
    assert.match(error.message, /SWEEP_BACKEND=tensorflow needs @tensorflow\/tfjs-node, which does not load: ERR_MODULE_NOT_FOUND/);
    assert.match(error.message, /npm install @tensorflow\/tfjs-node/);
    return true;
  });
});

test('auto falls back to cpu and is selected once', { skip: nativeInstalled }, async () => {
  const first = await selectBackend({});
  const second = await selectBackend({ SWEEP_BACKEND: 'cpu' });

  assert.equal(first.name, 'cpu');
  assert.equal(first.device, 'CPU (pure JavaScript)');
  assert.deepEqual(
    first.skipped.map((entry) => entry.name),
    ['tensorflow-gpu', 'tensorflow'],
  );
  assert.equal(second, first);
  assert.equal(tf.getBackend(), 'cpu');
});
