import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { stateDir } from '../paths.ts';
import { artifactKinds, type ArtifactKind, type ArtifactOwner } from './artifact-recorder.ts';
import { fileChunkBytes, HashingStream, isSha256Hex } from './checksum.ts';
import { syncFile } from './local-artifact-store.ts';

/** The manifest beside a spooled file: everything needed to upload and record it later. */
export interface SpoolManifest {
  version: 1;
  id: string;
  /** ISO 8601 time the file was spooled. */
  spooledAt: string;
  /** The store it was meant for, without credentials: `s3://bucket/prefix` or a folder path. */
  location: string;
  owner: ArtifactOwner;
  kind: ArtifactKind;
  name: string;
  bytes: number;
  sha256: string;
  /** Why it was spooled: the store's error message, which never contains credentials. */
  reason: string;
}

/** A complete spool entry: a folder with `manifest.json` and the file as `data`. */
export interface SpoolEntry {
  id: string;
  folder: string;
  dataFile: string;
  manifest: SpoolManifest;
}

/** A folder in the spool whose manifest could not be read. */
export interface DamagedSpoolEntry {
  id: string;
  folder: string;
  problem: string;
}

export interface SpoolListing {
  entries: SpoolEntry[];
  damaged: DamagedSpoolEntry[];
}

/** Input of `ArtifactSpool.add`. */
export interface SpoolRequest {
  location: string;
  owner: ArtifactOwner;
  kind: ArtifactKind;
  name: string;
  sourceFile: string;
  reason: string;
}

/** Returns the default spool folder: `spool/` in the project's state folder. */
export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'spool');
}

// Folders being written start with `.tmp-`, folders being removed with `.del-`; neither is an entry.
const temporaryPrefix = '.tmp-';
const deletingPrefix = '.del-';
const lockFileName = '.lock';
/** Age after which a `.tmp-` folder is taken as left behind by a crash, in milliseconds. */
const abandonedAfterMs = 60 * 60 * 1000;

/**
 * Artifacts that could not reach their store wait here until a sync uploads
 * them. Each entry is built in a `.tmp-<id>` folder, flushed to disk, and
 * renamed to `<id>` in one step, so after a crash an entry is either complete
 * or absent, never half-written.
 */
export class ArtifactSpool {
  readonly dir: string;

  constructor(dir: string = defaultSpoolDir()) {
    this.dir = dir;
  }

  /** Copies a file into the spool with its manifest. The source file is not changed. */
  async add(request: SpoolRequest): Promise<SpoolEntry> {
    // Ids sort by time, so a sync uploads the oldest entries first.
    const id = `${Date.now().toString().padStart(14, '0')}-${randomBytes(6).toString('hex')}`;
    const building = join(this.dir, `${temporaryPrefix}${id}`);
    const folder = join(this.dir, id);
    await mkdir(building, { recursive: true });

    try {
      const hasher = new HashingStream();
      await pipeline(createReadStream(request.sourceFile, { highWaterMark: fileChunkBytes }), hasher, createWriteStream(join(building, 'data')));
      await syncFile(join(building, 'data'));
      const { sha256, bytes } = hasher.result();

      const manifest: SpoolManifest = {
        version: 1,
        id,
        spooledAt: new Date().toISOString(),
        location: request.location,
        owner: request.owner,
        kind: request.kind,
        name: request.name,
        bytes,
        sha256,
        reason: request.reason,
      };
      await writeFile(join(building, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      await syncFile(join(building, 'manifest.json'));

      await rename(building, folder);
      await syncFolder(this.dir);
      return { id, folder, dataFile: join(folder, 'data'), manifest };
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      throw error;
    }
  }

  /** Lists complete entries, oldest first, and the folders whose manifest is unreadable. */
  async list(): Promise<SpoolListing> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return { entries: [], damaged: [] };
      }
      throw error;
    }

    const listing: SpoolListing = { entries: [], damaged: [] };
    for (const id of names.sort()) {
      if (id.startsWith('.')) {
        continue;
      }
      const folder = join(this.dir, id);
      try {
        const manifest = parseManifest(await readFile(join(folder, 'manifest.json'), 'utf8'));
        listing.entries.push({ id, folder, dataFile: join(folder, 'data'), manifest });
      } catch (error) {
        listing.damaged.push({ id, folder, problem: error instanceof Error ? error.message : String(error) });
      }
    }
    return listing;
  }

  /** Removes an entry after its file was uploaded and recorded. */
  async remove(entry: SpoolEntry): Promise<void> {
    const deleting = join(this.dir, `${deletingPrefix}${entry.id}`);
    // The rename hides the entry at once; a crash during rm leaves a `.del-` folder, never a partial entry.
    await rename(entry.folder, deleting);
    await rm(deleting, { recursive: true, force: true });
  }

  /** Removes folders left behind by crashed writes (older than an hour) and by interrupted removals. */
  async removeLeftovers(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      if (name.startsWith(deletingPrefix)) {
        await rm(path, { recursive: true, force: true });
      } else if (name.startsWith(temporaryPrefix)) {
        const { mtimeMs } = await stat(path);
        if (Date.now() - mtimeMs > abandonedAfterMs) {
          await rm(path, { recursive: true, force: true });
        }
      }
    }
  }

  /**
   * Takes the spool's lock, so two processes never sync at once. Returns a
   * release function, or undefined while another live process holds the
   * lock. A lock whose process has exited is taken over.
   */
  async lock(): Promise<(() => Promise<void>) | undefined> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, lockFileName);

    for (let tries = 0; tries < 2; tries++) {
      try {
        const handle = await open(path, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        return async () => {
          await rm(path, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw error;
        }
      }
      const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder)) {
        return undefined;
      }
      await rm(path, { force: true });
    }
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Flushes a folder's entries to disk, so a rename inside it survives a crash. */
async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function parseManifest(text: string): SpoolManifest {
  const value = JSON.parse(text) as Partial<SpoolManifest>;
  const owner = value.owner;

  const problems: string[] = [];
  if (value.version !== 1) {
    problems.push(`version must be 1, got ${JSON.stringify(value.version)}`);
  }
  if (typeof value.location !== 'string' || value.location === '') {
    problems.push('location is missing');
  }
  if (typeof value.name !== 'string' || value.name === '') {
    problems.push('name is missing');
  }
  if (typeof value.kind !== 'string' || !artifactKinds.includes(value.kind)) {
    problems.push(`kind must be one of ${artifactKinds.join(', ')}`);
  }
  if (typeof value.sha256 !== 'string' || !isSha256Hex(value.sha256)) {
    problems.push('sha256 must be 64 hex digits');
  }
  if (typeof value.bytes !== 'number' || !Number.isSafeInteger(value.bytes) || value.bytes < 0) {
    problems.push('bytes must be a non-negative integer');
  }
  if (owner === undefined || typeof owner.sweepId !== 'string' || typeof owner.sweepName !== 'string') {
    problems.push('owner.sweepId and owner.sweepName are required');
  } else if ((owner.trialId === null) !== (owner.trialNumber === null)) {
    problems.push('owner.trialId and owner.trialNumber must both be set or both be null');
  }

  if (problems.length > 0) {
    throw new Error(`invalid manifest.json: ${problems.join('; ')}`);
  }
  return value as SpoolManifest;
}
