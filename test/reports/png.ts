import { inflateSync } from 'node:zlib';

/** A decoded 8-bit PNG: `channels` bytes per pixel, rows top to bottom. */
export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** Bytes per pixel of the 8-bit colour types: grey, RGB, grey+alpha, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * Decodes a non-interlaced 8-bit PNG (what Chromium's screenshots and resvg write),
 * enough for tests to look at pixels without another dependency.
 */
export function decodePng(png: Buffer): DecodedPng {
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const bitDepth = body[8];
      channels = CHANNELS[body[9]] ?? 0;
      if (bitDepth !== 8 || channels === 0 || body[12] !== 0) {
        throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${body[9]}, interlace ${body[12]}`);
      }
    } else if (type === 'IDAT') {
      data.push(body);
    }
    offset += 12 + length;
  }

  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x += 1) {
      const left = x >= channels ? pixels[y * stride + x - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const upLeft = y > 0 && x >= channels ? pixels[(y - 1) * stride + x - channels] : 0;
      let predictor = 0;
      if (filter === 1) {
        predictor = left;
      } else if (filter === 2) {
        predictor = up;
      } else if (filter === 3) {
        predictor = (left + up) >> 1;
      } else if (filter === 4) {
        const estimate = left + up - upLeft;
        const distances = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
        if (distances[0] <= distances[1] && distances[0] <= distances[2]) {
          predictor = left;
        } else if (distances[1] <= distances[2]) {
          predictor = up;
        } else {
          predictor = upLeft;
        }
      }
      pixels[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** Counts the distinct colours of an image, sampling every 7th pixel. */
export function countColours(image: DecodedPng): number {
  const seen = new Set<string>();
  for (let index = 0; index < image.width * image.height; index += 7) {
    const start = index * image.channels;
    seen.add(image.pixels.subarray(start, start + Math.min(3, image.channels)).join(','));
  }
  return seen.size;
}
