import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Read size for hashing and copying files. Model files run to many megabytes,
 * and 1 MiB reads halve the time of a copy against the 64 KiB default.
 */
export const fileChunkBytes = 1024 * 1024;

/** Computes the sha256 (hex) and size in bytes of a file, streaming it. */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hasher = new HashingStream();
  await pipeline(createReadStream(path, { highWaterMark: fileChunkBytes }), hasher, async function drain(source) {
    for await (const chunk of source) {
      void chunk;
    }
  });
  return hasher.result();
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  /** The sha256 and byte count; call once, after the stream has finished. */
  result(): { sha256: string; bytes: number } {
    return { sha256: this.#hash.digest('hex'), bytes: this.#bytes };
  }
}

/** True for a sha256 written as 64 lower-case hex digits, the form stored in PostgreSQL. */
export function isSha256Hex(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
