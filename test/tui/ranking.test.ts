import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatPercent, formatPoints, progressBar, sparkline, truncate } from '../../src/tui/format.ts';
import { layoutColumns } from '../../src/tui/layout.ts';
import { baselineTrial, bestTrial, defaultRanking, filterTrials, rankKeysFor, sortTrials } from '../../src/tui/ranking.ts';
import { estimateRemainingSeconds, variedParameterNames } from '../../src/tui/snapshot.ts';
import { snapshotOf, trialRow } from './rows.ts';

const trials = [
  trialRow({ number: 1, state: 'COMPLETE', testAccuracy: 0.8, overfittingGap: 0.1, durationSeconds: 300, isBaseline: true }),
  trialRow({ number: 2, state: 'COMPLETE', testAccuracy: 0.82, overfittingGap: 0.09, durationSeconds: 500 }),
  trialRow({ number: 3, state: 'COMPLETE', testAccuracy: 0.82, overfittingGap: 0.05, durationSeconds: 400 }),
  trialRow({ number: 4, state: 'RUNNING', startedAt: new Date(0) }),
  trialRow({ number: 5, state: 'FAIL', error: 'boom' }),
  trialRow({ number: 6, state: 'COMPLETE', testAccuracy: Number.NaN, overfittingGap: Number.NaN, durationSeconds: 100 }),
  trialRow({ number: 7, state: 'WAITING' }),
];

function numbers(rows: readonly { number: number }[]): number[] {
  return rows.map((row) => row.number);
}

describe('ranking', () => {
  test('accuracy sort ranks by accuracy then gap', () => {
    const sorted = sortTrials(trials, rankKeysFor('accuracy', defaultRanking), 1000);
    assert.deepEqual(numbers(sorted), [3, 2, 1, 4, 5, 6, 7]);
  });

  test('gap sort puts the smallest gap first', () => {
    const sorted = sortTrials(trials, rankKeysFor('gap', defaultRanking), 1000);
    assert.deepEqual(numbers(sorted).slice(0, 3), [3, 2, 1]);
  });

  test('duration sort counts running time', () => {
    // Trial 4 started at 0 and "now" is 1000 s: it has run 1000 s, the longest.
    const sorted = sortTrials(trials, rankKeysFor('duration', defaultRanking), 1_000_000);
    assert.deepEqual(numbers(sorted).slice(0, 5), [6, 1, 3, 2, 4]);
  });

  test('sweep ranking order is honoured', () => {
    const ranking = [{ metric: 'overfitting_gap', order: 'asc' as const }];
    assert.deepEqual(numbers(sortTrials(trials, rankKeysFor('accuracy', ranking), 0)).slice(0, 3), [3, 2, 1]);
  });

  test('filter keeps one state', () => {
    assert.deepEqual(numbers(filterTrials(trials, 'COMPLETE')), [1, 2, 3, 6]);
    assert.equal(filterTrials(trials, 'all').length, trials.length);
  });

  test('best trial ignores NaN and ties on gap', () => {
    assert.equal(bestTrial(trials, defaultRanking)?.number, 3);
  });

  test('baseline is the marked trial', () => {
    assert.equal(baselineTrial(trials)?.number, 1);
    assert.equal(baselineTrial(trials.slice(1)), null);
  });
});

describe('snapshot helpers', () => {
  test('varied parameters skip constant ones', () => {
    const rows = [
      trialRow({ number: 1, params: {} }),
      trialRow({ number: 2, params: { lr: 0.1, units: 256 } }),
      trialRow({ number: 3, params: { lr: 0.01, units: 256 } }),
    ];
    assert.deepEqual(variedParameterNames(rows), ['lr']);
  });

  test('remaining time spreads waiting work', () => {
    const snapshot = snapshotOf([
      trialRow({ number: 1, state: 'COMPLETE', durationSeconds: 100 }),
      trialRow({ number: 2, state: 'COMPLETE', durationSeconds: 300 }),
      trialRow({ number: 3, state: 'RUNNING', startedAt: new Date(1000_000 - 50_000) }),
      trialRow({ number: 4, state: 'WAITING' }),
    ]);
    // Mean 200 s: 150 s left on trial 3 plus 200 s waiting, over one running trial.
    assert.equal(estimateRemainingSeconds(snapshot, new Date(1000_000)), 350);
  });

  test('remaining time is unknown before a trial ends', () => {
    const snapshot = snapshotOf([trialRow({ number: 1, state: 'RUNNING' })]);
    assert.equal(estimateRemainingSeconds(snapshot, new Date()), null);
  });
});

describe('format', () => {
  test('sparkline scales between min and max', () => {
    assert.equal(sparkline([0.1, 0.5, 0.9], 10), '▁▅█');
    assert.equal(sparkline([0.5, Number.NaN], 10), '█·');
  });

  test('sparkline keeps the latest values', () => {
    assert.equal(sparkline([0, 1, 0, 1], 2), '▁█');
  });

  test('progress bar fills by fraction', () => {
    assert.equal(progressBar(3, 10, 10), '███░░░░░░░');
    assert.equal(progressBar(12, 10, 4), '████');
  });

  test('percent and points', () => {
    assert.equal(formatPercent(0.8275), '82.75%');
    assert.equal(formatPercent(null), '-');
    assert.equal(formatPoints(0.8275 - 0.7312), '+9.63 pts');
  });

  test('truncate marks cut text', () => {
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abc', 4), 'abc');
  });
});

describe('layout', () => {
  test('columns fit the terminal width', () => {
    const rows = [trialRow({ number: 1, params: { unfreeze_layers: 20, dense_units: 256, fine_tune_lr: 0.00001 } })];
    for (const width of [60, 80, 100, 160]) {
      const layout = layoutColumns(width, ['unfreeze_layers', 'dense_units', 'fine_tune_lr'], rows);
      const cells = [layout.marker, layout.number, ...layout.params.map((param) => param.width), layout.accuracy, layout.gap, layout.delta, layout.state, layout.spark, layout.info];
      const used = cells.filter((cell) => cell > 0).reduce((sum, cell) => sum + cell + 1, 0) - 1;
      assert.ok(used <= width, `width ${width}: used ${used}`);
    }
  });

  test('wide terminal keeps sparkline and difference', () => {
    const layout = layoutColumns(160, ['lr'], [trialRow({ number: 1, params: { lr: 0.1 } })]);
    assert.ok(layout.spark > 0);
    assert.ok(layout.delta > 0);
  });
});
