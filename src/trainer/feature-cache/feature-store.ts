import { closeSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** File magic and format version of a stored entry. */
const MAGIC = Buffer.from('SWFEAT01', 'latin1');
const ENTRY_SUFFIX = '.features';
const LOCK_SUFFIX = '.lock';
const TEMP_SUFFIX = '.tmp';
/** Largest read or write per call: Node's fs calls take at most 2 GiB at once, and entries can be larger. */
const IO_CHUNK_BYTES = 256 * 1024 * 1024;

/** Activations of one cut tensor for every image of a record set, image-major. */
export interface FeatureTensor {
  /** Shape of one image's activations, without the batch axis. */
  shape: number[];
  /** `count × product(shape)` float32 values, image after image. */
  data: Float32Array;
}

/** A cache entry: the activations at each cut tensor for `count` images. */
export interface FeatureEntry {
  count: number;
  tensors: FeatureTensor[];
}

export interface FeatureStoreOptions {
  /** Folder of the entries; created when missing. */
  dir: string;
  /** Total size the entries may take; least recently used entries are deleted beyond it. */
  maxBytes: number;
  /** How often a worker that waits for another worker's fill checks again. Default 200 ms. */
  pollMs?: number;
  /**
   * After how long without a heartbeat a lock file no longer blocks a fill.
   * The worker that holds a lock touches it every quarter of this while it
   * computes. Default 10 minutes.
   */
  staleLockMs?: number;
  onLog?: (message: string) => void;
}

/** The source of an entry that `getOrCreate` returns: the cache, this caller's computation, or another worker's. */
export type FillOutcome = 'hit' | 'miss' | 'filled-by-other';

/**
 * A folder of feature entries keyed by content hashes, shared by every worker
 * and process of a machine. Writers create a temporary file and hard-link it
 * into place, so readers never see a partial entry and the first complete
 * entry wins. A lock file per key lets one worker compute an entry while the
 * others wait for it. Reads update the access time, and writes delete the
 * least recently accessed entries while the folder is above `maxBytes`.
 */
export class FeatureStore {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly pollMs: number;
  private readonly staleLockMs: number;
  private readonly log: (message: string) => void;

  constructor(options: FeatureStoreOptions) {
    if (!(Number.isSafeInteger(options.maxBytes) && options.maxBytes >= 0)) {
      throw new Error(`options.maxBytes must be a non-negative integer, got ${options.maxBytes}`);
    }
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.pollMs = options.pollMs ?? 200;
    this.staleLockMs = options.staleLockMs ?? 10 * 60 * 1000;
    this.log = options.onLog ?? (() => undefined);
  }

  /** Returns the path of a key's entry file. */
  entryPath(key: string): string {
    return join(this.dir, `${checkKey(key)}${ENTRY_SUFFIX}`);
  }

  /**
   * Reads an entry and marks it as used now. Returns undefined when the key has
   * no entry; deletes an entry that is truncated or malformed and returns undefined.
   */
  read(key: string): FeatureEntry | undefined {
    const path = this.entryPath(key);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if (isCode(error, 'ENOENT')) {
        return undefined;
      }
      throw error;
    }

    let entry: FeatureEntry | undefined;
    try {
      entry = readEntry(fd);
    } finally {
      closeSync(fd);
    }
    if (entry === undefined) {
      this.log(`feature cache: deleting the malformed entry ${path}`);
      removeQuietly(path);
      return undefined;
    }
    touch(path);
    return entry;
  }

  /**
   * Stores an entry unless one exists already. Returns false when the key already
   * had an entry (another writer came first) or when the entry alone is larger
   * than `maxBytes`, in which case nothing is stored. Evicts old entries after writing.
   */
  write(key: string, entry: FeatureEntry): boolean {
    const path = this.entryPath(key);
    const encoded = encodeEntry(entry);
    const size = encoded.reduce((sum, part) => sum + part.byteLength, 0);
    if (size > this.maxBytes) {
      this.log(`feature cache: an entry of ${formatBytes(size)} does not fit the limit of ${formatBytes(this.maxBytes)} (SWEEP_FEATURE_CACHE_MAX_BYTES), so it is not stored`);
      return false;
    }

    mkdirSync(this.dir, { recursive: true });
    const temp = join(this.dir, `${key}.${process.pid}.${Math.random().toString(36).slice(2)}${TEMP_SUFFIX}`);
    const fd = openSync(temp, 'w');
    try {
      for (const part of encoded) {
        writeAll(fd, part);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }

    let stored: boolean;
    try {
      linkSync(temp, path);
      stored = true;
    } catch (error) {
      if (isCode(error, 'EEXIST')) {
        stored = false;
      } else if (isCode(error, 'EPERM') || isCode(error, 'ENOTSUP') || isCode(error, 'EXDEV')) {
        // Some file systems have no hard links; a rename still never exposes a partial file.
        renameSync(temp, path);
        stored = true;
      } else {
        removeQuietly(temp);
        throw error;
      }
    }
    removeQuietly(temp);

    if (stored) {
      this.evict(key);
    }
    return stored;
  }

  /**
   * Returns the entry of `key`, computing and storing it with `create` when it
   * is missing. While one caller computes it (holding `<key>.lock`), others
   * wait for the entry to appear. A lock left by a process that has died is
   * taken over, as is a lock whose heartbeat stopped `staleLockMs` ago.
   */
  async getOrCreate(key: string, create: () => Promise<FeatureEntry>): Promise<{ entry: FeatureEntry; outcome: FillOutcome }> {
    const cached = this.read(key);
    if (cached !== undefined) {
      return { entry: cached, outcome: 'hit' };
    }

    mkdirSync(this.dir, { recursive: true });
    const lockPath = join(this.dir, `${checkKey(key)}${LOCK_SUFFIX}`);
    let waited = false;
    for (;;) {
      if (tryLock(lockPath)) {
        break;
      }
      if (!waited) {
        this.log(`feature cache: another worker is computing entry ${key.slice(0, 12)}; waiting for it`);
        waited = true;
      }
      if (this.isStale(lockPath)) {
        this.log(`feature cache: taking over the stale lock ${lockPath}`);
        removeQuietly(lockPath);
        continue;
      }
      await sleep(this.pollMs);
      const filled = this.read(key);
      if (filled !== undefined) {
        return { entry: filled, outcome: 'filled-by-other' };
      }
    }

    // The heartbeat runs whenever `create` yields to the event loop, for example between batches.
    const heartbeat = setInterval(() => touchModified(lockPath), Math.max(10, this.staleLockMs / 4));
    heartbeat.unref();
    try {
      // Another worker may have finished between the first read and taking the lock.
      const filled = this.read(key);
      if (filled !== undefined) {
        return { entry: filled, outcome: 'filled-by-other' };
      }
      const entry = await create();
      this.write(key, entry);
      return { entry, outcome: 'miss' };
    } finally {
      clearInterval(heartbeat);
      removeQuietly(lockPath);
    }
  }

  /**
   * Deletes the least recently accessed entries until the folder contains at most
   * `maxBytes`, never the entry of `keep`. Returns the deleted keys.
   */
  evict(keep?: string): string[] {
    const entries = this.list();
    let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
    const evicted: string[] = [];
    entries.sort((a, b) => a.accessedMs - b.accessedMs);
    for (const entry of entries) {
      if (total <= this.maxBytes) {
        break;
      }
      if (entry.key === keep) {
        continue;
      }
      removeQuietly(this.entryPath(entry.key));
      total -= entry.bytes;
      evicted.push(entry.key);
    }
    if (evicted.length > 0) {
      this.log(`feature cache: evicted ${evicted.length} least recently used ${evicted.length === 1 ? 'entry' : 'entries'} to stay within ${formatBytes(this.maxBytes)}`);
    }
    return evicted;
  }

  /** Lists the stored entries with their size and last access time. */
  list(): { key: string; bytes: number; accessedMs: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if (isCode(error, 'ENOENT')) {
        return [];
      }
      throw error;
    }
    const entries: { key: string; bytes: number; accessedMs: number }[] = [];
    for (const name of names) {
      if (!name.endsWith(ENTRY_SUFFIX)) {
        continue;
      }
      try {
        const stats = statSync(join(this.dir, name));
        entries.push({ key: name.slice(0, -ENTRY_SUFFIX.length), bytes: stats.size, accessedMs: stats.atimeMs });
      } catch (error) {
        // Another process may evict an entry between the listing and the stat.
        if (!isCode(error, 'ENOENT')) {
          throw error;
        }
      }
    }
    return entries;
  }

  private isStale(lockPath: string): boolean {
    let text: string;
    let modifiedMs: number;
    try {
      text = readFileSync(lockPath, 'utf8');
      modifiedMs = statSync(lockPath).mtimeMs;
    } catch (error) {
      if (isCode(error, 'ENOENT')) {
        return false;
      }
      throw error;
    }
    if (Date.now() - modifiedMs > this.staleLockMs) {
      return true;
    }
    const [host, pidText] = text.split('\n');
    const pid = Number(pidText);
    if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) {
      return false;
    }
    return !isProcessAlive(pid);
  }
}

