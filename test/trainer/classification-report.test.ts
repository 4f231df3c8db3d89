import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classificationReport, confusionMatrix } from '../../src/trainer/classification-report.ts';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

test('confusion matrix counts true by predicted', () => {
  const confusion = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3);

  assert.deepEqual(confusion, [
    [1, 1, 0],
    [0, 1, 0],
    [1, 0, 2],
  ]);
});

test('per-class metrics and averages', () => {
  const report = classificationReport(
    [
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ],
    ['a', 'b', 'c'],
  );

  close(report.perClass[0].precision, 0.5);
  close(report.perClass[0].recall, 0.5);
  close(report.perClass[1].precision, 0.5);
  close(report.perClass[1].recall, 1);
  close(report.perClass[1].f1, 2 / 3);
  close(report.perClass[2].precision, 1);
  close(report.perClass[2].recall, 2 / 3);
  assert.equal(report.perClass[2].support, 3);
  assert.equal(report.perClass[2].class_name, 'c');
  close(report.macroAvg.recall, (0.5 + 1 + 2 / 3) / 3);
  close(report.weightedAvg.recall, (0.5 * 2 + 1 * 1 + (2 / 3) * 3) / 6);
});

test('never-predicted class scores 0, not NaN', () => {
  const report = classificationReport(
    [
      [2, 0],
      [1, 0],
    ],
    ['a', 'b'],
  );

  assert.equal(report.perClass[1].precision, 0);
  assert.equal(report.perClass[1].f1, 0);
  assert.equal(report.perClass[1].support, 1);
});
