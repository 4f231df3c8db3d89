import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configHash } from '../../src/planner/config-hash.ts';
import { planTrials } from '../../src/planner/plan-trials.ts';
import { loadSpecFile, parseSpec } from '../../src/spec/parse-spec.ts';
import type { PlannedTrial } from '../../src/spec/trial-config.ts';

function spec(parameters: string, extra = '', trainingExtra = ''): ReturnType<typeof parseSpec> {
  const text = `name: planner-test
dataset: { name: cifar10 }
model:
  type: transfer
  head:
    dense_units: \${units}
training:
  augmentation: \${augmentation}
  head: { learning_rate: 5e-4, max_epochs: 2 }
  fine_tune:
    unfreeze_layers: \${unfreeze}
    learning_rate: \${lr}
    max_epochs: 1
${trainingExtra}parameters:
${parameters}
${extra}`;
  return parseSpec(text, 'planner-test.yaml');
}

const GRID = `  units: [64, 128]
  unfreeze: [0, 20, 40]
  lr: [1e-5, 1e-4]
  augmentation: [none, { horizontal_flip: true }]`;

function hashes(trials: Iterable<PlannedTrial>): string[] {
  return [...trials].map((trial) => trial.config_hash);
}

describe('grid planner', () => {
  it('expands the grid with the last parameter varying fastest', () => {
    const trials = [...planTrials(spec(GRID))];
    assert.deepEqual(trials[0].params, { units: 64, unfreeze: 0, lr: 1e-5, augmentation: 'none' });
    assert.deepEqual(trials[1].params, { units: 64, unfreeze: 0, lr: 1e-5, augmentation: { horizontal_flip: true } });
  });

  it('collapses configs where the fine-tune rate is unused', () => {
    const plan = planTrials(spec(GRID));
    const trials = [...plan];
    // 2 x 3 x 2 x 2 = 24 points; with unfreeze 0 the two rates are one config (4 points fewer).
    assert.equal(plan.summary.grid_points, 24);
    assert.equal(trials.length, 20);
    assert.equal(plan.summary.collapsed, 4);
    assert.equal(plan.summary.trials, 20);
    assert.equal(plan.summary.complete, true);
    for (const example of plan.summary.collapsed_examples) {
      assert.equal(example.params.unfreeze, 0);
      assert.equal(example.params.lr, 1e-4);
      assert.ok(trials.some((trial) => trial.config_hash === example.config_hash));
    }
  });

  it('drops the fine-tune phase when no layer is unfrozen', () => {
    const trial = [...planTrials(spec(GRID))].find((t) => t.params.unfreeze === 0);
    assert.ok(trial !== undefined);
    assert.equal(trial.config.training.fine_tune, undefined);
  });

  it('collapses all-zero augmentation into none', () => {
    const plan = planTrials(spec(`  units: [64]
  unfreeze: [20]
  lr: [1e-4]
  augmentation: [none, { horizontal_flip: false, translation: 0, zoom: 0, rotation: 0 }, {}]`));
    const trials = [...plan];
    assert.equal(trials.length, 1);
    assert.equal(plan.summary.collapsed, 2);
    assert.equal(trials[0].config.training.augmentation, undefined);
  });

  it('collapses numbers written differently', () => {
    const plan = planTrials(spec(`  units: [64]
  unfreeze: [20]
  lr: [1e-5, 1.0e-5, 0.00001, 1E-5]
  augmentation: [none]`));
    assert.equal([...plan].length, 1);
    assert.equal(plan.summary.collapsed, 3);
  });

  it('plans the same trials every time', () => {
    assert.deepEqual(hashes(planTrials(spec(GRID))), hashes(planTrials(spec(GRID))));
  });

  it('hashes each config canonically', () => {
    for (const trial of planTrials(spec(GRID))) {
      assert.equal(trial.config_hash, configHash(trial.config));
      assert.match(trial.config_hash, /^[0-9a-f]{64}$/);
    }
  });

  it('hashes equal content alike regardless of key order', () => {
    const reverseKeys = (value: unknown): unknown => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return value;
      }
      const entries = Object.entries(value).reverse();
      return Object.fromEntries(entries.map(([key, item]) => [key, reverseKeys(item)]));
    };
    for (const trial of planTrials(spec(GRID))) {
      assert.equal(configHash(reverseKeys(trial.config) as typeof trial.config), trial.config_hash);
    }
  });

  it('fills every defaultable field', () => {
    const trial = [...planTrials(spec(GRID))].find((t) => t.params.unfreeze === 20 && t.params.augmentation !== 'none');
    assert.ok(trial !== undefined);
    const { config } = trial;
    assert.equal(config.dataset.validation_split, 0.1);
    assert.deepEqual(config.model, {
      base: { alpha: 1, input_size: 96, name: 'mobilenet_v2', weights: 'imagenet' },
      head: { dense_units: 64, dropout: 0.5 },
      type: 'transfer',
    });
    assert.equal(config.training.batch_size, 128);
    assert.equal(config.training.seed, 0);
    assert.equal(config.training.head.optimizer, 'adam');
    assert.deepEqual(config.training.augmentation, { horizontal_flip: true, rotation: 0, translation: 0, zoom: 0 });
    assert.equal(config.training.fine_tune?.unfreeze_layers, 20);
    assert.equal(config.training.fine_tune?.optimizer, 'adam');
  });

  it('fills early stopping defaults', () => {
    const withEarlyStopping = parseSpec(
      `name: es
dataset: { name: cifar10 }
model: { type: simple-cnn }
training:
  head:
    learning_rate: 1e-3
    max_epochs: 5
    early_stopping: { patience: 3 }
`,
      'es.yaml',
    );
    const [trial] = [...planTrials(withEarlyStopping)];
    assert.deepEqual(trial.config.training.head.early_stopping, {
      min_delta: 0,
      monitor: 'val_accuracy',
      patience: 3,
      restore_best_weights: true,
    });
  });

  it('skips configs already in the sweep', () => {
    const all = hashes(planTrials(spec(GRID)));
    const existing = new Set(all.slice(0, 5));
    const plan = planTrials(spec(GRID), { existingHashes: existing });
    const rest = hashes(plan);
    assert.deepEqual(rest, all.slice(5));
    assert.equal(plan.summary.existing, 5);
  });

  it('streams a grid too large to hold in memory', () => {
    // 1000^4 = 10^12 points: only a lazy expansion can yield the first ones.
    const huge = parseSpec(
      `name: huge
dataset: { name: cifar10 }
model: { type: transfer, head: { dense_units: "\${units}" } }
training:
  seed: \${seed}
  batch_size: \${batch}
  head: { learning_rate: 5e-4, max_epochs: 2 }
  fine_tune: { unfreeze_layers: "\${unfreeze}", learning_rate: 1e-4, max_epochs: 1 }
parameters:
  units: { distribution: integer, low: 1, high: 1000 }
  unfreeze: { distribution: integer, low: 1, high: 1000 }
  seed: { distribution: integer, low: 0, high: 999 }
  batch: { distribution: integer, low: 1, high: 1000 }
`,
      'huge.yaml',
    );
    const plan = planTrials(huge);
    assert.equal(plan.gridPoints, 1e12);
    const first: PlannedTrial[] = [];
    for (const trial of plan) {
      first.push(trial);
      if (first.length === 3) {
        break;
      }
    }
    assert.deepEqual(
      first.map((trial) => trial.params),
      [
        { units: 1, unfreeze: 1, seed: 0, batch: 1 },
        { units: 1, unfreeze: 1, seed: 0, batch: 2 },
        { units: 1, unfreeze: 1, seed: 0, batch: 3 },
      ],
    );
  });
});

