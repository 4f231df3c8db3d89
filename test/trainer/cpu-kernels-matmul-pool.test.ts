import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { compareWithStock, randomSource, randomTensor } from './cpu-kernels-helpers.ts';

const TOLERANCE = 1e-5;

interface MatMulCase {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

const MATMUL_CASES: MatMulCase[] = [
  { a: [1, 1], b: [1, 1], transposeA: false, transposeB: false },
  { a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
  { a: [7, 5], b: [7, 3], transposeA: true, transposeB: false },
  { a: [5, 7], b: [3, 7], transposeA: false, transposeB: true },
  { a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
  { a: [33, 130], b: [130, 17], transposeA: false, transposeB: false },
  { a: [3, 6, 9], b: [3, 9, 5], transposeA: false, transposeB: false },
  { a: [2, 3, 9, 6], b: [2, 3, 5, 9], transposeA: true, transposeB: true },
  { a: [1, 6, 9], b: [4, 9, 5], transposeA: false, transposeB: false },
  { a: [4, 6, 9], b: [9, 5], transposeA: false, transposeB: false },
];

before(async () => {
  await tf.setBackend('cpu');
});

describe('BatchMatMul', () => {
  for (const [index, c] of MATMUL_CASES.entries()) {
    test(`matches stock: a ${c.a.join('x')}${c.transposeA ? 'ᵀ' : ''} b ${c.b.join('x')}${c.transposeB ? 'ᵀ' : ''}`, () => {
      const next = randomSource(900 + index);
      const a = randomTensor(c.a, next);
      const b = randomTensor(c.b, next);
      const attrs = { transposeA: c.transposeA, transposeB: c.transposeB };
      assert.ok(compareWithStock('BatchMatMul', { a, b }, attrs) <= TOLERANCE);
      tf.dispose([a, b]);
    });
  }

  test('batch dimensions broadcast both ways go to the stock kernel', () => {
    const next = randomSource(950);
    const a = randomTensor([2, 1, 4, 3], next);
    const b = randomTensor([1, 3, 3, 2], next);
    const attrs = { transposeA: false, transposeB: false };
    assert.equal(compareWithStock('BatchMatMul', { a, b }, attrs, false), 0);
    tf.dispose([a, b]);
  });
});

describe('_FusedMatMul', () => {
  for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu']) {
    test(`matches stock with bias and ${activation}`, () => {
      const next = randomSource(1000);
      const a = randomTensor([1, 9, 13], next).mul(3);
      const b = randomTensor([1, 13, 6], next);
      const bias = randomTensor([6], next);
      const inputs: Record<string, tf.Tensor> = { a, b, bias };
      if (activation === 'prelu') {
        inputs.preluActivationWeights = randomTensor([6], next);
      }
      const attrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 };
      assert.ok(compareWithStock('_FusedMatMul', inputs, attrs, activation !== 'prelu') <= TOLERANCE);
      tf.dispose(Object.values(inputs));
    });
  }

  test('matches stock with a scalar bias and transposed b', () => {
    const next = randomSource(1001);
    const a = randomTensor([1, 4, 5], next);
    const b = randomTensor([1, 3, 5], next);
    const bias = randomTensor([1], next);
    const attrs = { transposeA: false, transposeB: true, activation: 'relu' };
    assert.ok(compareWithStock('_FusedMatMul', { a, b, bias }, attrs) <= TOLERANCE);
    tf.dispose([a, b, bias]);
  });
});

interface PoolCase {
  input: [number, number, number, number];
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
}

const POOL_CASES: PoolCase[] = [
  { input: [1, 4, 4, 1], filterSize: 2, strides: 2, pad: 'valid' },
  { input: [2, 8, 8, 5], filterSize: 2, strides: 2, pad: 'same' },
  { input: [2, 7, 9, 3], filterSize: 3, strides: 2, pad: 'same' },
  { input: [3, 7, 7, 4], filterSize: 3, strides: 1, pad: 'valid' },
  { input: [1, 9, 6, 2], filterSize: [3, 2], strides: [2, 1], pad: 1 },
  { input: [2, 5, 5, 3], filterSize: 3, strides: 1, pad: 'same' },
];

describe('MaxPool', () => {
  for (const [index, c] of POOL_CASES.entries()) {
    test(`matches stock: x ${c.input.join('x')} filter ${String(c.filterSize)} strides ${String(c.strides)} pad ${String(c.pad)}`, () => {
      const x = randomTensor(c.input, randomSource(1050 + index));
      const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
      assert.ok(compareWithStock('MaxPool', { x }, attrs) <= TOLERANCE);
      x.dispose();
    });
  }

  test('matches stock with NaN and -Infinity inputs', () => {
    const x = tf.tensor4d([NaN, 1, -Infinity, NaN, NaN, NaN, -Infinity, -Infinity], [2, 2, 2, 1]);
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    assert.ok(compareWithStock('MaxPool', { x }, attrs) <= TOLERANCE);
    x.dispose();
  });
});

describe('MaxPoolGrad', () => {
  for (const [index, c] of POOL_CASES.entries()) {
    for (const ties of [false, true]) {
      const name = `x ${c.input.join('x')} filter ${String(c.filterSize)} strides ${String(c.strides)} pad ${String(c.pad)}${ties ? ' with ties' : ''}`;
      test(`matches stock: ${name}`, () => {
        const next = randomSource(1100 + index);
        // Inputs rounded to a few levels make windows with several equal maxima.
        const random = randomTensor(c.input, next);
        const input = ties ? tf.round(random.mul(2)) : random;
        const output = tf.maxPool(input as tf.Tensor4D, c.filterSize, c.strides, c.pad);
        const dy = randomTensor(output.shape, next);
        const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
        assert.ok(compareWithStock('MaxPoolGrad', { dy, input, output }, attrs) <= TOLERANCE);
        tf.dispose([random, input, output, dy]);
      });
    }
  }
});
