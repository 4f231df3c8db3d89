import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AshaPruner, createPruner, MedianPruner, type TrialCurve } from '../../../src/scheduler/pruning/index.ts';

function curve(trialId: string, values: number[], state: TrialCurve['state'] = 'COMPLETE'): TrialCurve {
  return { trialId, state, values };
}

const median = new MedianPruner({ metric: 'val_accuracy', min_epochs: 2, min_trials: 3 });
const finished = [curve('a', [0.3, 0.5, 0.6]), curve('b', [0.2, 0.4, 0.5]), curve('c', [0.1, 0.3, 0.4])];

test('median prunes a trial below the median', () => {
  const decision = median.decide(curve('x', [0.1, 0.2], 'RUNNING'), finished);
  assert.equal(decision.prune, true);
  assert.match(decision.reason, /pruned after epoch 2: best val_accuracy 0\.2000 is worse than the median 0\.4000 of 3 finished trials/);
});

test('median keeps a trial above the median', () => {
  assert.equal(median.decide(curve('x', [0.1, 0.45], 'RUNNING'), finished).prune, false);
});

test('median keeps a trial tied with the median', () => {
  assert.equal(median.decide(curve('x', [0.4, 0.4], 'RUNNING'), finished).prune, false);
});

test('median waits for min epochs', () => {
  assert.equal(median.decide(curve('x', [0.0], 'RUNNING'), finished).prune, false);
});

test('median waits for min finished trials', () => {
  const twoFinished = [...finished.slice(0, 2), curve('c', [0.9, 0.9], 'RUNNING')];
  assert.equal(median.decide(curve('x', [0.0, 0.0], 'RUNNING'), twoFinished).prune, false);
});

test('median prunes a NaN trial', () => {
  const decision = median.decide(curve('x', [Number.NaN, Number.NaN], 'RUNNING'), finished);
  assert.equal(decision.prune, true);
});

test('median ignores NaN epochs of finished trials', () => {
  // Trial d diverged at epoch 2; its best by then is its epoch-1 value, 0.9.
  const withDiverged = [...finished, curve('d', [0.9, Number.NaN])];
  // References at epoch 2: 0.5, 0.4, 0.3, 0.9 → median 0.45.
  assert.equal(median.decide(curve('x', [0.1, 0.44], 'RUNNING'), withDiverged).prune, true);
  assert.equal(median.decide(curve('x', [0.1, 0.45], 'RUNNING'), withDiverged).prune, false);
});

test('median uses the whole run of early finishers', () => {
  // Each finished after one epoch (early stopping) with 0.7, 0.8 and 0.9.
  const short = [curve('a', [0.7]), curve('b', [0.8]), curve('c', [0.9])];
  assert.equal(median.decide(curve('x', [0.5, 0.79], 'RUNNING'), short).prune, true);
  assert.equal(median.decide(curve('x', [0.5, 0.8], 'RUNNING'), short).prune, false);
});

test('median minimises a loss metric', () => {
  const lossPruner = new MedianPruner({ metric: 'val_loss', min_epochs: 1, min_trials: 3 });
  const losses = [curve('a', [1.0]), curve('b', [2.0]), curve('c', [3.0])];
  assert.equal(lossPruner.decide(curve('x', [2.5], 'RUNNING'), losses).prune, true);
  assert.equal(lossPruner.decide(curve('x', [1.5], 'RUNNING'), losses).prune, false);
});

const asha = new AshaPruner({ metric: 'val_accuracy', min_epochs: 1, reduction_factor: 3, rungs: 3 });

test('asha places rungs at min epochs times eta powers', () => {
  assert.deepEqual(asha.rungEpochs, [1, 3, 9]);
});

test('asha keeps the first trial at a rung', () => {
  assert.equal(asha.decide(curve('x', [0.1], 'RUNNING'), []).prune, false);
});

test('asha keeps only the top third at a rung', () => {
  const others = [curve('a', [0.5, 0.6, 0.7], 'RUNNING'), curve('b', [0.4, 0.5, 0.55]), curve('c', [0.2], 'PRUNED'), curve('d', [0.3, 0.35, 0.4])];
  // At rung epoch 1 the competing values are 0.5, 0.4, 0.2, 0.3 and own: 5 values keep 1.
  assert.equal(asha.decide(curve('x', [0.45], 'RUNNING'), others).prune, true);
  assert.equal(asha.decide(curve('x', [0.55], 'RUNNING'), others).prune, false);
  // At rung epoch 3: a 0.7, b 0.55, d 0.4 and own: 4 values keep 1.
  assert.equal(asha.decide(curve('x', [0.1, 0.2, 0.69], 'RUNNING'), others).prune, true);
  assert.equal(asha.decide(curve('x', [0.1, 0.2, 0.71], 'RUNNING'), others).prune, false);
});

test('asha keeps a trial tied at the threshold', () => {
  const others = [curve('a', [0.5]), curve('b', [0.3])];
  assert.equal(asha.decide(curve('x', [0.5], 'RUNNING'), others).prune, false);
});

test('asha does not decide between rungs', () => {
  const others = [curve('a', [0.9, 0.9]), curve('b', [0.9, 0.9]), curve('c', [0.9, 0.9])];
  assert.equal(asha.decide(curve('x', [0.9, 0.0], 'RUNNING'), others).prune, false);
});

test('asha prunes NaN and ranks NaN others last', () => {
  assert.equal(asha.decide(curve('x', [Number.NaN], 'RUNNING'), []).prune, true);
  const others = [curve('a', [Number.NaN]), curve('b', [Number.NaN]), curve('c', [Number.NaN])];
  assert.equal(asha.decide(curve('x', [0.01], 'RUNNING'), others).prune, false);
});

test('asha ignores trials that stopped before the rung', () => {
  // Trials a and b finished after epoch 2 (early stopping): they never reached rung epoch 3.
  const others = [curve('a', [0.9, 0.95]), curve('b', [0.9, 0.95])];
  assert.equal(asha.decide(curve('x', [0.1, 0.2, 0.3], 'RUNNING'), others).prune, false);
});

test('createPruner builds the configured pruner', () => {
  assert.equal(createPruner(undefined), undefined);
  assert.ok(createPruner({ method: 'median', metric: 'val_accuracy', min_epochs: 1, min_trials: 5 }) instanceof MedianPruner);
  assert.ok(createPruner({ method: 'asha', metric: 'val_accuracy', min_epochs: 1, reduction_factor: 3, rungs: 3 }) instanceof AshaPruner);
});

test('pruner options are validated', () => {
  assert.throws(() => new AshaPruner({ metric: 'val_accuracy', min_epochs: 1, reduction_factor: 1, rungs: 3 }), /options\.reduction_factor must be greater than 1, got 1/);
  assert.throws(() => new MedianPruner({ metric: 'val_accuracy', min_epochs: 0, min_trials: 1 }), /options\.min_epochs must be a positive integer, got 0/);
});
