import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { EnvironmentError } from '../../errors.ts';
import { CIFAR10_META_FILE, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from './cifar10-binary.ts';
import { extractTar } from './tar.ts';

/** The official binary archive and its published MD5 checksum. */
export const CIFAR10_ARCHIVE_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_ARCHIVE_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
/** The folder inside the archive, and the name of the unpacked folder in the cache. */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';

export interface DownloadOptions {
  /** Default: `SWEEP_CIFAR10_URL`, then the official URL. */
  url?: string;
  /** Expected MD5 of the archive, in hex. Default: the official archive's. */
  md5?: string;
  /** Stream for the progress bar, or null for none. Default: stderr. */
  progress?: NodeJS.WriteStream | null;
  env?: NodeJS.ProcessEnv;
  onLog?: (message: string) => void;
}

/**
 * Downloads the CIFAR-10 binary archive into `parentDir`, verifies its MD5 and
 * unpacks `cifar-10-batches-bin/` there. The folder appears only once complete:
 * files are unpacked into a temporary folder that is then renamed. The archive
 * is deleted after unpacking. Returns the unpacked folder.
 *
 * Temporary names are unique per call, so workers (threads or processes) that
 * start together on an empty cache each download their own copy, and the first
 * complete folder wins.
 */
export async function downloadCifar10(parentDir: string, options: DownloadOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const url = options.url ?? env.SWEEP_CIFAR10_URL ?? CIFAR10_ARCHIVE_URL;
  const md5 = (options.md5 ?? CIFAR10_ARCHIVE_MD5).toLowerCase();
  const progress = options.progress === undefined ? process.stderr : options.progress;
  mkdirSync(parentDir, { recursive: true });

  const archive = join(parentDir, `${basename(new URL(url).pathname) || 'cifar-10-binary.tar.gz'}.${uniqueSuffix()}`);
  const partial = `${archive}.part`;
  options.onLog?.(`downloading CIFAR-10 from ${url} into ${parentDir}`);
  const actualMd5 = await fetchToFile(url, partial, progress);
  if (actualMd5 !== md5) {
    rmSync(partial, { force: true });
    throw new EnvironmentError(`the CIFAR-10 archive downloaded from ${url} has MD5 ${actualMd5}, expected ${md5}; the download is corrupt or the URL serves another file. Run the command again, or download the archive yourself and unpack it (see SWEEP_DATA_DIR).`);
  }
  renameSync(partial, archive);

  const folder = await unpackCifar10Archive(archive, parentDir);
  rmSync(archive, { force: true });
  options.onLog?.(`CIFAR-10 unpacked into ${folder}`);
  return folder;
}

/**
 * Unpacks the files of `cifar-10-batches-bin/` from a .tar.gz archive into
 * `parentDir/cifar-10-batches-bin` and checks that every batch file is there.
 * Other entries of the archive (the readme) are skipped.
 */
export async function unpackCifar10Archive(archive: string, parentDir: string): Promise<string> {
  const target = join(parentDir, CIFAR10_FOLDER);
  const temporary = `${target}.unpacking-${uniqueSuffix()}`;
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary, { recursive: true });

  const wanted = new Set([...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE, CIFAR10_META_FILE]);
  const gunzip = createReadStream(archive).pipe(createGunzip());
  let written: string[];
  try {
    written = await extractTar(gunzip, (entry) => {
      const parts = entry.name.replace(/^\.\//, '').split('/');
      const isWanted = parts.length === 2 && parts[0] === CIFAR10_FOLDER && wanted.has(parts[1]);
      return isWanted ? join(temporary, parts[1]) : undefined;
    });
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw new EnvironmentError(`could not unpack ${archive}: ${(error as Error).message}`, { cause: error });
  }

  const found = new Set(written.map((path) => basename(path)));
  const missing = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].filter((name) => !found.has(name));
  if (missing.length > 0) {
    rmSync(temporary, { recursive: true, force: true });
    throw new EnvironmentError(`${archive} does not contain ${missing.map((name) => `${CIFAR10_FOLDER}/${name}`).join(', ')}; it is not the CIFAR-10 binary archive`);
  }
  if (isComplete(target)) {
    // Another process finished first.
    rmSync(temporary, { recursive: true, force: true });
    return target;
  }
  rmSync(target, { recursive: true, force: true });
  try {
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    if (!isComplete(target)) {
      throw error;
    }
  }
  return target;
}

function uniqueSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

function isComplete(folder: string): boolean {
  return [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].every((name) => existsSync(join(folder, name)));
}

/** Streams a URL into a file and returns the MD5 of the bytes written. */
async function fetchToFile(url: string, path: string, progress: NodeJS.WriteStream | null): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DownloadError(url, describeFetchError(error), error);
  }
  if (!response.ok || response.body === null) {
    throw new DownloadError(url, `the server responded with HTTP ${response.status} ${response.statusText}`.trim());
  }

  const total = Number(response.headers.get('content-length') ?? Number.NaN);
  const bar = progress === null ? undefined : new ProgressBar('CIFAR-10', total, progress);
  const hash = createHash('md5');
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bar?.advance(chunk.length);
  });
  try {
    await pipeline(body, createWriteStream(path));
  } catch (error) {
    rmSync(path, { force: true });
    throw new DownloadError(url, `the transfer broke off (${describeFetchError(error)})`, error);
  } finally {
    bar?.finish();
  }
  return hash.digest('hex');
}

/** A failed download of the archive; the caller adds where the files can be put by hand. */
export class DownloadError extends EnvironmentError {
  readonly url: string;
  readonly reason: string;

  constructor(url: string, reason: string, cause?: unknown) {
    super(`downloading ${url} failed: ${reason}`, { cause });
    this.url = url;
    this.reason = reason;
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === undefined ? cause.message : `${code}: ${cause.message}`;
  }
  return error.message;
}

/** A one-line progress bar, redrawn in place on a terminal and printed every 10% elsewhere. */
class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  advance(bytes: number): void {
    this.done += bytes;
    const now = Date.now();
    if (this.stream.isTTY === true) {
      if (now - this.lastDraw >= 100) {
        this.lastDraw = now;
        this.stream.write(`\r${this.line()}`);
      }
      return;
    }
    const decile = Number.isFinite(this.total) && this.total > 0 ? Math.floor((10 * this.done) / this.total) : -1;
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(`${this.line()}\n`);
    }
  }

  finish(): void {
    if (this.stream.isTTY === true) {
      this.stream.write(`\r${this.line()}\n`);
    }
  }

  private line(): string {
    const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);
    if (!Number.isFinite(this.total) || this.total <= 0) {
      return `downloading ${this.label}: ${mib(this.done)} MiB`;
    }
    const fraction = Math.min(1, this.done / this.total);
    const width = 30;
    const filled = Math.round(fraction * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    return `downloading ${this.label} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${mib(this.done)}/${mib(this.total)} MiB`;
  }
}
