import { scratch, ScratchSlot } from './scratch.ts';

/**
 * Matrix multiplication on raw Float32Arrays, the core of the convolution and MatMul kernels.
 *
 * Both operands are first packed into panels of 4 rows (or 4 columns) laid out depth-major.
 * The inner loop then reads 4 + 4 consecutive floats and updates a 4×4 block of sums kept in
 * local variables: 16 multiply-adds per 8 loads. Sums are JS numbers (float64) over the
 * whole depth, rounded to float32 once, when stored.
 */

/** Rows (and columns) per panel. */
export const PANEL = 4;

/** Target size, in floats, of one packed chunk of left-hand rows (256 KiB, about an L2 share). */
const LHS_CHUNK_FLOATS = 1 << 16;

/** A matrix view into a flat array: element (i, j) is `data[offset + i * rowStride + j * colStride]`. */
export interface StridedMatrix {
  data: Float32Array;
  offset: number;
  rowStride: number;
  colStride: number;
}

/**
 * Packs `lines` lines of `depth` elements each into 4-line panels, element (line, d) read at
 * `src[offset + line * lineStride + d * depthStride]` and written to
 * `out[(panel * depth + d) * 4 + line % 4]`. Lines past `lines` in the last panel are zero.
 */
export function packPanels(
  src: Float32Array,
  offset: number,
  lineStride: number,
  depthStride: number,
  lines: number,
  depth: number,
  out: Float32Array,
): void {
  const panels = Math.ceil(lines / PANEL);
  for (let panel = 0; panel < panels; panel++) {
    const base = panel * depth * PANEL;
    const firstLine = panel * PANEL;
    if (lineStride === 1 && firstLine + PANEL <= lines) {
      // The 4 lines of a panel are adjacent in memory (a transposed read): copy 4 at a time.
      let s = offset + firstLine;
      for (let o = base, end = base + depth * PANEL; o < end; o += PANEL, s += depthStride) {
        out[o] = src[s];
        out[o + 1] = src[s + 1];
        out[o + 2] = src[s + 2];
        out[o + 3] = src[s + 3];
      }
      continue;
    }
    for (let lane = 0; lane < PANEL; lane++) {
      const line = firstLine + lane;
      let o = base + lane;
      if (line >= lines) {
        for (let d = 0; d < depth; d++, o += PANEL) {
          out[o] = 0;
        }
        continue;
      }
      let s = offset + line * lineStride;
      if (depthStride === 1) {
        for (let d = 0; d < depth; d++, o += PANEL) {
          out[o] = src[s + d];
        }
      } else {
        for (let d = 0; d < depth; d++, o += PANEL, s += depthStride) {
          out[o] = src[s];
        }
      }
    }
  }
}

/**
 * Multiplies packed panels: C[i, j] (+)= sum over d of A[i, d] * B[d, j] for i < rows,
 * j < cols, where `lhs` contains A as row panels and `rhs` contains B as column panels (see
 * packPanels). C(i, j) is `c[cOffset + i * cRowStride + j]`. With `accumulate` false, C is
 * overwritten.
 */
