import type { DataType, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

/**
 * The parts of the `cpu` backend (MathBackendCPU in @tensorflow/tfjs-backend-cpu 4.22) that
 * the fast kernels use: raw values by data id, and output allocation.
 */
export interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
  disposeIntermediateTensorInfo(info: TensorInfo): void;
}

/** The arguments that the tfjs engine passes to a kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  attrs?: NamedAttrMap;
  backend: unknown;
}

/**
 * A replacement for one stock `cpu` kernel. `run` returns null for inputs it does not
 * cover (another layout, dtype or attribute), and the caller then runs the stock kernel.
 */
export interface FastKernel {
  kernelName: string;
  run(args: KernelArgs): TensorInfo | null;
}

/** Returns the float32 values of a tensor on the cpu backend, or null for any other dtype. */
export function float32Values(backend: CpuBackend, info: TensorInfo): Float32Array | null {
  if (info.dtype !== 'float32') {
    return null;
  }
  const values = backend.data.get(info.dataId).values;
  return values instanceof Float32Array ? values : null;
}

/** Returns whether a data format attribute means NHWC (the tfjs default when absent). */
export function isChannelsLast(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === null || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/** Returns whether a dilations attribute (number, pair, or absent) is 1 in both directions. */
export function isUnitDilation(dilations: unknown): boolean {
  if (dilations === undefined || dilations === null) {
    return true;
  }
  if (typeof dilations === 'number') {
    return dilations === 1;
  }
  return Array.isArray(dilations) && dilations.every((value) => value === 1);
}
