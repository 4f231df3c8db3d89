// Training and inference throughput (images/s) of the simple CNN at 32×32 and
// MobileNetV2 (α 0.35, random weights) at 96×96, on every backend that loads
// here. Each backend runs in its own process with SWEEP_BACKEND set, because a
// process selects its backend once. Training runs trainOnBatch on batches of
// random images (the trainer's step), after one warm-up batch; inference runs
// predict. Run: npm run bench -- train. SWEEP_BENCH_BATCHES sets the number of
// timed batches (default 3).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../src/spec/trial-config.ts';
import { probeBackend, selectBackend, type BackendName } from '../../src/trainer/backends/select-backend.ts';
import { buildModel, findModelBuilder, modelKey } from '../../src/trainer/models/registry.ts';
import { createOptimizer } from '../../src/trainer/train-phase.ts';

const batches = Number(process.env.SWEEP_BENCH_BATCHES ?? 3);

interface Case {
  label: string;
  config: ModelConfig;
  batchSize: number;
  /** Base layers to unfreeze, for transfer models; 0 trains the head only. */
  unfreeze?: number;
}

const mobileNet = (alpha: number): ModelConfig => ({
  type: 'transfer',
  base: { name: 'mobilenet_v2', alpha, input_size: 96, weights: 'none' },
  head: { dense_units: 256, dropout: 0.5 },
});

const cases: Case[] = [
  { label: 'simple CNN, 32×32, batch 128', config: { type: 'simple-cnn', dropout: 0.5 }, batchSize: 128 },
  { label: 'MobileNetV2 α0.35 96×96, base frozen, batch 32', config: mobileNet(0.35), batchSize: 32, unfreeze: 0 },
  { label: 'MobileNetV2 α0.35 96×96, last 20 base layers unfrozen, batch 32', config: mobileNet(0.35), batchSize: 32, unfreeze: 20 },
  { label: 'MobileNetV2 α1.0 96×96, base frozen, batch 32', config: mobileNet(1), batchSize: 32, unfreeze: 0 },
];

async function measure(): Promise<void> {
  const backend = await selectBackend();
  console.log(`backend ${backend.name} on ${backend.device}${backend.cpuKernels.length > 0 ? ` (${backend.cpuKernels.length} faster cpu kernels)` : ''}`);

  for (const entry of cases) {
    if ((await findModelBuilder(modelKey(entry.config))) === undefined) {
      console.log(`  ${entry.label}: skipped, no builder registered for ${modelKey(entry.config)}`);
      continue;
    }
    const built = await buildModel(entry.config, { classes: 10, seed: 1, cacheDir: '/nonexistent' });
    if (built.base !== undefined) {
      built.unfreezeLastLayers(entry.unfreeze ?? 0);
    }
    const optimizer = createOptimizer('adam', 1e-3);
    built.model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const inputs = tf.randomUniform([entry.batchSize, 32, 32, 3], 0, 1, 'float32', 1);
    const targets = tf.tidy(() => tf.oneHot(tf.randomUniform([entry.batchSize], 0, 10, 'int32', 2), 10).toFloat());

    await built.model.trainOnBatch(inputs, targets);
    let start = performance.now();
    for (let i = 0; i < batches; i++) {
      await built.model.trainOnBatch(inputs, targets);
    }
    const trainRate = (batches * entry.batchSize) / ((performance.now() - start) / 1000);

    tf.dispose(built.model.predict(inputs) as tf.Tensor);
    start = performance.now();
    for (let i = 0; i < batches; i++) {
      const output = built.model.predict(inputs) as tf.Tensor;
      await output.data();
      output.dispose();
    }
    const inferenceRate = (batches * entry.batchSize) / ((performance.now() - start) / 1000);

    console.log(`  ${entry.label}: training ${trainRate.toFixed(1)} images/s, inference ${inferenceRate.toFixed(1)} images/s (${batches} batches)`);
    tf.dispose([inputs, targets]);
    optimizer.dispose();
    built.model.dispose();
  }
}

if (process.env.SWEEP_BENCH_CHILD === '1') {
  await measure();
} else {
  const self = fileURLToPath(import.meta.url);
  for (const name of ['tensorflow-gpu', 'tensorflow', 'cpu'] as BackendName[]) {
    const probe = await probeBackend(name);
    if (!probe.available) {
      console.log(`backend ${name}: skipped, ${probe.package} does not load (${probe.error})`);
      continue;
    }
    const result = spawnSync(process.execPath, ['--import', 'tsx', self], { stdio: 'inherit', env: { ...process.env, SWEEP_BACKEND: name, SWEEP_BENCH_CHILD: '1' } });
    if (result.status !== 0) {
      process.exitCode = 1;
    }
  }
}
