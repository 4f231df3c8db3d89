import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import { type ConvGeometry, im2colPanels, isPointwise, toGeometry } from './conv-geometry.ts';
import { applyEpilogue, readEpilogue } from './epilogue.ts';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values, isChannelsLast } from './fast-kernel.ts';
import { lhsChunkRows, multiplyPanels, packPanels } from './gemm.ts';
import { scratch, ScratchSlot } from './scratch.ts';

/**
 * Computes an NHWC convolution into `out` ([batch, outHeight, outWidth, outChannels]) as
 * im2col × filter, the filter [fh, fw, inChannels, outChannels] read as a matrix of
 * fh * fw * inChannels rows.
 */
export function conv2dInto(x: Float32Array, filter: Float32Array, g: ConvGeometry, out: Float32Array): void {
  const depth = g.filterHeight * g.filterWidth * g.inChannels;
  const cols = g.outChannels;
  const pixels = g.batch * g.outHeight * g.outWidth;
  if (pixels === 0 || cols === 0) {
    return;
  }

  const rhs = scratch(ScratchSlot.RhsPanels, Math.ceil(cols / 4) * 4 * depth);
  packPanels(filter, 0, 1, cols, cols, depth, rhs);

  const chunkRows = lhsChunkRows(depth);
  const lhs = scratch(ScratchSlot.LhsPanels, chunkRows * depth);
  const pointwise = isPointwise(g);
  for (let row = 0; row < pixels; row += chunkRows) {
    const rows = Math.min(chunkRows, pixels - row);
    if (pointwise) {
      packPanels(x, row * depth, depth, 1, rows, depth, lhs);
    } else {
      im2colPanels(x, g, row, rows, lhs, true);
    }
    multiplyPanels(lhs, rhs, rows, depth, cols, out, row * cols, cols, false);
  }
}

/** Reads the geometry of a Conv2D-style call, or null when the fast kernels do not cover it. */
export function readConv2dGeometry(x: TensorInfo, filter: TensorInfo, attrs: Record<string, unknown>): ConvGeometry | null {
  if (!isChannelsLast(attrs.dataFormat) || x.shape.length !== 4 || filter.shape.length !== 4) {
    return null;
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    (attrs.dilations ?? 1) as [number, number] | number,
    attrs.pad as 'same' | 'valid' | number | backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
  return toGeometry(info);
}

/** Runs Conv2D, or FusedConv2D when `fused`; null where the stock kernel must run. */
export function runConv2d(args: KernelArgs, fused: boolean): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x, filter, bias } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (x === undefined || filter === undefined) {
    return null;
  }
  const xValues = float32Values(backend, x);
  const filterValues = float32Values(backend, filter);
  if (xValues === null || filterValues === null) {
    return null;
  }
  const g = readConv2dGeometry(x, filter, attrs);
  if (g === null) {
    return null;
  }
  const epilogue = fused ? readEpilogue(backend, bias, attrs.activation, attrs.leakyreluAlpha, g.outChannels) : null;
  if (fused && epilogue === null) {
    return null;
  }

  const out = new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  conv2dInto(xValues, filterValues, g, out);
  if (epilogue !== null) {
    applyEpilogue(out, g.outChannels, epilogue);
  }
  return backend.makeTensorInfo([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32', out);
}

/** Conv2D for NHWC float32 inputs, any strides, padding and dilations. */
export const conv2dKernel: FastKernel = {
  kernelName: 'Conv2D',
  run: (args) => runConv2d(args, false),
};
