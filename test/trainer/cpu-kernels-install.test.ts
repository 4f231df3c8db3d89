import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../src/errors.ts';
import {
  CPU_KERNELS_ENV,
  cpuKernelsMode,
  FAST_KERNEL_NAMES,
  installCpuKernels,
  stockCpuKernel,
  uninstallCpuKernels,
} from '../../src/trainer/backends/cpu-kernels/index.ts';
import { randomSource, randomTensor, relativeError } from './cpu-kernels-helpers.ts';

const TOLERANCE = 1e-5;

function withEnv<T>(value: string | undefined, run: () => T): T {
  const saved = process.env[CPU_KERNELS_ENV];
  if (value === undefined) {
    delete process.env[CPU_KERNELS_ENV];
  } else {
    process.env[CPU_KERNELS_ENV] = value;
  }
  try {
    return run();
  } finally {
    if (saved === undefined) {
      delete process.env[CPU_KERNELS_ENV];
    } else {
      process.env[CPU_KERNELS_ENV] = saved;
    }
  }
}

before(async () => {
  await tf.setBackend('cpu');
});

after(() => {
  uninstallCpuKernels();
});

describe('installCpuKernels', () => {
  test('replaces every fast kernel on the cpu backend', () => {
    const { installed } = withEnv(undefined, installCpuKernels);
    assert.deepEqual([...installed].sort(), [...FAST_KERNEL_NAMES].sort());
    for (const name of FAST_KERNEL_NAMES) {
      assert.notEqual(tf.getKernel(name, 'cpu')?.kernelFunc, stockCpuKernel(name)?.kernelFunc, name);
    }
    uninstallCpuKernels();
  });

  test('second install changes nothing', () => {
    const first = withEnv(undefined, installCpuKernels);
    const funcs = FAST_KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc);
    const second = withEnv(undefined, installCpuKernels);
    assert.deepEqual(second.installed, first.installed);
    assert.deepEqual(FAST_KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc), funcs);
    uninstallCpuKernels();
  });

  test('uninstall restores the stock kernels', () => {
    const stockFuncs = FAST_KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc);
    withEnv(undefined, installCpuKernels);
    const restored = uninstallCpuKernels();
    assert.equal(restored.length, FAST_KERNEL_NAMES.length);
    assert.deepEqual(FAST_KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc), stockFuncs);
  });

  test('SWEEP_CPU_KERNELS=stock installs nothing', () => {
    const stockFuncs = FAST_KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc);
    const { installed } = withEnv('stock', installCpuKernels);
    assert.deepEqual(installed, []);
    assert.deepEqual(FAST_KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc), stockFuncs);
  });

  test('unknown SWEEP_CPU_KERNELS value is rejected', () => {
    assert.throws(() => cpuKernelsMode({ [CPU_KERNELS_ENV]: 'fastest' }), InputError);
    assert.throws(() => cpuKernelsMode({ [CPU_KERNELS_ENV]: 'fastest' }), /SWEEP_CPU_KERNELS must be 'fast' or 'stock', got 'fastest'/);
  });

  test('empty SWEEP_CPU_KERNELS means fast', () => {
    assert.equal(cpuKernelsMode({ [CPU_KERNELS_ENV]: '' }), 'fast');
  });

  test('another active backend gets no kernels', async () => {
    const name = 'sweep-test-other';
    const CpuBackend = tf.backend().constructor as new () => tf.KernelBackend;
    tf.registerBackend(name, () => new CpuBackend());
    try {
      assert.ok(await tf.setBackend(name));
      const stockFuncs = FAST_KERNEL_NAMES.map((kernel) => tf.getKernel(kernel, 'cpu')?.kernelFunc);
      assert.deepEqual(withEnv(undefined, installCpuKernels).installed, []);
      assert.deepEqual(FAST_KERNEL_NAMES.map((kernel) => tf.getKernel(kernel, 'cpu')?.kernelFunc), stockFuncs);
    } finally {
      await tf.setBackend('cpu');
      tf.removeBackend(name);
    }
  });
});

describe('gradients through a small conv net', () => {
  test('fast kernels give the stock gradients', () => {
    const next = randomSource(2000);
    const x = randomTensor([2, 9, 9, 3], next);
    const labels = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5);
    const variables = {
      w1: tf.variable(randomTensor([3, 3, 3, 4], next), true, 'w1'),
      b1: tf.variable(randomTensor([4], next), true, 'b1'),
      depthwise: tf.variable(randomTensor([3, 3, 4, 2], next), true, 'depthwise'),
      w2: tf.variable(randomTensor([1, 1, 8, 6], next), true, 'w2'),
      w3: tf.variable(randomTensor([3, 3, 6, 6], next), true, 'w3'),
      dense: tf.variable(randomTensor([54, 5], next), true, 'dense'),
      bias: tf.variable(randomTensor([5], next), true, 'bias'),
    };
    const loss = (): tf.Scalar => {
      let h: tf.Tensor4D = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: variables.w1 as tf.Tensor4D, strides: 1, pad: 'same', bias: variables.b1, activation: 'relu' });
      h = tf.depthwiseConv2d(h, variables.depthwise as tf.Tensor4D, 2, 'same');
      h = tf.clipByValue(h, 0, 6);
      h = tf.relu(tf.conv2d(h, variables.w2 as tf.Tensor4D, 1, 'valid'));
      h = tf.conv2d(h, variables.w3 as tf.Tensor4D, 1, 'same');
      h = tf.maxPool(h, 2, 2, 'same');
      const logits = tf.fused.matMul({ a: h.reshape([2, 54]), b: variables.dense as tf.Tensor2D, bias: variables.bias });
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    };

    uninstallCpuKernels();
    const stock = tf.variableGrads(loss);
    const { installed } = withEnv(undefined, installCpuKernels);
    assert.ok(installed.length > 0);
    const fast = tf.variableGrads(loss);
    uninstallCpuKernels();

    assert.ok(Math.abs(fast.value.dataSync()[0] - stock.value.dataSync()[0]) <= TOLERANCE * Math.abs(stock.value.dataSync()[0]));
    for (const name of Object.keys(variables)) {
      assert.ok(relativeError(fast.grads[name], stock.grads[name]) <= TOLERANCE, `gradient of ${name}`);
    }
    tf.dispose([x, labels, stock.value, fast.value, ...Object.values(stock.grads), ...Object.values(fast.grads), ...Object.values(variables)]);
  });
});
