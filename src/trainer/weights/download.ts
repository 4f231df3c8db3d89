import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** Seconds to wait for a server's response headers before the download counts as failed. */
const responseTimeoutSeconds = 30;

/** Returns the sha256 of a file, in hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Path of the file that records the sha256 of a downloaded file, beside it. */
export function checksumPath(path: string): string {
  return `${path}.sha256`;
}

/**
 * Returns the sha256 recorded for a cached file, or undefined when none was
 * recorded (a file that someone put in the cache by hand).
 */
export async function recordedSha256(path: string): Promise<string | undefined> {
  try {
    const text = await readFile(checksumPath(path), 'utf8');
    return text.trim().split(/\s+/)[0];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}

/**
 * Downloads `url` to `destination` and records its sha256 beside it in
 * `<destination>.sha256` (sha256sum's format). The body goes to a temporary
 * file first and is renamed into place only when complete, so an interrupted
 * download never leaves a truncated file in the cache. Returns the sha256.
 */
export async function downloadFile(url: string, destination: string): Promise<string> {
  await mkdir(dirname(destination), { recursive: true });
  // Unique per call, because worker threads of one process share its pid and may download at once.
  const partial = `${destination}.part-${randomUUID()}`;

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no response within ${responseTimeoutSeconds} s`)), responseTimeoutSeconds * 1000);
  let response: Response;
  try {
    response = await fetch(url, { signal: controller.signal });
  } catch (error) {
    // fetch reports every network failure as "fetch failed"; the reason is in its cause.
    const cause = (error as Error).cause;
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    throw new Error(`${(error as Error).message}${reason}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || response.body === null) {
    throw new Error(`GET ${url} returned HTTP ${response.status} ${response.statusText}`);
  }

  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), hashing, createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }

  const sha256 = hash.digest('hex');
  await rename(partial, destination);
  await writeFile(checksumPath(destination), `${sha256}  ${destination.split('/').pop()}\n`);
  return sha256;
}