/** Encodes an entry as magic, header length, JSON header, padding to 4 bytes and the float32 data. */
function encodeEntry(entry: FeatureEntry): Uint8Array[] {
  for (const [index, tensor] of entry.tensors.entries()) {
    const expected = entry.count * product(tensor.shape);
    if (tensor.data.length !== expected) {
      throw new Error(`feature tensor ${index} has ${tensor.data.length} values, expected ${expected} (${entry.count} images of shape [${tensor.shape.join(', ')}])`);
    }
  }
  const header = Buffer.from(JSON.stringify({ count: entry.count, shapes: entry.tensors.map((tensor) => tensor.shape) }), 'utf8');
  const prefix = MAGIC.length + 4 + header.length;
  const padding = (4 - (prefix % 4)) % 4;
  const head = Buffer.alloc(prefix + padding, 0x20);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(header.length, MAGIC.length);
  header.copy(head, MAGIC.length + 4);
  return [head, ...entry.tensors.map((tensor) => new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength))];
}

/** Reads an entry from an open file, or returns undefined when the file is not a complete entry. */
function readEntry(fd: number): FeatureEntry | undefined {
  const fileSize = fstatSync(fd).size;
  const prefix = Buffer.alloc(MAGIC.length + 4);
  if (fileSize < prefix.length || readExactly(fd, prefix, 0) !== prefix.length || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) {
    return undefined;
  }
  const headerLength = prefix.readUInt32LE(MAGIC.length);
  const headerEnd = prefix.length + headerLength;
  if (headerEnd > fileSize) {
    return undefined;
  }
  const headerBytes = Buffer.alloc(headerLength);
  readExactly(fd, headerBytes, prefix.length);
  let header: { count: number; shapes: number[][] };
  try {
    header = JSON.parse(headerBytes.toString('utf8')) as typeof header;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(header.count) || !Array.isArray(header.shapes)) {
    return undefined;
  }

  let offset = headerEnd + ((4 - (headerEnd % 4)) % 4);
  const lengths = header.shapes.map((shape) => header.count * product(shape));
  if (offset + lengths.reduce((sum, length) => sum + length * 4, 0) !== fileSize) {
    return undefined;
  }
  const tensors: FeatureTensor[] = [];
  for (const [index, shape] of header.shapes.entries()) {
    const data = new Float32Array(lengths[index]);
    const bytes = new Uint8Array(data.buffer);
    if (readExactly(fd, bytes, offset) !== bytes.byteLength) {
      return undefined;
    }
    tensors.push({ shape, data });
    offset += bytes.byteLength;
  }
  return { count: header.count, tensors };
}

