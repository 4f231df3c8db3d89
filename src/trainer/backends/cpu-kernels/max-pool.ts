import type { TensorInfo } from '@tensorflow/tfjs';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';
import { poolInfo } from './pool-geometry.ts';

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (x === undefined || x.shape.length !== 4) {
    return null;
  }
  const values = float32Values(backend, x);
  if (values === null) {
    return null;
  }
  const info = poolInfo(x.shape, attrs);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;

  // As in the stock kernel, a window's maximum starts at -Infinity and only a greater value
  // replaces it, so NaN inputs are skipped.
  const out = new Float32Array(batchSize * outHeight * outWidth * channels);
  const best = new Float64Array(channels);
  const xRowFloats = inWidth * channels;
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    const xImage = b * inHeight * xRowFloats;
    for (let oy = 0; oy < outHeight; oy++) {
      const iy0 = oy * strideHeight - info.padInfo.top;
      const iyStart = Math.max(0, iy0);
      const iyEnd = Math.min(inHeight, iy0 + filterHeight);
      for (let ox = 0; ox < outWidth; ox++, o += channels) {
        const ix0 = ox * strideWidth - info.padInfo.left;
        const ixStart = Math.max(0, ix0);
        const ixEnd = Math.min(inWidth, ix0 + filterWidth);
        best.fill(-Infinity);
        for (let iy = iyStart; iy < iyEnd; iy++) {
          for (let ix = ixStart; ix < ixEnd; ix++) {
            const base = xImage + iy * xRowFloats + ix * channels;
            for (let c = 0; c < channels; c++) {
              const value = values[base + c];
              if (value > best[c]) {
                best[c] = value;
              }
            }
          }
        }
        for (let c = 0; c < channels; c++) {
          out[o + c] = best[c];
        }
      }
    }
  }
  return backend.makeTensorInfo([batchSize, outHeight, outWidth, channels], 'float32', out);
}

/** MaxPool for NHWC float32 inputs. */
export const maxPoolKernel: FastKernel = { kernelName: 'MaxPool', run };