describe('baseline trial', () => {
  it('comes first with the simple CNN and the sweep seed', () => {
    const withBaseline = spec(GRID, 'baseline: true\n', '  seed: 7\n');
    const [first, second] = [...planTrials(withBaseline)];
    assert.equal(first.is_baseline, true);
    assert.deepEqual(first.params, {});
    assert.equal(first.config.model.type, 'simple-cnn');
    assert.equal(first.config.training.seed, 7);
    assert.equal(first.config.training.head.learning_rate, 1e-3);
    assert.equal(first.config.training.fine_tune, undefined);
    assert.equal(first.config_hash, configHash(first.config));
    assert.equal(second.is_baseline, false);
  });

  it('is planned once in the shipped study', async () => {
    const study = await loadSpecFile(new URL('../../sweeps/finetune.yaml', import.meta.url).pathname);
    const plan = planTrials(study);
    const trials = [...plan];
    assert.equal(trials.filter((trial) => trial.is_baseline).length, 1);
    // 3 x 2 x 2 x 2 = 24 points, 4 collapse (0 unfrozen layers), plus the baseline.
    assert.equal(trials.length, 21);
    assert.equal(plan.summary.collapsed, 4);
  });
});

describe('random planner', () => {
  const RANDOM = `  units: { distribution: integer, low: 32, high: 512, step: 32 }
  unfreeze: [0, 20, 40]
  lr: { distribution: log_uniform, low: 1e-6, high: 1e-3 }
  augmentation: [none, { horizontal_flip: true }]`;

  it('samples the same trials for the same seed', () => {
    const first = hashes(planTrials(spec(RANDOM, 'search: { method: random, trials: 20, seed: 3 }\n')));
    const second = hashes(planTrials(spec(RANDOM, 'search: { method: random, trials: 20, seed: 3 }\n')));
    assert.equal(first.length, 20);
    assert.deepEqual(first, second);
  });

  it('samples different trials for another seed', () => {
    const first = hashes(planTrials(spec(RANDOM, 'search: { method: random, trials: 20, seed: 3 }\n')));
    const other = hashes(planTrials(spec(RANDOM, 'search: { method: random, trials: 20, seed: 4 }\n')));
    assert.notDeepEqual(first, other);
  });

  it('takes the seed from the options', () => {
    const fromFile = hashes(planTrials(spec(RANDOM, 'search: { method: random, trials: 20, seed: 4 }\n')));
    const fromOptions = hashes(planTrials(spec(RANDOM, 'search: { method: random, trials: 20, seed: 3 }\n'), { seed: 4 }));
    assert.deepEqual(fromOptions, fromFile);
  });

  it('never repeats a config', () => {
    const trials = hashes(planTrials(spec(RANDOM, 'search: { method: random, trials: 200, seed: 1 }\n')));
    assert.equal(new Set(trials).size, trials.length);
  });

  it('keeps sampled values inside their ranges', () => {
    for (const trial of planTrials(spec(RANDOM, 'search: { method: random, trials: 50, seed: 9 }\n'))) {
      const lr = trial.params.lr as number;
      const units = trial.params.units as number;
      assert.ok(lr >= 1e-6, `lr ${lr}`);
      assert.ok(lr <= 1e-3, `lr ${lr}`);
      assert.equal(units % 32, 0, `units ${units}`);
      assert.ok(units >= 32, `units ${units}`);
      assert.ok(units <= 512, `units ${units}`);
    }
  });

  it('stops when a discrete space runs out', () => {
    const small = spec(GRID, 'search: { method: random, trials: 100, seed: 5 }\n');
    const plan = planTrials(small);
    const trials = hashes(plan);
    // The grid has 24 points and 20 distinct configs.
    assert.equal(trials.length, 20);
    assert.equal(plan.summary.exhausted, true);
    assert.deepEqual(new Set(trials), new Set(hashes(planTrials(spec(GRID)))));
  });

  it('resumes with existing configs counted toward the budget', () => {
    const search = 'search: { method: random, trials: 10, seed: 2 }\n';
    const all = hashes(planTrials(spec(RANDOM, search)));
    const plan = planTrials(spec(RANDOM, search), { existingHashes: new Set(all.slice(0, 4)) });
    assert.deepEqual(hashes(plan), all.slice(4));
    assert.equal(plan.summary.existing, 4);
  });
});
