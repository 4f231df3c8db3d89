// Training speed of the pure-JS cpu backend with the stock and the fast kernels, and a
// per-kernel profile (tf.profile's kernelTimeMs summed by kernel name).
//
//   node --import tsx test/bench/cpu-kernels.bench.ts [options]
//     --model simple-cnn|mobilenet|all   which model to train (default all)
//     --kernels fast|stock|both          which kernels (default fast; stock is ~2 minutes per batch)
//     --batches N                        timed batches after the warm-up (default 5)
//     --warmup N                         untimed batches first (default 1)
//     --profile                          also print the per-kernel profile of one more batch
//
// Models: the reference simple CNN (batch 128 of 32×32×3), and the MobileNetV2 α 0.35
// transfer model at 96×96 with its last 20 base layers unfrozen (batch 128 of CIFAR-sized
// 32×32×3 images resized inside the model). Inputs are random; speed does not depend on them.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../src/spec/trial-config.ts';
import { installCpuKernels, uninstallCpuKernels } from '../../src/trainer/backends/cpu-kernels/index.ts';
import type { BuiltModel } from '../../src/trainer/models/model-builder.ts';
import { buildMobileNetV2Transfer } from '../../src/trainer/models/mobilenet-v2.ts';
import { buildSimpleCnn } from '../../src/trainer/models/simple-cnn.ts';

const BATCH = 128;
const CLASSES = 10;

interface BenchModel {
  name: string;
  build(): Promise<BuiltModel>;
  learningRate: number;
  /** Base layers to unfreeze before compiling; 0 for models without a base. */
  unfreeze: number;
}

const buildOptions = { classes: CLASSES, seed: 1, cacheDir: '/nonexistent' };

const MODELS: Record<string, BenchModel> = {
  'simple-cnn': {
    name: 'simple CNN',
    build: () => buildSimpleCnn({ type: 'simple-cnn', dropout: 0.5 }, buildOptions),
    learningRate: 1e-3,
    unfreeze: 0,
  },
  mobilenet: {
    name: 'MobileNetV2 a0.35 96x96, last 20 layers',
    build: () => {
      const config: ModelConfig = {
        type: 'transfer',
        base: { name: 'mobilenet_v2', alpha: 0.35, input_size: 96, weights: 'none' },
        head: { dense_units: 256, dropout: 0.5 },
      };
      return buildMobileNetV2Transfer(config, buildOptions);
    },
    learningRate: 1e-5,
    unfreeze: 20,
  },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function randomBatch(): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.randomUniform([BATCH, 32, 32, 3], 0, 1, 'float32', 7);
    const labels = tf.randomUniform([BATCH], 0, CLASSES, 'int32', 8);
    return { x, y: tf.oneHot(labels, CLASSES).toFloat() };
  });
}

