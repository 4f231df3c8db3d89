import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { compareWithStock, randomSource, randomTensor } from './cpu-kernels-helpers.ts';

const TOLERANCE = 1e-5;

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface DepthwiseCase {
  /** [batch, height, width, channels] */
  input: [number, number, number, number];
  /** [filterHeight, filterWidth, channels, multiplier] */
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const CASES: DepthwiseCase[] = [
  { input: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 'same' },
  { input: [2, 8, 8, 6], filter: [3, 3, 6, 1], strides: 1, pad: 'same' },
  { input: [2, 9, 7, 5], filter: [3, 3, 5, 1], strides: 2, pad: 'same' },
  { input: [3, 7, 9, 4], filter: [3, 3, 4, 1], strides: 2, pad: 'valid' },
  { input: [1, 9, 8, 3], filter: [3, 3, 3, 2], strides: 1, pad: 'same' },
  { input: [2, 7, 7, 3], filter: [2, 3, 3, 3], strides: [1, 2], pad: 'valid' },
  { input: [2, 6, 6, 4], filter: [3, 3, 4, 1], strides: 1, pad: 1 },
  { input: [2, 7, 6, 2], filter: [3, 2, 2, 2], strides: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { input: [1, 11, 11, 5], filter: [5, 5, 5, 1], strides: 3, pad: 'same' },
];

function describeCase(c: DepthwiseCase): string {
  return `x ${c.input.join('x')} filter ${c.filter.join('x')} strides ${String(c.strides)} pad ${JSON.stringify(c.pad)}`;
}

function outputShape(c: DepthwiseCase, dilations: number | [number, number] = 1): [number, number, number, number] {
  return tf.backend_util.computeConv2DInfo(c.input, c.filter, c.strides, dilations, c.pad, undefined, true).outShape;
}

before(async () => {
  await tf.setBackend('cpu');
});

describe('DepthwiseConv2dNative', () => {
  for (const [index, c] of CASES.entries()) {
    test(`matches stock: ${describeCase(c)}`, () => {
      const next = randomSource(500 + index);
      const x = randomTensor(c.input, next);
      const filter = randomTensor(c.filter, next);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1 };
      assert.ok(compareWithStock('DepthwiseConv2dNative', { x, filter }, attrs) <= TOLERANCE);
      tf.dispose([x, filter]);
    });
  }

  for (const dilations of [2, [2, 3]] as const) {
    test(`matches stock with dilations ${String(dilations)}`, () => {
      const next = randomSource(550);
      const x = randomTensor([2, 9, 10, 3], next);
      const filter = randomTensor([3, 3, 3, 2], next);
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations };
      assert.ok(compareWithStock('DepthwiseConv2dNative', { x, filter }, attrs) <= TOLERANCE);
      tf.dispose([x, filter]);
    });
  }
});

describe('FusedDepthwiseConv2D', () => {
  for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu']) {
    test(`matches stock with bias and ${activation}`, () => {
      const next = randomSource(600);
      const x = randomTensor([2, 7, 7, 4], next).mul(4);
      const filter = randomTensor([3, 3, 4, 1], next);
      const bias = randomTensor([4], next);
      const inputs: Record<string, tf.Tensor> = { x, filter, bias };
      if (activation === 'prelu') {
        inputs.preluActivationWeights = randomTensor([4], next);
      }
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation, leakyreluAlpha: 0.2 };
      assert.ok(compareWithStock('FusedDepthwiseConv2D', inputs, attrs, activation !== 'prelu') <= TOLERANCE);
      tf.dispose(Object.values(inputs));
    });
  }
});

describe('DepthwiseConv2dNativeBackpropFilter', () => {
  for (const [index, c] of CASES.entries()) {
    test(`matches stock: ${describeCase(c)}`, () => {
      const next = randomSource(700 + index);
      const x = randomTensor(c.input, next);
      const dy = randomTensor(outputShape(c), next);
      const attrs = { strides: c.strides, pad: c.pad, dilations: 1, filterShape: c.filter };
      assert.ok(compareWithStock('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs) <= TOLERANCE);
      tf.dispose([x, dy]);
    });
  }

  test('dilated filter gradient goes to the stock kernel', () => {
    const c = CASES[1];
    const next = randomSource(750);
    const x = randomTensor(c.input, next);
    const dy = randomTensor(outputShape(c, 2), next);
    const attrs = { strides: 1, pad: 'same', dilations: 2, filterShape: c.filter };
    assert.equal(compareWithStock('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs, false), 0);
    tf.dispose([x, dy]);
  });
});

describe('DepthwiseConv2dNativeBackpropInput', () => {
  for (const [index, c] of CASES.entries()) {
    test(`matches stock: ${describeCase(c)}`, () => {
      const next = randomSource(800 + index);
      const dy = randomTensor(outputShape(c), next);
      const filter = randomTensor(c.filter, next);
      const attrs = { strides: c.strides, pad: c.pad, dilations: 1, inputShape: c.input };
      assert.ok(compareWithStock('DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrs) <= TOLERANCE);
      tf.dispose([dy, filter]);
    });
  }

  test('dilated input gradient goes to the stock kernel', () => {
    const c = CASES[1];
    const next = randomSource(850);
    const dy = randomTensor(outputShape(c, 2), next);
    const filter = randomTensor(c.filter, next);
    const attrs = { strides: 1, pad: 'same', dilations: 2, inputShape: c.input };
    assert.equal(compareWithStock('DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrs, false), 0);
    tf.dispose([dy, filter]);
  });
});