/** Reads `target.byteLength` bytes at `position`, in chunks; returns how many it read (fewer at the end of the file). */
function readExactly(fd: number, target: Uint8Array, position: number): number {
  let done = 0;
  while (done < target.byteLength) {
    const read = readSync(fd, target, done, Math.min(IO_CHUNK_BYTES, target.byteLength - done), position + done);
    if (read === 0) {
      break;
    }
    done += read;
  }
  return done;
}

function tryLock(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx');
    writeSync(fd, `${hostname()}\n${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if (isCode(error, 'EEXIST')) {
      return false;
    }
    throw error;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return isCode(error, 'EPERM');
  }
}

function touch(path: string): void {
  try {
    const stats = statSync(path);
    utimesSync(path, new Date(), stats.mtime);
  } catch (error) {
    if (!isCode(error, 'ENOENT')) {
      throw error;
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.byteLength) {
    written += writeSync(fd, bytes, written, Math.min(IO_CHUNK_BYTES, bytes.byteLength - written));
  }
}

function touchModified(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // Runs in a timer, where a throw would end the process. A missed heartbeat
    // at worst lets another worker take the lock over and compute the entry too.
  }
}

function checkKey(key: string): string {
  if (!/^[0-9a-f]{16,128}$/.test(key)) {
    throw new Error(`a feature cache key must be 16 to 128 lowercase hex digits, got "${key}"`);
  }
  return key;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isCode(error, 'ENOENT')) {
      throw error;
    }
  }
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

function product(shape: number[]): number {
  return shape.reduce((total, size) => total * size, 1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Formats a byte count in MiB or GiB for log lines. */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
