import { backend_util } from '@tensorflow/tfjs';

/** The NHWC convolution geometry that the fast kernels loop over. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/** Converts tfjs' Conv2DInfo (computed by backend_util.computeConv2DInfo) to a ConvGeometry. */
export function toGeometry(info: backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Returns whether the convolution is a 1×1, stride 1, unpadded one, where im2col is the identity. */
export function isPointwise(g: ConvGeometry): boolean {
  return g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outHeight === g.inHeight && g.outWidth === g.inWidth;
}

/**
 * Writes the im2col matrix of output pixels [firstRow, firstRow + rows) straight into the
 * 4-line panels that multiplyPanels reads (see packPanels), skipping a separate packing
 * pass. With `pixelLines`, each line is a pixel and runs over its fh * fw * inChannels
 * taps: the left operand of a forward convolution. Otherwise each line is a tap and runs
 * over the pixels: the left operand of the filter gradient. Padding taps and the unused
 * lines of the last panel are zero.
 */
export function im2colPanels(
  x: Float32Array,
  g: ConvGeometry,
  firstRow: number,
  rows: number,
  out: Float32Array,
  pixelLines: boolean,
): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = g;
  const depth = filterHeight * filterWidth * inChannels;
  const rowFloats = inWidth * inChannels;
  const imageFloats = inHeight * rowFloats;
  const pixelsPerImage = outHeight * outWidth;
  // Distance between consecutive taps of one pixel, and the position of tap 0 of pixel r.
  // With tap lines, tap t sits at ((t >> 2) * rows + r) * 4 + (t & 3): a step of 1 within
  // a group of 4 taps and a jump to the next panel after it.
  const panelFloats = rows * 4;

  for (let r = 0; r < rows; r++) {
    const pixel = firstRow + r;
    const b = Math.floor(pixel / pixelsPerImage);
    const inImage = pixel - b * pixelsPerImage;
    const oy = Math.floor(inImage / outWidth);
    const ox = inImage - oy * outWidth;
    const iy0 = oy * g.strideHeight - g.padTop;
    const ix0 = ox * g.strideWidth - g.padLeft;
    const imageBase = b * imageFloats;
    let tap = 0;

    for (let fy = 0; fy < filterHeight; fy++) {
      const iy = iy0 + fy * g.dilationHeight;
      const rowInside = iy >= 0 && iy < inHeight;
      const rowBase = imageBase + iy * rowFloats;
      for (let fx = 0; fx < filterWidth; fx++) {
        const ix = ix0 + fx * g.dilationWidth;
        const inside = rowInside && ix >= 0 && ix < inWidth;
        const s = rowBase + ix * inChannels;
        if (pixelLines) {
          let o = ((r >> 2) * depth + tap) * 4 + (r & 3);
          for (let ci = 0; ci < inChannels; ci++, o += 4) {
            out[o] = inside ? x[s + ci] : 0;
          }
        } else {
          for (let ci = 0; ci < inChannels; ci++) {
            const t = tap + ci;
            out[(t >> 2) * panelFloats + r * 4 + (t & 3)] = inside ? x[s + ci] : 0;
          }
        }
        tap += inChannels;
      }
    }
  }

  if (pixelLines) {
    for (let r = rows; r % 4 !== 0; r++) {
      for (let t = 0, o = ((r >> 2) * depth) * 4 + (r & 3); t < depth; t++, o += 4) {
        out[o] = 0;
      }
    }
  } else {
    for (let t = depth; t % 4 !== 0; t++) {
      for (let r = 0; r < rows; r++) {
        out[(t >> 2) * panelFloats + r * 4 + (t & 3)] = 0;
      }
    }
  }
}

/**
 * Adds im2col rows (row r at `cols[r * depth]`, taps ordered filter row, filter column,
 * channel like an HWIO filter) for output pixels [firstRow, firstRow + rows) back into an
 * NHWC image gradient `dx`: the transpose of im2col. Taps in the padding are dropped.
 */
export function col2imAdd(cols: Float32Array, g: ConvGeometry, firstRow: number, rows: number, dx: Float32Array): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = g;
  const depth = filterHeight * filterWidth * inChannels;
  const rowFloats = inWidth * inChannels;
  const imageFloats = inHeight * rowFloats;
  const pixelsPerImage = outHeight * outWidth;

  for (let r = 0; r < rows; r++) {
    const pixel = firstRow + r;
    const b = Math.floor(pixel / pixelsPerImage);
    const inImage = pixel - b * pixelsPerImage;
    const oy = Math.floor(inImage / outWidth);
    const ox = inImage - oy * outWidth;
    const iy0 = oy * g.strideHeight - g.padTop;
    const ix0 = ox * g.strideWidth - g.padLeft;
    const imageBase = b * imageFloats;
    let o = r * depth;

    for (let fy = 0; fy < filterHeight; fy++) {
      const iy = iy0 + fy * g.dilationHeight;
      if (iy < 0 || iy >= inHeight) {
        o += filterWidth * inChannels;
        continue;
      }
      const rowBase = imageBase + iy * rowFloats;
      for (let fx = 0; fx < filterWidth; fx++) {
        const ix = ix0 + fx * g.dilationWidth;
        if (ix >= 0 && ix < inWidth) {
          const d = rowBase + ix * inChannels;
          for (let ci = 0; ci < inChannels; ci++) {
            dx[d + ci] += cols[o + ci];
          }
        }
        o += inChannels;
      }
    }
  }
}
