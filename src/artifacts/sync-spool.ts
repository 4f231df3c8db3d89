import { ArtifactStoreError, summarizeError } from './artifact-errors.ts';
import type { ArtifactLogger } from './artifact-logger.ts';
import type { ArtifactRecord, ArtifactRecorder } from './artifact-recorder.ts';
import { ArtifactSpool, type DamagedSpoolEntry, type SpoolEntry } from './artifact-spool.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { sha256File } from './checksum.ts';
import { openArtifactStore, type OpenArtifactStoreOptions } from './open-artifact-store.ts';

export interface SyncSpoolOptions {
  recorder: ArtifactRecorder;
  /** Default: the spool in the state folder (`.sweep/spool`). */
  spool?: ArtifactSpool;
  /** Opens the store of an entry's location; default `openArtifactStore(location, storeOptions)`. */
  openStore?: (location: string) => ArtifactStore;
  /** Options for the default `openStore`: endpoint, credentials, retries. */
  storeOptions?: OpenArtifactStoreOptions;
  logger?: ArtifactLogger;
}

/** An entry that stays in the spool, and why. */
export interface PendingEntry {
  entry: SpoolEntry;
  error: string;
}

export interface SyncSpoolResult {
  /** Records of the entries uploaded, recorded and removed from the spool. */
  uploaded: ArtifactRecord[];
  /** Entries left in the spool because their store or PostgreSQL failed, or their copy is damaged. */
  pending: PendingEntry[];
  /** Folders in the spool whose manifest is unreadable; they are left for a person to inspect. */
  damaged: DamagedSpoolEntry[];
  /** True when another process was syncing the same spool, so nothing was done. */
  locked: boolean;
}

/**
 * Uploads every spooled artifact to the store it was meant for, records it,
 * then removes it from the spool. `sweep artifacts sync` calls it, and the
 * scheduler should call it when a sweep starts. An entry leaves the spool
 * only after both the upload and the record succeeded. After a transient
 * error, the remaining entries of that location wait for the next sync.
 */
export async function syncSpool(options: SyncSpoolOptions): Promise<SyncSpoolResult> {
  const spool = options.spool ?? new ArtifactSpool();
  const openStore = options.openStore ?? ((location: string) => openArtifactStore(location, options.storeOptions));
  const result: SyncSpoolResult = { uploaded: [], pending: [], damaged: [], locked: false };

  const release = await spool.lock();
  if (release === undefined) {
    result.locked = true;
    return result;
  }

  const stores = new Map<string, ArtifactStore>();
  const unreachable = new Map<string, string>();
  try {
    await spool.removeLeftovers();
    const listing = await spool.list();
    result.damaged = listing.damaged;

    for (const entry of listing.entries) {
      const location = entry.manifest.location;
      const skipReason = unreachable.get(location);
      if (skipReason !== undefined) {
        result.pending.push({ entry, error: skipReason });
        continue;
      }

      try {
        let store = stores.get(location);
        if (store === undefined) {
          store = openStore(location);
          stores.set(location, store);
        }
        result.uploaded.push(await syncEntry(entry, store, spool, options.recorder));
        options.logger?.info({ spoolEntry: entry.id, uri: result.uploaded.at(-1)?.uri }, 'spooled artifact uploaded');
      } catch (error) {
        const message = error instanceof ArtifactStoreError ? error.message : describe(error);
        if (error instanceof ArtifactStoreError && error.transient) {
          unreachable.set(location, message);
        }
        result.pending.push({ entry, error: message });
        options.logger?.warn({ spoolEntry: entry.id, location, error: message }, 'spooled artifact not uploaded yet');
      }
    }
  } finally {
    for (const store of stores.values()) {
      store.close();
    }
    await release();
  }
  return result;
}

async function syncEntry(entry: SpoolEntry, store: ArtifactStore, spool: ArtifactSpool, recorder: ArtifactRecorder): Promise<ArtifactRecord> {
  const { manifest } = entry;

  const copy = await sha256File(entry.dataFile);
  if (copy.sha256 !== manifest.sha256 || copy.bytes !== manifest.bytes) {
    throw new Error(
      `the spooled copy ${entry.dataFile} is damaged: its sha256 is ${copy.sha256} (${copy.bytes} bytes), expected ${manifest.sha256} (${manifest.bytes} bytes) from manifest.json`,
    );
  }

  const key = store.keyFor({ sweep: manifest.owner.sweepName, trial: manifest.owner.trialNumber, name: manifest.name });
  const stored = await store.put(key, entry.dataFile, { sha256: manifest.sha256 });
  const record: ArtifactRecord = {
    ...manifest.owner,
    kind: manifest.kind,
    name: manifest.name,
    key,
    uri: stored.uri,
    bytes: stored.bytes,
    sha256: stored.sha256,
  };
  await recorder.recordArtifact(record);
  await spool.remove(entry);
  return record;
}

function describe(error: unknown): string {
  const summary = summarizeError(error, []);
  return summary.code === 'Error' ? summary.message : `${summary.code}: ${summary.message}`;
}