async function compiledModel(spec: BenchModel): Promise<tf.LayersModel> {
  const built = await spec.build();
  if (spec.unfreeze > 0) {
    built.unfreezeLastLayers(spec.unfreeze);
  }
  built.model.compile({ optimizer: tf.train.adam(spec.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return built.model;
}

interface KernelRow {
  name: string;
  ms: number;
  calls: number;
}

async function profileBatch(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<KernelRow[]> {
  const info = await tf.profile(async () => {
    await model.trainOnBatch(x, y);
  });
  const rows = new Map<string, KernelRow>();
  for (const kernel of info.kernels) {
    // A custom-gradient op (`fusedConv2d__op` and the like) is recorded around the kernels
    // it runs, so counting it too would count their time twice.
    if (kernel.name.endsWith('__op')) {
      continue;
    }
    const row = rows.get(kernel.name) ?? { name: kernel.name, ms: 0, calls: 0 };
    const ms = await kernel.kernelTimeMs;
    row.ms += typeof ms === 'number' ? ms : 0;
    row.calls += 1;
    rows.set(kernel.name, row);
  }
  return [...rows.values()].sort((a, b) => b.ms - a.ms);
}

async function benchModel(spec: BenchModel, kernels: 'fast' | 'stock', warmup: number, batches: number, profile: boolean): Promise<void> {
  if (kernels === 'fast') {
    const { installed } = installCpuKernels();
    if (installed.length === 0) {
      throw new Error('installCpuKernels installed no kernel. Unset SWEEP_CPU_KERNELS and run on the cpu backend.');
    }
  } else {
    uninstallCpuKernels();
  }
  const model = await compiledModel(spec);
  const { x, y } = randomBatch();

  const warmStart = performance.now();
  for (let i = 0; i < warmup; i++) {
    await model.trainOnBatch(x, y);
  }
  const warmSeconds = (performance.now() - warmStart) / 1000;

  // Wall-clock rates include the time that other processes take from the two cores. Rates
  // per CPU-second of this process (user + system) vary less on a shared machine.
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let i = 0; i < batches; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await model.trainOnBatch(x, y);
    const cpu = process.cpuUsage(cpuStart);
    rates.push(BATCH / ((performance.now() - start) / 1000));
    cpuRates.push(BATCH / ((cpu.user + cpu.system) / 1e6));
  }
  const summary = (values: number[]): string =>
    values.length === 0 ? 'none timed' : `best ${Math.max(...values).toFixed(1)}, median ${median(values).toFixed(1)}`;
  console.log(
    `${spec.name} | ${kernels} | warm-up ${warmup} batches ${warmSeconds.toFixed(1)} s | images/s ${summary(rates)} | ` +
      `images per CPU-second ${summary(cpuRates)} | ${rates.length} batches of ${BATCH} | load average ${loadavg()[0].toFixed(1)}`,
  );

  if (profile) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const rows = await profileBatch(model, x, y);
    const cpu = process.cpuUsage(cpuStart);
    const seconds = (performance.now() - start) / 1000;
    const total = rows.reduce((sum, row) => sum + row.ms, 0);
    console.log(
      `profile of one batch (${kernels}): ${seconds.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU, ` +
        `kernelTimeMs summed by kernel ${total.toFixed(0)} ms, load average ${loadavg()[0].toFixed(1)}:`,
    );
    console.log('| kernel | calls | ms | share |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const row of rows.slice(0, 20)) {
      console.log(`| ${row.name} | ${row.calls} | ${row.ms.toFixed(0)} | ${((100 * row.ms) / total).toFixed(1)}% |`);
    }
  }
  tf.dispose([x, y]);
  model.dispose();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'all' },
      kernels: { type: 'string', default: 'fast' },
      batches: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      profile: { type: 'boolean', default: false },
    },
  });
  const models = values.model === 'all' ? Object.keys(MODELS) : [values.model];
  for (const name of models) {
    if (MODELS[name] === undefined) {
      throw new Error(`--model must be simple-cnn, mobilenet or all, got ${name}`);
    }
  }
  if (!['fast', 'stock', 'both'].includes(values.kernels)) {
    throw new Error(`--kernels must be fast, stock or both, got ${values.kernels}`);
  }
  const batches = Number(values.batches);
  const warmup = Number(values.warmup);
  for (const [flag, count] of [['--batches', batches], ['--warmup', warmup]] as const) {
    if (!Number.isInteger(count) || count < 0) {
      throw new Error(`${flag} must be a non-negative integer, got ${String(count)}`);
    }
  }

  await tf.setBackend('cpu');
  tf.enableProdMode();
  const kernelSets: Array<'fast' | 'stock'> = values.kernels === 'both' ? ['stock', 'fast'] : [values.kernels as 'fast' | 'stock'];
  console.log(`cpu-kernels bench: Node ${process.version}, tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);
  for (const name of models) {
    for (const kernels of kernelSets) {
      await benchModel(MODELS[name], kernels, warmup, kernels === 'stock' ? Math.min(batches, 1) : batches, values.profile);
    }
  }
}

await main();
