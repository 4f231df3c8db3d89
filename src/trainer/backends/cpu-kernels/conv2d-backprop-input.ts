import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import { col2imAdd, isPointwise, toGeometry } from './conv-geometry.ts';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values, isChannelsLast } from './fast-kernel.ts';
import { lhsChunkRows, multiplyPanels, packPanels, PANEL } from './gemm.ts';
import { scratch, ScratchSlot } from './scratch.ts';

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { dy, filter } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (dy === undefined || filter === undefined || !isChannelsLast(attrs.dataFormat) || dy.shape.length !== 4) {
    return null;
  }
  const dyValues = float32Values(backend, dy);
  const filterValues = float32Values(backend, filter);
  if (dyValues === null || filterValues === null) {
    return null;
  }
  const inputShape = attrs.inputShape as [number, number, number, number];
  const g = toGeometry(backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'same' | 'valid' | number | backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  ));
  if (g.outHeight !== dy.shape[1] || g.outWidth !== dy.shape[2] || g.outChannels !== dy.shape[3]) {
    return null;
  }

  // Column gradients (dy × filter^T, one row of fh * fw * inChannels per output pixel) are
  // computed a chunk of pixels at a time and added back into dx (col2im).
  const depth = g.filterHeight * g.filterWidth * g.inChannels;
  const outChannels = g.outChannels;
  const pixels = g.batch * g.outHeight * g.outWidth;
  const dx = new Float32Array(inputShape[0] * inputShape[1] * inputShape[2] * inputShape[3]);
  if (pixels === 0 || depth === 0) {
    return backend.makeTensorInfo([...inputShape], 'float32', dx);
  }

  const rhs = scratch(ScratchSlot.RhsPanels, Math.ceil(depth / PANEL) * PANEL * outChannels);
  packPanels(filterValues, 0, outChannels, 1, depth, outChannels, rhs);

  const chunkRows = lhsChunkRows(Math.max(depth, outChannels));
  const lhs = scratch(ScratchSlot.LhsPanels, chunkRows * outChannels);
  const pointwise = isPointwise(g);
  const columns = pointwise ? null : scratch(ScratchSlot.Columns, chunkRows * depth);
  for (let row = 0; row < pixels; row += chunkRows) {
    const rows = Math.min(chunkRows, pixels - row);
    packPanels(dyValues, row * outChannels, outChannels, 1, rows, outChannels, lhs);
    if (columns === null) {
      multiplyPanels(lhs, rhs, rows, outChannels, depth, dx, row * depth, depth, false);
    } else {
      multiplyPanels(lhs, rhs, rows, outChannels, depth, columns, 0, depth, false);
      col2imAdd(columns, g, row, rows, dx);
    }
  }
  return backend.makeTensorInfo([...inputShape], 'float32', dx);
}

/** Conv2DBackpropInput (the input gradient of Conv2D, also conv2dTranspose) for NHWC float32 inputs. */
export const conv2dBackpropInputKernel: FastKernel = { kernelName: 'Conv2DBackpropInput', run };
