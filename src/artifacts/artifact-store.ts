import type { ArtifactAddress } from './artifact-key.ts';
import type { ArtifactLocation } from './artifact-location.ts';

/** An object as stored: its key, its URI without credentials, its size and its content's sha256. */
export interface StoredObject {
  key: string;
  /** `s3://bucket/key` or `file:///path`; never contains credentials or an endpoint. */
  uri: string;
  /** Size in bytes. */
  bytes: number;
  /** sha256 of the content, 64 lower-case hex digits. */
  sha256: string;
}

export interface PutOptions {
  /** sha256 of the source file when the caller has already computed it; otherwise the store computes it. */
  sha256?: string;
  /** Aborting stops the upload; a multipart upload is then aborted on the server too. */
  signal?: AbortSignal;
}

export interface GetOptions {
  /** Expected sha256, usually the one recorded in PostgreSQL; a mismatch raises ChecksumMismatchError. */
  expectedSha256?: string;
  signal?: AbortSignal;
}

/** One object found by `list`. */
export interface ObjectSummary {
  key: string;
  bytes: number;
}

/**
 * Storage for the files that trials and sweeps leave behind. Two
 * implementations share this contract: S3 (any S3-compatible service) and a
 * local folder. Both place an artifact at the same key (see `keyFor`), and both
 * promise:
 *
 * - `put` makes the object visible whole or not at all, and returns its size
 *   and sha256 only after the store has accepted it.
 * - `get` writes the destination file whole or not at all, after checking the
 *   sha256 of what it read against `expectedSha256` (or, on S3, against the
 *   sha256 saved with the object).
 * - Keys are checked with `assertSafeKey`, so no key reaches outside the store.
 * - Errors are `ArtifactStoreError`s whose messages name the URI and never
 *   contain a credential. Their `transient` is true when a later try may succeed.
 *
 * NOTE: a local folder cannot hold a key both as a file and as the folder of
 * other keys (`a` and `a/b`), which S3 allows; such a put fails with EISDIR or
 * ENOTDIR. Keys built by `keyFor` from distinct trial file names avoid it.
 */
export interface ArtifactStore {
  readonly location: ArtifactLocation;
  /** The location as text without credentials: `s3://bucket/prefix` or a folder path. */
  readonly description: string;

  /** Builds the key of an artifact under this store's prefix. */
  keyFor(address: ArtifactAddress): string;
  /** Builds the URI recorded for a key. */
  uriFor(key: string): string;

  /** Stores a local file under a key, replacing any object there. */
  put(key: string, sourceFile: string, options?: PutOptions): Promise<StoredObject>;
  /** Reads an object into a local file, creating its folder. */
  get(key: string, destinationFile: string, options?: GetOptions): Promise<StoredObject>;
  /** Returns an object's size and sha256, or undefined when there is no object at the key. */
  head(key: string): Promise<StoredObject | undefined>;
  /** Lists the objects whose keys start with `keyPrefix`, sorted by key. */
  list(keyPrefix: string): Promise<ObjectSummary[]>;
  /** Checks that the store is reachable and the bucket or folder exists. */
  check(): Promise<void>;
  /** Releases connections; the store must not be used afterwards. */
  close(): void;
}
