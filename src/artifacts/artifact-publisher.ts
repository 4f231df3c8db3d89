import { ArtifactStoreError, summarizeError } from './artifact-errors.ts';
import type { ArtifactLogger } from './artifact-logger.ts';
import type { ArtifactKind, ArtifactOwner, ArtifactRecord, ArtifactRecorder } from './artifact-recorder.ts';
import { ArtifactSpool, type SpoolEntry } from './artifact-spool.ts';
import type { ArtifactStore } from './artifact-store.ts';

/** One file to publish. */
export interface PublishRequest {
  owner: ArtifactOwner;
  kind: ArtifactKind;
  /** Name under the trial's (or sweep's) folder, `/` separating subfolders. */
  name: string;
  /** The local file; it is read, never moved or deleted. */
  file: string;
}

export type PublishOutcome =
  | { status: 'stored'; record: ArtifactRecord }
  | { status: 'spooled'; entry: SpoolEntry; reason: string };

export interface ArtifactPublisherProps {
  store: ArtifactStore;
  recorder: ArtifactRecorder;
  /** Default: the spool in the state folder (`.sweep/spool`). */
  spool?: ArtifactSpool;
  logger?: ArtifactLogger;
  /**
   * Milliseconds during which files go straight to the spool after the store
   * was found unreachable, so a trial does not wait out the retries for every
   * file. Default 30000.
   */
  unreachableBackoffMs?: number;
}

/**
 * Uploads trial and sweep files and records them. When the store fails, or
 * the recorder fails after the upload, the file goes to the spool instead.
 * `publish` still resolves then, so the trial can complete, and `syncSpool`
 * uploads the file later. `publish` rejects only when the spool cannot be
 * written either.
 */
export class ArtifactPublisher {
  readonly #store: ArtifactStore;
  readonly #recorder: ArtifactRecorder;
  readonly #spool: ArtifactSpool;
  readonly #logger: ArtifactLogger | undefined;
  readonly #unreachableBackoffMs: number;
  #unreachableUntil = 0;
  #unreachableReason = '';

  constructor(props: ArtifactPublisherProps) {
    const backoff = props.unreachableBackoffMs ?? 30_000;
    if (!Number.isFinite(backoff) || backoff < 0) {
      throw new TypeError(`props.unreachableBackoffMs must be a number of milliseconds >= 0, got ${String(props.unreachableBackoffMs)}`);
    }
    this.#store = props.store;
    this.#recorder = props.recorder;
    this.#spool = props.spool ?? new ArtifactSpool();
    this.#logger = props.logger;
    this.#unreachableBackoffMs = backoff;
  }

  async publish(request: PublishRequest): Promise<PublishOutcome> {
    const { owner, name } = request;
    const key = this.#store.keyFor({ sweep: owner.sweepName, trial: owner.trialNumber, name });

    if (Date.now() < this.#unreachableUntil) {
      return this.#toSpool(request, `the store was unreachable moments ago: ${this.#unreachableReason}`);
    }

    let stored;
    try {
      stored = await this.#store.put(key, request.file);
    } catch (error) {
      if (!(error instanceof ArtifactStoreError)) {
        throw error;
      }
      if (error.transient) {
        this.#unreachableUntil = Date.now() + this.#unreachableBackoffMs;
        this.#unreachableReason = error.message;
      }
      return this.#toSpool(request, error.message);
    }

    const record: ArtifactRecord = { ...owner, kind: request.kind, name, key, uri: stored.uri, bytes: stored.bytes, sha256: stored.sha256 };
    try {
      await this.#recorder.recordArtifact(record);
    } catch (error) {
      // The object is stored but unrecorded; the spool entry uploads it again and records it on the next sync.
      const summary = summarizeError(error, []);
      return this.#toSpool(request, `uploaded, but recording it in PostgreSQL failed (${summary.code}): ${summary.message}`);
    }
    this.#logger?.info({ sweep: owner.sweepName, trial: owner.trialNumber, uri: record.uri, bytes: record.bytes }, 'artifact stored');
    return { status: 'stored', record };
  }

  async #toSpool(request: PublishRequest, reason: string): Promise<PublishOutcome> {
    const entry = await this.#spool.add({
      location: this.#store.description,
      owner: request.owner,
      kind: request.kind,
      name: request.name,
      sourceFile: request.file,
      reason,
    });
    this.#logger?.warn(
      { sweep: request.owner.sweepName, trial: request.owner.trialNumber, name: request.name, spoolEntry: entry.id, reason },
      'artifact spooled; run `sweep artifacts sync` or start the sweep again to upload it',
    );
    return { status: 'spooled', entry, reason };
  }
}
