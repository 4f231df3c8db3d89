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
 * Writes im2col rows for output pixels [firstRow, firstRow + rows) (pixels flattened over
 * batch, output row and output column) into `cols`, row r at `cols[r * depth]` with
 * depth = filterHeight * filterWidth * inChannels ordered (filter row, filter column, channel)
 * like an HWIO filter. Taps that fall in the padding are zero.
 */
export function im2col(x: Float32Array, g: ConvGeometry, firstRow: number, rows: number, cols: Float32Array): void {
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
        cols.fill(0, o, o + filterWidth * inChannels);
        o += filterWidth * inChannels;
        continue;
      }
      const rowBase = imageBase + iy * rowFloats;
      for (let fx = 0; fx < filterWidth; fx++) {
        const ix = ix0 + fx * g.dilationWidth;
        if (ix < 0 || ix >= inWidth) {
          for (let ci = 0; ci < inChannels; ci++) {
            cols[o + ci] = 0;
          }
        } else {
          const s = rowBase + ix * inChannels;
          for (let ci = 0; ci < inChannels; ci++) {
            cols[o + ci] = x[s + ci];
          }
        }
        o += inChannels;
      }
    }
  }
}

/** Adds im2col rows back into an NHWC image gradient `dx`: the transpose of im2col. */
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
