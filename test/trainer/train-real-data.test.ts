import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectBackend } from '../../src/trainer/backends/select-backend.ts';
import { train } from '../../src/trainer/train.ts';
import { fixtureConfig, sharedCifar10Dir, temporaryDir } from './fixtures.ts';

// Caches the trainer fills go to a fresh folder, not ~/.sweep.
process.env.SWEEP_CACHE_DIR = await temporaryDir('real-data-cache');
const backend = await selectBackend();
// The stock cpu kernels train the simple CNN at about 1 image/s, far too slow for this test.
const fastEnough = backend.name !== 'cpu' || backend.cpuKernels.includes('Conv2DBackpropFilter');
const skip = !existsSync(join(sharedCifar10Dir, 'data_batch_1.bin'))
  ? `no CIFAR-10 copy in ${sharedCifar10Dir}`
  : !fastEnough
    ? 'the cpu backend has no fast Conv2DBackpropFilter kernel installed'
    : false;

test('simple CNN beats chance on real CIFAR-10', { skip, timeout: 600_000 }, async () => {
  const config = fixtureConfig(sharedCifar10Dir, { epochs: 2, seed: 1, limits: { train: 1000, test: 500 } });
  config.model = { type: 'simple-cnn', dropout: 0.5 };
  config.dataset.validation_split = 0.1;
  config.training.batch_size = 32;
  config.training.head.learning_rate = 0.001;

  const result = await train({ config, outputDir: await temporaryDir('real-data') });

  // Chance is 10% on the 10 balanced classes; two epochs over 900 images reached 27.4% when measured.
  assert.ok(result.test_accuracy > 0.2, `test accuracy ${result.test_accuracy}`);
  assert.equal(result.total_params, 2_122_186);
});
