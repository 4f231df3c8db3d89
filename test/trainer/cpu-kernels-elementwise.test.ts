import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { compareWithStock, randomSource, randomTensor } from './cpu-kernels-helpers.ts';

const TOLERANCE = 1e-5;

before(async () => {
  await tf.setBackend('cpu');
});

const BINARY_SHAPES: Array<[number[], number[]]> = [
  [[2, 3, 4], [2, 3, 4]],
  [[2, 3, 4], []],
  [[], [5, 2]],
  [[3, 5, 6], [6]],
  [[6], [2, 6]],
  [[4, 1, 1, 5], [4, 3, 3, 5]],
  [[2, 1, 3], [1, 4, 1]],
  [[1, 1], [3, 1, 2]],
];

describe('binary elementwise kernels', () => {
  for (const kernelName of ['Add', 'Sub', 'Multiply', 'RealDiv']) {
    for (const [index, [aShape, bShape]] of BINARY_SHAPES.entries()) {
      test(`${kernelName} matches stock: ${JSON.stringify(aShape)} and ${JSON.stringify(bShape)}`, () => {
        const next = randomSource(1200 + index);
        const a = randomTensor(aShape, next);
        const b = randomTensor(bShape, next);
        assert.ok(compareWithStock(kernelName, { a, b }, {}) <= TOLERANCE);
        tf.dispose([a, b]);
      });
    }
  }

  test('Add of int32 tensors goes to the stock kernel', () => {
    const a = tf.tensor([1, 2, 3], [3], 'int32');
    const b = tf.tensor([4, 5, 6], [3], 'int32');
    assert.equal(compareWithStock('Add', { a, b }, {}, false), 0);
    tf.dispose([a, b]);
  });
});

describe('unary elementwise kernels', () => {
  const withSpecials = (): tf.Tensor => tf.tensor([-2, -0.5, 0, 0.5, 3, 7, NaN, -Infinity, Infinity], [3, 3]);

  for (const kernelName of ['Relu', 'Relu6', 'Sqrt']) {
    test(`${kernelName} matches stock`, () => {
      const x = withSpecials();
      assert.ok(compareWithStock(kernelName, { x }, {}) <= TOLERANCE);
      x.dispose();
    });
  }

  test('Step matches stock, NaN included', () => {
    const x = tf.tensor([-2, 0, 0.5, NaN, Infinity], [5]);
    assert.ok(compareWithStock('Step', { x }, { alpha: 0.1 }) <= TOLERANCE);
    x.dispose();
  });

  test('ClipByValue matches stock', () => {
    const x = tf.tensor([-2, -0.5, 0, 0.5, 3, 7, -Infinity, Infinity], [2, 4]);
    assert.ok(compareWithStock('ClipByValue', { x }, { clipValueMin: 0, clipValueMax: 6 }) <= TOLERANCE);
    x.dispose();
  });
});

const REDUCTIONS: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean; covered: boolean }> = [
  { shape: [6, 5, 4, 3], axis: [0, 1, 2], keepDims: false, covered: true },
  { shape: [6, 5, 4, 3], axis: [1, 2], keepDims: false, covered: true },
  { shape: [6, 5, 4, 3], axis: [1, 2], keepDims: true, covered: true },
  { shape: [6, 5, 4, 3], axis: -1, keepDims: false, covered: true },
  { shape: [6, 1, 1, 3], axis: [1, 2], keepDims: false, covered: true },
  { shape: [6, 1, 4, 3], axis: [0, 2], keepDims: true, covered: true },
  { shape: [7], axis: 0, keepDims: false, covered: true },
  { shape: [6, 5, 4, 3], axis: [0, 2], keepDims: false, covered: false },
];

describe('reductions', () => {
  for (const kernelName of ['Sum', 'Mean']) {
    for (const [index, c] of REDUCTIONS.entries()) {
      const name = `${kernelName} ${c.covered ? 'matches stock' : 'goes to the stock kernel'}: ${JSON.stringify(c.shape)} axis ${JSON.stringify(c.axis)} keepDims ${c.keepDims}`;
      test(name, () => {
        const x = randomTensor(c.shape, randomSource(1300 + index));
        const error = compareWithStock(kernelName, { x }, { axis: c.axis, keepDims: c.keepDims }, c.covered);
        assert.ok(error <= TOLERANCE);
        x.dispose();
      });
    }
  }
});

describe('PadV2', () => {
  const cases: Array<{ shape: number[]; paddings: Array<[number, number]>; constantValue: number }> = [
    { shape: [2, 5, 5, 3], paddings: [[0, 0], [0, 1], [0, 1], [0, 0]], constantValue: 0 },
    { shape: [1, 3, 4, 2], paddings: [[1, 0], [2, 1], [1, 3], [0, 2]], constantValue: 0 },
    { shape: [3, 4], paddings: [[1, 1], [0, 2]], constantValue: -1.5 },
    { shape: [5], paddings: [[2, 3]], constantValue: 0 },
  ];
  for (const [index, c] of cases.entries()) {
    test(`matches stock: ${JSON.stringify(c.shape)} paddings ${JSON.stringify(c.paddings)}`, () => {
      const x = randomTensor(c.shape, randomSource(1400 + index));
      assert.ok(compareWithStock('PadV2', { x }, { paddings: c.paddings, constantValue: c.constantValue }) <= TOLERANCE);
      x.dispose();
    });
  }
});

describe('FusedBatchNorm', () => {
  test('matches stock with per-channel parameters', () => {
    const next = randomSource(1500);
    const x = randomTensor([2, 3, 3, 4], next);
    const mean = randomTensor([4], next);
    const variance = randomTensor([4], next).abs();
    const scale = randomTensor([4], next);
    const offset = randomTensor([4], next);
    const error = compareWithStock('FusedBatchNorm', { x, mean, variance, scale, offset }, { varianceEpsilon: 1e-3 });
    assert.ok(error <= TOLERANCE);
    tf.dispose([x, mean, variance, scale, offset]);
  });

  test('matches stock without scale and offset', () => {
    const next = randomSource(1501);
    const x = randomTensor([3, 5], next);
    const mean = randomTensor([5], next);
    const variance = randomTensor([1], next).abs();
    assert.ok(compareWithStock('FusedBatchNorm', { x, mean, variance }, { varianceEpsilon: 1e-3 }) <= TOLERANCE);
    tf.dispose([x, mean, variance]);
  });
});

describe('Tile', () => {
  const cases: Array<{ shape: number[]; reps: number[] }> = [
    { shape: [1, 1, 1, 4], reps: [3, 2, 2, 1] },
    { shape: [2, 3], reps: [2, 3] },
    { shape: [5], reps: [1] },
    { shape: [2, 1, 3], reps: [1, 4, 2] },
  ];
  for (const [index, c] of cases.entries()) {
    test(`matches stock: ${JSON.stringify(c.shape)} reps ${JSON.stringify(c.reps)}`, () => {
      const x = randomTensor(c.shape, randomSource(1600 + index));
      assert.ok(compareWithStock('Tile', { x }, { reps: c.reps }) <= TOLERANCE);
      x.dispose();
    });
  }
});
