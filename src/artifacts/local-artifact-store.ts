import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { artifactKey, assertSafeKey, compareKeys, type ArtifactAddress } from './artifact-key.ts';
import { ArtifactStoreError, ChecksumMismatchError, summarizeError } from './artifact-errors.ts';
import type { ArtifactStore, GetOptions, ObjectSummary, PutOptions, StoredObject } from './artifact-store.ts';
import { fileChunkBytes, HashingStream, sha256File } from './checksum.ts';

/**
 * Artifact store in a local folder, with the same keys as the S3 store: the
 * object at key `a/b/c` is the file `<root>/a/b/c`. Writes go to a temporary
 * file beside the target, are flushed to disk and then renamed over it, so a
 * crash leaves either the old file or the new one.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly location: { kind: 'local'; root: string };
  readonly description: string;
  readonly #root: string;

  constructor(location: { kind: 'local'; root: string }) {
    this.#root = resolve(location.root);
    this.location = Object.freeze({ kind: 'local', root: this.#root });
    this.description = this.#root;
  }

  keyFor(address: ArtifactAddress): string {
    return artifactKey('', address);
  }

  uriFor(key: string): string {
    return pathToFileURL(this.#pathOf(key)).href;
  }

  /** Maps a key to its file, refusing any key whose path would leave the root. */
  #pathOf(key: string): string {
    assertSafeKey(key);
    const path = resolve(this.#root, ...key.split('/'));
    const inside = relative(this.#root, path);
    if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || resolve(this.#root, inside) !== path) {
      throw new ArtifactStoreError(`artifact key ${JSON.stringify(key)} resolves outside ${this.#root}`, { code: 'InvalidKey', message: 'key outside root' }, false);
    }
    return path;
  }

  async put(key: string, sourceFile: string, options: PutOptions = {}): Promise<StoredObject> {
    const target = this.#pathOf(key);
    const uri = this.uriFor(key);
    const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.part`);
    options.signal?.throwIfAborted();

    try {
      await mkdir(dirname(target), { recursive: true });
      const hasher = new HashingStream();
      await pipeline(createReadStream(sourceFile, { highWaterMark: fileChunkBytes }), hasher, createWriteStream(temporary), { signal: options.signal });
      const { bytes, sha256 } = hasher.result();
      if (options.sha256 !== undefined && options.sha256 !== sha256) {
        throw new ChecksumMismatchError(pathToFileURL(sourceFile).href, options.sha256, sha256);
      }
      await syncFile(temporary);
      await rename(temporary, target);
      return { key, uri, bytes, sha256 };
    } catch (error) {
      await rm(temporary, { force: true });
      throw this.#storeError('store', uri, error);
    }
  }

  async get(key: string, destinationFile: string, options: GetOptions = {}): Promise<StoredObject> {
    const source = this.#pathOf(key);
    const uri = this.uriFor(key);
    await mkdir(dirname(destinationFile), { recursive: true });
    const temporary = join(dirname(destinationFile), `.${basename(destinationFile)}.${randomBytes(6).toString('hex')}.part`);

    try {
      const hasher = new HashingStream();
      await pipeline(createReadStream(source, { highWaterMark: fileChunkBytes }), hasher, createWriteStream(temporary), { signal: options.signal });
      const { bytes, sha256 } = hasher.result();
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
        throw new ChecksumMismatchError(uri, options.expectedSha256, sha256);
      }
      await rename(temporary, destinationFile);
      return { key, uri, bytes, sha256 };
    } catch (error) {
      await rm(temporary, { force: true });
      throw this.#storeError('read', uri, error);
    }
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const path = this.#pathOf(key);
    try {
      const { sha256, bytes } = await sha256File(path);
      return { key, uri: this.uriFor(key), bytes, sha256 };
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT') || isErrnoCode(error, 'EISDIR')) {
        return undefined;
      }
      throw this.#storeError('read', this.uriFor(key), error);
    }
  }

  async list(keyPrefix: string): Promise<ObjectSummary[]> {
    const found: ObjectSummary[] = [];
    await this.#walk(this.#root, '', keyPrefix, found);
    return found.sort(compareKeys);
  }

  async #walk(folder: string, folderKey: string, keyPrefix: string, found: ObjectSummary[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) {
        return;
      }
      throw this.#storeError('list', pathToFileURL(folder).href, error);
    }
    for (const entry of entries) {
      // Temporary files of writes in progress start with a dot and are not objects.
      if (entry.name.startsWith('.')) {
        continue;
      }
      const key = folderKey === '' ? entry.name : `${folderKey}/${entry.name}`;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        // Descend only into folders that can hold keys with the requested prefix.
        if (keyPrefix.startsWith(`${key}/`) || `${key}/`.startsWith(keyPrefix)) {
          await this.#walk(path, key, keyPrefix, found);
        }
      } else if (entry.isFile() && key.startsWith(keyPrefix)) {
        found.push({ key, bytes: (await stat(path)).size });
      }
    }
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.#root, { recursive: true });
    } catch (error) {
      throw this.#storeError('create the folder', this.#root, error);
    }
  }

  close(): void {}

  #storeError(operation: string, target: string, error: unknown): Error {
    if (error instanceof ChecksumMismatchError || error instanceof ArtifactStoreError) {
      return error;
    }
    const summary = summarizeError(error, []);
    // A full or failing disk may recover; a missing file or a permission problem will not.
    const transient = ['ENOSPC', 'EIO', 'EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE'].includes(summary.code);
    return new ArtifactStoreError(`could not ${operation} ${target} (${summary.code}): ${summary.message}`, summary, transient);
  }
}

/** Flushes a file's content to disk, so a rename after it cannot expose an empty file after a crash. */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isErrnoCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
