/**
 * Faster kernels for TensorFlow.js' pure-JS `cpu` backend. The stock kernels of
 * @tensorflow/tfjs 4.22 read convolution inputs element by element through TensorBuffer.get,
 * which makes training a small CNN take about a second per image. These replacements loop
 * over the raw NHWC Float32Arrays and run convolutions as im2col plus a blocked matrix
 * multiplication. Each one hands any case it does not cover (NCHW, another dtype, PReLU,
 * dilated depthwise gradients) to the stock kernel it replaced.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../../errors.ts';
import { batchMatMulKernel } from './batch-mat-mul.ts';
import { addKernel, multiplyKernel, realDivKernel, subKernel } from './binary-elementwise.ts';
import { clipByValueKernel } from './clip-by-value.ts';
import { conv2dKernel } from './conv2d.ts';
import { conv2dBackpropFilterKernel } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputKernel } from './conv2d-backprop-input.ts';
import { depthwiseConv2dKernel } from './depthwise-conv2d.ts';
import { depthwiseConv2dBackpropFilterKernel } from './depthwise-conv2d-backprop-filter.ts';
import { depthwiseConv2dBackpropInputKernel } from './depthwise-conv2d-backprop-input.ts';
import type { FastKernel, KernelArgs } from './fast-kernel.ts';

export type { FastKernel, KernelArgs } from './fast-kernel.ts';
import { fusedConv2dKernel } from './fused-conv2d.ts';
import { fusedDepthwiseConv2dKernel } from './fused-depthwise-conv2d.ts';
import { fusedBatchNormKernel } from './fused-batch-norm.ts';
import { fusedMatMulKernel } from './fused-mat-mul.ts';
import { maxPoolKernel } from './max-pool.ts';
import { maxPoolGradKernel } from './max-pool-grad.ts';
import { meanKernel } from './mean.ts';
import { padV2Kernel } from './pad-v2.ts';
import { sumKernel } from './sum.ts';
import { tileKernel } from './tile.ts';
import { releaseScratch } from './scratch.ts';
import { relu6Kernel, reluKernel, sqrtKernel, stepKernel } from './unary-elementwise.ts';

/** The environment variable that selects the kernels: `fast` (the default) or `stock`. */
export const CPU_KERNELS_ENV = 'SWEEP_CPU_KERNELS';

const BACKEND = 'cpu';

const FAST_KERNELS: readonly FastKernel[] = [
  conv2dKernel,
  fusedConv2dKernel,
  conv2dBackpropFilterKernel,
  conv2dBackpropInputKernel,
  depthwiseConv2dKernel,
  fusedDepthwiseConv2dKernel,
  depthwiseConv2dBackpropFilterKernel,
  depthwiseConv2dBackpropInputKernel,
  batchMatMulKernel,
  fusedMatMulKernel,
  maxPoolGradKernel,
  sumKernel,
  addKernel,
  subKernel,
  multiplyKernel,
  realDivKernel,
  reluKernel,
  relu6Kernel,
  stepKernel,
  sqrtKernel,
  clipByValueKernel,
  meanKernel,
  padV2Kernel,
  fusedBatchNormKernel,
  maxPoolKernel,
  tileKernel,
];

/** The stock kernel configs that installCpuKernels replaced, by kernel name. */
const stockConfigs = new Map<string, tf.KernelConfig>();
/** The kernel functions that installCpuKernels registered, by kernel name. */
const fastFuncs = new Map<string, tf.KernelFunc>();

/** Names of every kernel that installCpuKernels can replace. */
export const FAST_KERNEL_NAMES: readonly string[] = FAST_KERNELS.map((kernel) => kernel.kernelName);

/** Reads SWEEP_CPU_KERNELS: `fast` when unset or empty; throws InputError for an unknown value. */
export function cpuKernelsMode(env: NodeJS.ProcessEnv = process.env): 'fast' | 'stock' {
  const value = env[CPU_KERNELS_ENV];
  if (value === undefined || value === '' || value === 'fast') {
    return 'fast';
  }
  if (value === 'stock') {
    return 'stock';
  }
  throw new InputError(
    `${CPU_KERNELS_ENV} must be 'fast' or 'stock', got '${value}'. Unset it to use the fast cpu kernels.`,
  );
}

/**
 * Replaces the stock `cpu` kernels with the fast ones, when the active backend is `cpu` and
 * SWEEP_CPU_KERNELS is not `stock`. Calling it again changes nothing. Returns the names of
 * the kernels now replaced (empty when it installed nothing). tfjs keeps one kernel registry
 * per thread, so each worker thread calls it for itself.
 */
export function installCpuKernels(): { installed: string[] } {
  if (cpuKernelsMode() === 'stock' || tf.getBackend() !== BACKEND) {
    return { installed: [] };
  }

  const installed: string[] = [];
  for (const kernel of FAST_KERNELS) {
    const name = kernel.kernelName;
    const current = tf.getKernel(name, BACKEND);
    if (current === undefined) {
      continue;
    }
    if (fastFuncs.get(name) === current.kernelFunc) {
      installed.push(name);
      continue;
    }

    const stockFunc = current.kernelFunc;
    const kernelFunc = ((args: KernelArgs) => kernel.run(args) ?? stockFunc(args as Parameters<tf.KernelFunc>[0])) as tf.KernelFunc;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ ...current, kernelFunc });
    stockConfigs.set(name, current);
    fastFuncs.set(name, kernelFunc);
    installed.push(name);
  }
  return { installed };
}

/**
 * Puts the stock kernels back where installCpuKernels replaced them and frees the fast
 * kernels' work buffers. Returns the names of the restored kernels.
 */
export function uninstallCpuKernels(): string[] {
  const restored: string[] = [];
  for (const [name, stock] of stockConfigs) {
    const current = tf.getKernel(name, BACKEND);
    if (current !== undefined && current.kernelFunc === fastFuncs.get(name)) {
      tf.unregisterKernel(name, BACKEND);
      tf.registerKernel(stock);
      restored.push(name);
    }
  }
  stockConfigs.clear();
  fastFuncs.clear();
  releaseScratch();
  return restored;
}

/**
 * Returns the stock config of a `cpu` kernel: the one saved by installCpuKernels, or the one
 * registered now when nothing replaced it.
 */
export function stockCpuKernel(name: string): tf.KernelConfig | undefined {
  return stockConfigs.get(name) ?? (fastFuncs.has(name) ? undefined : tf.getKernel(name, BACKEND));
}

/** Returns the fast replacement for the `cpu` kernel `name`, whether installed or not. */
export function fastCpuKernel(name: string): FastKernel | undefined {
  return FAST_KERNELS.find((kernel) => kernel.kernelName === name);
}