export function multiplyPanels(
  lhs: Float32Array,
  rhs: Float32Array,
  rows: number,
  depth: number,
  cols: number,
  c: Float32Array,
  cOffset: number,
  cRowStride: number,
  accumulate: boolean,
): void {
  const rowPanels = Math.ceil(rows / PANEL);
  const colPanels = Math.ceil(cols / PANEL);
  const panelFloats = depth * PANEL;
  for (let rp = 0; rp < rowPanels; rp++) {
    const aBase = rp * panelFloats;
    const i = rp * PANEL;
    for (let cp = 0; cp < colPanels; cp++) {
      const bBase = cp * panelFloats;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let a = aBase;
      let b = bBase;
      const aEnd = aBase + panelFloats;
      for (; a < aEnd; a += PANEL, b += PANEL) {
        const a0 = lhs[a], a1 = lhs[a + 1], a2 = lhs[a + 2], a3 = lhs[a + 3];
        const b0 = rhs[b], b1 = rhs[b + 1], b2 = rhs[b + 2], b3 = rhs[b + 3];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const j = cp * PANEL;
      let o = cOffset + i * cRowStride + j;
      if (i + PANEL <= rows && j + PANEL <= cols) {
        if (accumulate) {
          c[o] += c00; c[o + 1] += c01; c[o + 2] += c02; c[o + 3] += c03; o += cRowStride;
          c[o] += c10; c[o + 1] += c11; c[o + 2] += c12; c[o + 3] += c13; o += cRowStride;
          c[o] += c20; c[o + 1] += c21; c[o + 2] += c22; c[o + 3] += c23; o += cRowStride;
          c[o] += c30; c[o + 1] += c31; c[o + 2] += c32; c[o + 3] += c33;
        } else {
          c[o] = c00; c[o + 1] = c01; c[o + 2] = c02; c[o + 3] = c03; o += cRowStride;
          c[o] = c10; c[o + 1] = c11; c[o + 2] = c12; c[o + 3] = c13; o += cRowStride;
          c[o] = c20; c[o + 1] = c21; c[o + 2] = c22; c[o + 3] = c23; o += cRowStride;
          c[o] = c30; c[o + 1] = c31; c[o + 2] = c32; c[o + 3] = c33;
        }
        continue;
      }
      storeEdgeTile(
        c, o, cRowStride, Math.min(PANEL, rows - i), Math.min(PANEL, cols - j), accumulate,
        c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33,
      );
    }
  }
}

// Kept out of multiplyPanels so that its loop stays small enough for V8 to keep the sums in registers.
function storeEdgeTile(
  c: Float32Array, o: number, cRowStride: number, rows: number, cols: number, accumulate: boolean,
  c00: number, c01: number, c02: number, c03: number,
  c10: number, c11: number, c12: number, c13: number,
  c20: number, c21: number, c22: number, c23: number,
  c30: number, c31: number, c32: number, c33: number,
): void {
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < cols; col++) {
      const value = tile[r * PANEL + col];
      const index = o + r * cRowStride + col;
      c[index] = accumulate ? c[index] + value : value;
    }
  }
}

/** Returns the number of left-hand rows to pack at a time for a given depth (a multiple of 4). */
export function lhsChunkRows(depth: number): number {
  return Math.max(PANEL, Math.floor(LHS_CHUNK_FLOATS / Math.max(1, depth) / PANEL) * PANEL);
}

/**
 * Computes C = A × B (or C += A × B with `accumulate`) for an m×k matrix A and a k×n matrix
 * B given as strided views, writing C row-major with row stride n at `c[cOffset]`.
 */
export function matmul(
  a: StridedMatrix,
  b: StridedMatrix,
  m: number,
  k: number,
  n: number,
  c: Float32Array,
  cOffset: number,
  accumulate = false,
): void {
  if (m === 0 || n === 0) {
    return;
  }
  if (k === 0) {
    if (!accumulate) {
      c.fill(0, cOffset, cOffset + m * n);
    }
    return;
  }

  const rhs = scratch(ScratchSlot.RhsPanels, Math.ceil(n / PANEL) * PANEL * k);
  packPanels(b.data, b.offset, b.colStride, b.rowStride, n, k, rhs);

  const chunkRows = lhsChunkRows(k);
  const lhs = scratch(ScratchSlot.LhsPanels, chunkRows * k);
  for (let row = 0; row < m; row += chunkRows) {
    const rows = Math.min(chunkRows, m - row);
    packPanels(a.data, a.offset + row * a.rowStride, a.rowStride, a.colStride, rows, k, lhs);
    multiplyPanels(lhs, rhs, rows, k, n, c, cOffset + row * n, n, accumulate);
  }
}
