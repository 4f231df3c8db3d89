import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { compareWithStock, randomSource, randomTensor } from './cpu-kernels-helpers.ts';

const TOLERANCE = 1e-5;

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  /** [batch, height, width, inChannels] */
  input: [number, number, number, number];
  /** [filterHeight, filterWidth, inChannels, outChannels] */
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dilations: number | [number, number];
}

const explicitPad: Pad = [[0, 0], [1, 2], [0, 1], [0, 0]];

const CASES: ConvCase[] = [
  { input: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 'same', dilations: 1 },
  { input: [2, 8, 8, 3], filter: [3, 3, 3, 8], strides: 1, pad: 'same', dilations: 1 },
  { input: [2, 7, 9, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'valid', dilations: 1 },
  { input: [3, 9, 7, 4], filter: [3, 3, 4, 6], strides: 2, pad: 'same', dilations: 1 },
  { input: [1, 9, 9, 5], filter: [3, 2, 5, 7], strides: [2, 1], pad: 'valid', dilations: 1 },
  { input: [2, 6, 6, 3], filter: [3, 3, 3, 4], strides: 1, pad: 1, dilations: 1 },
  { input: [2, 7, 6, 2], filter: [2, 3, 2, 3], strides: [1, 2], pad: explicitPad, dilations: 1 },
  { input: [2, 6, 6, 8], filter: [1, 1, 8, 5], strides: 1, pad: 'same', dilations: 1 },
  { input: [1, 7, 7, 6], filter: [1, 1, 6, 9], strides: 2, pad: 'valid', dilations: 1 },
  { input: [2, 5, 5, 3], filter: [5, 5, 3, 4], strides: 1, pad: 'same', dilations: 1 },
  { input: [1, 11, 11, 2], filter: [3, 3, 2, 3], strides: 3, pad: 'same', dilations: 1 },
];

const DILATED_CASES: ConvCase[] = [
  { input: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same', dilations: 2 },
  { input: [1, 10, 8, 2], filter: [3, 2, 2, 5], strides: 1, pad: 'valid', dilations: [2, 3] },
];

function describeCase(c: ConvCase): string {
  return `x ${c.input.join('x')} filter ${c.filter.join('x')} strides ${String(c.strides)} pad ${JSON.stringify(c.pad)} dilations ${String(c.dilations)}`;
}

function outputShape(c: ConvCase): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(c.input, c.filter, c.strides, c.dilations, c.pad, undefined, false, 'channelsLast');
  return info.outShape;
}

before(async () => {
  await tf.setBackend('cpu');
});

describe('Conv2D', () => {
  for (const [index, c] of [...CASES, ...DILATED_CASES].entries()) {
    test(`matches stock: ${describeCase(c)}`, () => {
      const next = randomSource(100 + index);
      const x = randomTensor(c.input, next);
      const filter = randomTensor(c.filter, next);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations };
      assert.ok(compareWithStock('Conv2D', { x, filter }, attrs) <= TOLERANCE);
      tf.dispose([x, filter]);
    });
  }

  test('NCHW input goes to the stock kernel', () => {
    const next = randomSource(7);
    const x = randomTensor([2, 3, 6, 5], next);
    const filter = randomTensor([3, 3, 3, 4], next);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', dilations: 1 };
    assert.equal(compareWithStock('Conv2D', { x, filter }, attrs, false), 0);
    tf.dispose([x, filter]);
  });
});

describe('FusedConv2D', () => {
  const activations: Array<[string, number | undefined]> = [
    ['linear', undefined], ['relu', undefined], ['relu6', undefined], ['elu', undefined],
    ['sigmoid', undefined], ['leakyrelu', 0.3], ['prelu', undefined],
  ];
  for (const [activation, alpha] of activations) {
    test(`matches stock with bias and ${activation}`, () => {
      const next = randomSource(200);
      const x = randomTensor([2, 7, 7, 3], next).mul(4);
      const filter = randomTensor([3, 3, 3, 6], next);
      const bias = randomTensor([6], next);
      const inputs: Record<string, tf.Tensor> = { x, filter, bias };
      if (activation === 'prelu') {
        inputs.preluActivationWeights = randomTensor([6], next);
      }
      const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation, leakyreluAlpha: alpha };
      assert.ok(compareWithStock('FusedConv2D', inputs, attrs, activation !== 'prelu') <= TOLERANCE);
      tf.dispose(Object.values(inputs));
    });
  }

  test('matches stock without bias', () => {
    const next = randomSource(201);
    const x = randomTensor([1, 6, 5, 4], next);
    const filter = randomTensor([1, 1, 4, 3], next);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, activation: 'relu' };
    assert.ok(compareWithStock('FusedConv2D', { x, filter }, attrs) <= TOLERANCE);
    tf.dispose([x, filter]);
  });
});

describe('Conv2DBackpropFilter', () => {
  for (const [index, c] of CASES.entries()) {
    test(`matches stock: ${describeCase(c)}`, () => {
      const next = randomSource(300 + index);
      const x = randomTensor(c.input, next);
      const dy = randomTensor(outputShape(c), next);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
      assert.ok(compareWithStock('Conv2DBackpropFilter', { x, dy }, attrs) <= TOLERANCE);
      tf.dispose([x, dy]);
    });
  }

  test('matches stock over many pixel chunks', () => {
    const c: ConvCase = { input: [4, 40, 40, 2], filter: [3, 3, 2, 3], strides: 1, pad: 'same', dilations: 1 };
    const next = randomSource(399);
    const x = randomTensor(c.input, next);
    const dy = randomTensor(outputShape(c), next);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
    assert.ok(compareWithStock('Conv2DBackpropFilter', { x, dy }, attrs) <= TOLERANCE);
    tf.dispose([x, dy]);
  });
});

describe('Conv2DBackpropInput', () => {
  for (const [index, c] of CASES.entries()) {
    test(`matches stock: ${describeCase(c)}`, () => {
      const next = randomSource(400 + index);
      const dy = randomTensor(outputShape(c), next);
      const filter = randomTensor(c.filter, next);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.input };
      assert.ok(compareWithStock('Conv2DBackpropInput', { dy, filter }, attrs) <= TOLERANCE);
      tf.dispose([dy, filter]);
    });
  }
});
