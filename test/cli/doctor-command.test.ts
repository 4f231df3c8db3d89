import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { temporaryDir, writeCifar10Fixture } from '../trainer/fixtures.ts';

const bin = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

function doctor(args: string[], env: NodeJS.ProcessEnv, nodeFlags: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...nodeFlags, bin, 'doctor', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('doctor lists backends, selection and data folder', async () => {
  const dataDir = await temporaryDir('doctor-data');
  writeCifar10Fixture(dataDir, 1, 1);
  const home = await temporaryDir('doctor-home');

  const { status, stdout } = doctor([], { SWEEP_DATA_DIR: dataDir, SWEEP_BACKEND: 'auto', SWEEP_HOME: home });

  assert.equal(status, 0);
  assert.match(stdout, /TensorFlow\.js backends:/);
  assert.match(stdout, /cpu +@tensorflow\/tfjs +found \(4\.\d+\.\d+\)/);
  assert.match(stdout, /Selected backend \(SWEEP_BACKEND=auto\):/);
  assert.match(stdout, /GPUs \(nvidia-smi\):/);
  assert.ok(stdout.includes(`folder: ${dataDir} (from SWEEP_DATA_DIR)`));
  assert.match(stdout, /all batch files present/);
});

test('doctor --json reports a bad SWEEP_BACKEND', async () => {
  const home = await temporaryDir('doctor-json');

  const { status, stdout } = doctor(['--json'], { SWEEP_BACKEND: 'cuda', SWEEP_HOME: home });
  const report = JSON.parse(stdout) as { requestedBackend: string; selected: { error?: string }; backends: { name: string }[] };

  assert.equal(status, 0);
  assert.equal(report.requestedBackend, 'cuda');
  assert.match(report.selected.error ?? '', /SWEEP_BACKEND must be one of/);
  assert.deepEqual(
    report.backends.map((backend) => backend.name),
    ['tensorflow-gpu', 'tensorflow', 'cpu'],
  );
});

test('doctor lists MobileNetV2 weights by folder', async () => {
  const weightsDir = await temporaryDir('doctor-weights');
  mkdirSync(join(weightsDir, 'mobilenet_v2_0.35_96_no_top'));
  writeFileSync(join(weightsDir, 'mobilenet_v2_0.35_96_no_top', 'model.json'), '{}');
  mkdirSync(join(weightsDir, 'mobilenet_v2_1.0_224_no_top'));
  writeFileSync(join(weightsDir, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5'), '');
  writeFileSync(join(weightsDir, 'notes.txt'), '');
  const cache = await temporaryDir('doctor-cache');

  const { status, stdout } = doctor(['--json'], { SWEEP_WEIGHTS_DIR: weightsDir, SWEEP_CACHE_DIR: cache, SWEEP_HOME: cache });
  const report = JSON.parse(stdout) as { weights: { dir: string; source: string; found: string[] }[] };

  assert.equal(status, 0);
  // The folder without a model.json and the unrelated file are left out.
  assert.deepEqual(report.weights, [
    { dir: weightsDir, source: 'SWEEP_WEIGHTS_DIR', found: ['mobilenet_v2_0.35_96_no_top', 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5'] },
    { dir: join(cache, 'models'), source: 'download cache', found: [] },
  ]);
});

test('doctor names the garbage collector', async () => {
  const home = await temporaryDir('doctor-gc');

  const plain = doctor([], { SWEEP_HOME: home });
  const flagged = doctor([], { SWEEP_HOME: home }, ['--single-threaded-gc']);

  assert.match(plain.stdout, /concurrent, the V8 default/);
  assert.match(flagged.stdout, /single-threaded \(--single-threaded-gc/);
});
