// K head-only variants of one frozen MobileNetV2 base (different dense sizes),
// trained with train() once with SWEEP_FEATURE_CACHE=off and once with it on
// (starting from an empty cache), on real CIFAR-10 images.
//
//   node --import tsx test/bench/feature-cache.bench.ts [options]
//     --dense 32,64,128,256   dense sizes of the K variants (default 4 sizes)
//     --train N               training images before the validation split (default 500)
//     --test N                test images (default 200)
//     --epochs N              head epochs per variant (default 3)
//     --size N                input size of the base (default 96)
//
// Data: SWEEP_DATA_DIR, else the shared CIFAR-10 copy next to the repository.
// Weights: SWEEP_WEIGHTS_DIR, else the shared MobileNetV2 α 0.35 ImageNet weights.
// Target: the K cached variants together cost about one base pass plus K head trainings
// (plus what every trial pays anyway: model build, data loading, saving).
import { loadavg } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TrialConfig } from '../../src/spec/trial-config.ts';
import { train } from '../../src/trainer/train.ts';
import type { TrialResult } from '../../src/trainer/types.ts';

const { values } = parseArgs({
  options: {
    dense: { type: 'string', default: '32,64,128,256' },
    train: { type: 'string', default: '500' },
    test: { type: 'string', default: '200' },
    epochs: { type: 'string', default: '3' },
    size: { type: 'string', default: '96' },
  },
});
const denseSizes = values.dense.split(',').map(Number);
const trainLimit = Number(values.train);
const testLimit = Number(values.test);
const epochs = Number(values.epochs);
const inputSize = Number(values.size);

const dataDir = process.env.SWEEP_DATA_DIR ?? new URL('../../../shared/data/cifar-10-batches-bin', import.meta.url).pathname;
process.env.SWEEP_WEIGHTS_DIR ??= new URL('../../../shared/data/mobilenet_v2', import.meta.url).pathname;
const cacheRoot = mkdtempSync(join(tmpdir(), 'sweep-feature-bench-'));
process.env.SWEEP_CACHE_DIR = cacheRoot;

function variant(denseUnits: number): TrialConfig {
  return {
    dataset: { name: 'cifar10', path: dataDir, validation_split: 0.2, limits: { train: trainLimit, test: testLimit } },
    model: { type: 'transfer', base: { name: 'mobilenet_v2', alpha: 0.35, input_size: inputSize, weights: 'imagenet' }, head: { dense_units: denseUnits, dropout: 0.5 } },
    training: { batch_size: 128, seed: 1, head: { optimizer: 'adam', learning_rate: 5e-4, max_epochs: epochs } },
  };
}

interface Run {
  denseUnits: number;
  seconds: number;
  headSeconds: number;
  /** Seconds spent computing cache entries (the frozen pass) in this trial. */
  fillSeconds: number;
  result: TrialResult;
}

async function runVariants(cache: 'on' | 'off'): Promise<Run[]> {
  process.env.SWEEP_FEATURE_CACHE = cache;
  const runs: Run[] = [];
  for (const denseUnits of denseSizes) {
    const logs: string[] = [];
    const outputDir = mkdtempSync(join(tmpdir(), 'sweep-feature-bench-out-'));
    const started = performance.now();
    const result = await train({ config: variant(denseUnits), outputDir, onLog: (message) => logs.push(message) });
    const seconds = (performance.now() - started) / 1000;
    rmSync(outputDir, { recursive: true, force: true });

    const fillSeconds = logs
      .filter((line) => line.startsWith('feature cache miss'))
      .map((line) => Number(/, ([\d.]+) s$/.exec(line)?.[1] ?? 0))
      .reduce((sum, value) => sum + value, 0);
    runs.push({ denseUnits, seconds, headSeconds: result.phases[0].seconds, fillSeconds, result });
    const cacheLines = logs.filter((line) => line.startsWith('feature cache')).map((line) => line.replace(/:.*, key/, ': … key'));
    console.log(`cache ${cache.padEnd(3)} dense ${String(denseUnits).padStart(4)}: ${seconds.toFixed(1)} s (head phase ${result.phases[0].seconds.toFixed(1)} s), test accuracy ${result.test_accuracy.toFixed(4)}; ${cacheLines.join('; ') || 'no cache lines'}`);
  }
  return runs;
}

console.log(`K=${denseSizes.length} head-only variants, MobileNetV2 α 0.35 at ${inputSize}×${inputSize}, ${trainLimit} training images (20% validation), ${testLimit} test images, ${epochs} epochs, batch 128`);
console.log(`load average before: ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);

try {
  const uncached = await runVariants('off');
  const cached = await runVariants('on');

  const total = (runs: Run[]): number => runs.reduce((sum, run) => sum + run.seconds, 0);
  const basePass = cached.reduce((sum, run) => sum + run.fillSeconds, 0);
  const headTrainings = cached.reduce((sum, run) => sum + run.headSeconds, 0);
  const cachedTotal = total(cached);
  const overhead = cachedTotal - basePass - headTrainings;
  const accuracyGap = Math.max(...cached.map((run, index) => Math.abs(run.result.test_accuracy - uncached[index].result.test_accuracy)));

  console.log('');
  console.log(`without cache: ${total(uncached).toFixed(1)} s for ${denseSizes.length} variants`);
  console.log(`with cache:    ${cachedTotal.toFixed(1)} s = base pass ${basePass.toFixed(1)} s + ${denseSizes.length} head trainings ${headTrainings.toFixed(1)} s + other ${overhead.toFixed(1)} s (model builds, data loading, test evaluation, saving)`);
  console.log(`speed-up: ${(total(uncached) / cachedTotal).toFixed(2)}×; largest test accuracy difference: ${accuracyGap.toExponential(2)}`);
  console.log(`per variant: ${(total(uncached) / uncached.length).toFixed(1)} s without cache; with it, head training ${(headTrainings / cached.length).toFixed(1)} s + other ${(overhead / cached.length).toFixed(1)} s, plus the one base pass`);
  console.log(`load average after: ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
} finally {
  rmSync(cacheRoot, { recursive: true, force: true });
}
