import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import { im2colPanels, isPointwise, toGeometry } from './conv-geometry.ts';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values, isChannelsLast } from './fast-kernel.ts';
import { multiplyPanels, packPanels, PANEL } from './gemm.ts';
import { scratch, ScratchSlot } from './scratch.ts';

/** Target size, in floats, of one chunk of im2col rows (256 KiB). */
const CHUNK_FLOATS = 1 << 16;

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x, dy } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (x === undefined || dy === undefined || !isChannelsLast(attrs.dataFormat) || x.shape.length !== 4) {
    return null;
  }
  const xValues = float32Values(backend, x);
  const dyValues = float32Values(backend, dy);
  if (xValues === null || dyValues === null) {
    return null;
  }
  const filterShape = attrs.filterShape as [number, number, number, number];
  const g = toGeometry(backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'same' | 'valid' | number | backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  ));

  // dW (a [fh * fw * inChannels, outChannels] matrix) = im2col(x)^T × dy, summed over
  // chunks of output pixels so that the im2col rows of one chunk stay in cache.
  const depth = g.filterHeight * g.filterWidth * g.inChannels;
  const outChannels = g.outChannels;
  const pixels = g.batch * g.outHeight * g.outWidth;
  const dw = new Float32Array(depth * outChannels);
  const chunk = Math.max(64, Math.floor(CHUNK_FLOATS / Math.max(depth, outChannels)));
  const lhs = scratch(ScratchSlot.LhsPanels, Math.ceil(depth / PANEL) * PANEL * chunk);
  const rhs = scratch(ScratchSlot.RhsPanels, Math.ceil(outChannels / PANEL) * PANEL * chunk);
  const pointwise = isPointwise(g);

  for (let row = 0; row < pixels; row += chunk) {
    const rows = Math.min(chunk, pixels - row);
    if (pointwise) {
      packPanels(xValues, row * depth, 1, depth, depth, rows, lhs);
    } else {
      im2colPanels(xValues, g, row, rows, lhs, false);
    }
    packPanels(dyValues, row * outChannels, 1, outChannels, outChannels, rows, rhs);
    multiplyPanels(lhs, rhs, depth, rows, outChannels, dw, 0, outChannels, true);
  }
  return backend.makeTensorInfo([...filterShape], 'float32', dw);
}

/** Conv2DBackpropFilter (the filter gradient of Conv2D) for NHWC float32 inputs. */
export const conv2dBackpropFilterKernel: FastKernel = { kernelName: 'Conv2DBackpropFilter', run };
