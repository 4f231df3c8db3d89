import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, basename } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { artifactKey, assertSafeKey, compareKeys, type ArtifactAddress } from './artifact-key.ts';
import { formatArtifactLocation } from './artifact-location.ts';
import { ArtifactStoreError, ChecksumMismatchError, isTransientError, summarizeError, type ErrorSummary } from './artifact-errors.ts';
import type { ArtifactStore, GetOptions, ObjectSummary, PutOptions, StoredObject } from './artifact-store.ts';
import type { ArtifactLogger } from './artifact-logger.ts';
import { HashingStream, sha256File } from './checksum.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import { resolveS3Config, type S3ConnectionOptions } from './s3-config.ts';

/** The smallest part S3 accepts in a multipart upload (all parts but the last): 5 MiB. */
export const minPartSize = 5 * 1024 * 1024;

export interface S3ArtifactStoreOptions extends S3ConnectionOptions {
  /** Part size of multipart uploads in bytes, at least 5 MiB, default 8 MiB; smaller files go up in one PUT. */
  partSize?: number;
  /** Parts uploaded at the same time, default 4. */
  queueSize?: number;
  retry?: RetryOptions;
  logger?: ArtifactLogger;
  env?: NodeJS.ProcessEnv;
}

/** Object metadata key (sent as `x-amz-meta-sha256`) that keeps the content's sha256 beside the object. */
const sha256MetadataKey = 'sha256';

/**
 * Artifact store on S3 or an S3-compatible server (MinIO, s3rver, Ceph, R2).
 * Files larger than `partSize` go up as multipart uploads, and a failed one is
 * aborted so its parts do not linger. Every operation is retried after
 * transient errors.
 *
 * NOTE: a retry repeats the whole operation, so a multipart upload that loses
 * one part sends every part again; per-part retries would need the SDK's own
 * retry strategy, which is turned off here so that each retry is logged.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly location: { kind: 's3'; bucket: string; prefix: string };
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #retry: RetryOptions;
  readonly #logger: ArtifactLogger | undefined;
  readonly #endpointLabel: string;
  readonly #secrets: Set<string>;

  constructor(location: { kind: 's3'; bucket: string; prefix: string }, options: S3ArtifactStoreOptions = {}) {
    const partSize = options.partSize ?? 8 * 1024 * 1024;
    if (!Number.isInteger(partSize) || partSize < minPartSize) {
      throw new TypeError(`options.partSize must be an integer of at least ${minPartSize} bytes (5 MiB), got ${String(options.partSize)}`);
    }
    const queueSize = options.queueSize ?? 4;
    if (!Number.isInteger(queueSize) || queueSize < 1) {
      throw new TypeError(`options.queueSize must be a positive integer, got ${String(options.queueSize)}`);
    }
    const resolved = resolveS3Config(options, options.env ?? process.env);

    this.location = Object.freeze({ ...location });
    this.description = formatArtifactLocation(location);
    this.#bucket = location.bucket;
    this.#client = new S3Client(resolved.clientConfig);
    this.#partSize = partSize;
    this.#queueSize = queueSize;
    this.#retry = options.retry ?? {};
    this.#logger = options.logger;
    this.#endpointLabel = resolved.endpointLabel;
    this.#secrets = new Set(resolved.secrets);
  }

  keyFor(address: ArtifactAddress): string {
    return artifactKey(this.location.prefix, address);
  }

  uriFor(key: string): string {
    return `s3://${this.#bucket}/${key}`;
  }

  async put(key: string, sourceFile: string, options: PutOptions = {}): Promise<StoredObject> {
    assertSafeKey(key);
    const uri = this.uriFor(key);
    const { bytes, sha256 } = options.sha256 === undefined ? await sha256File(sourceFile) : { bytes: (await stat(sourceFile)).size, sha256: options.sha256 };

    await this.#withRetry('upload', uri, () => this.#uploadOnce(key, sourceFile, bytes, sha256, options.signal), options.signal);
    return { key, uri, bytes, sha256 };
  }

  async #uploadOnce(key: string, sourceFile: string, bytes: number, sha256: string, signal: AbortSignal | undefined): Promise<void> {
    const body = createReadStream(sourceFile);
    // leavePartsOnError keeps lib-storage from aborting by itself: its abort failure would replace the
    // original error, so the abort is sent below, where its failure is only logged.
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, Body: body, ContentLength: bytes, Metadata: { [sha256MetadataKey]: sha256 } },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: true,
    });
    const onAbort = (): void => void upload.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      signal?.throwIfAborted();
      await upload.done();
    } catch (error) {
      if (upload.uploadId !== undefined) {
        await this.#abortMultipartUpload(key, upload.uploadId);
      }
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      body.destroy();
    }
  }

  async #abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }));
      this.#logger?.info({ uri: this.uriFor(key), uploadId }, 'aborted the failed multipart upload');
    } catch (error) {
      const summary = summarizeError(error, await this.#knownSecrets());
      this.#logger?.warn(
        { uri: this.uriFor(key), uploadId, error: summary },
        'could not abort the failed multipart upload; its parts stay on the server until a bucket lifecycle rule removes them',
      );
    }
  }

  async get(key: string, destinationFile: string, options: GetOptions = {}): Promise<StoredObject> {
    assertSafeKey(key);
    const uri = this.uriFor(key);
    await mkdir(dirname(destinationFile), { recursive: true });
    const temporary = join(dirname(destinationFile), `.${basename(destinationFile)}.${randomBytes(6).toString('hex')}.part`);

    try {
      const { bytes, sha256, storedSha256 } = await this.#withRetry(
        'download',
        uri,
        async () => {
          const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }), { abortSignal: options.signal });
          const hasher = new HashingStream();
          await pipeline(response.Body as Readable, hasher, createWriteStream(temporary));
          return { ...hasher.result(), storedSha256: response.Metadata?.[sha256MetadataKey] };
        },
        options.signal,
      );
      const expected = options.expectedSha256 ?? storedSha256;
      if (expected !== undefined && expected !== sha256) {
        throw new ChecksumMismatchError(uri, expected, sha256);
      }
      await rename(temporary, destinationFile);
      return { key, uri, bytes, sha256 };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  async head(key: string): Promise<StoredObject | undefined> {
    assertSafeKey(key);
    const uri = this.uriFor(key);
    try {
      const response = await this.#withRetry('read metadata of', uri, () => this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key })));
      const sha256 = response.Metadata?.[sha256MetadataKey] ?? (await this.#hashObject(key));
      return { key, uri, bytes: response.ContentLength ?? 0, sha256 };
    } catch (error) {
      if (error instanceof ArtifactStoreError && error.summary.status === 404) {
        return undefined;
      }
      throw error;
    }
  }

  /** Hashes an object by reading it, for objects that were stored without the sha256 metadata. */
  async #hashObject(key: string): Promise<string> {
    return this.#withRetry('download', this.uriFor(key), async () => {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      const hasher = new HashingStream();
      await pipeline(response.Body as Readable, hasher, async function drain(source) {
        for await (const chunk of source) {
          void chunk;
        }
      });
      return hasher.result().sha256;
    });
  }

  async list(keyPrefix: string): Promise<ObjectSummary[]> {
    const found: ObjectSummary[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.#withRetry('list', this.uriFor(keyPrefix), () =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: keyPrefix, ContinuationToken: continuationToken })),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) {
          found.push({ key: object.Key, bytes: object.Size ?? 0 });
        }
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    return found.sort(compareKeys);
  }

  async check(): Promise<void> {
    await this.#withRetry('reach', `s3://${this.#bucket}`, () => this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket })));
  }

  close(): void {
    this.#client.destroy();
  }

  /** Runs an operation with retries, logging each retry, and turns its final error into an ArtifactStoreError. */
  async #withRetry<T>(operation: string, uri: string, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const onRetry = async (error: unknown, attempt: number, delayMs: number): Promise<void> => {
      this.#logger?.warn({ uri, attempt, delayMs, error: summarizeError(error, await this.#knownSecrets()) }, `retrying ${operation} after a transient error`);
      await this.#retry.onRetry?.(error, attempt, delayMs);
    };
    try {
      return await withRetry(run, { ...this.#retry, onRetry }, signal);
    } catch (error) {
      if (error instanceof ChecksumMismatchError || error instanceof ArtifactStoreError) {
        throw error;
      }
      throw await this.#storeError(operation, uri, error);
    }
  }

  async #storeError(operation: string, uri: string, error: unknown): Promise<ArtifactStoreError> {
    const summary = summarizeError(error, await this.#knownSecrets());
    const transient = isTransientError(error);
    const status = summary.status === undefined ? '' : `, HTTP ${summary.status}`;
    const hint = this.#hint(summary, transient);
    const detail = summary.message.replace(/\.+$/, '');
    const message = `could not ${operation} ${uri} at ${this.#endpointLabel} (${summary.code}${status}): ${detail}.${hint === '' ? '' : ` ${hint}`}`;
    return new ArtifactStoreError(message, summary, transient);
  }

  #hint(summary: ErrorSummary, transient: boolean): string {
    const { code, status } = summary;
    if (code === 'AbortError') {
      return 'The operation was cancelled.';
    }
    if (transient) {
      return `Check that the server at ${this.#endpointLabel} is running and reachable (endpoint from SWEEP_S3_ENDPOINT, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL).`;
    }
    // HeadBucket returns a bare 404 for a missing bucket, which the SDK names NotFound.
    if (code === 'NoSuchBucket' || (code === 'NotFound' && status === 404 && summary.message === 'UnknownError')) {
      return `Create the bucket ${this.#bucket} or change the artifact location (the sweep file's artifacts: key or SWEEP_ARTIFACTS).`;
    }
    if (
      status === 401 ||
      status === 403 ||
      ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'CredentialsProviderError', 'ExpiredToken'].includes(code)
    ) {
      return 'Check the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE.';
    }
    if (summary.message.includes('Region is missing')) {
      return 'Set AWS_REGION.';
    }
    return '';
  }

  /** Secrets to redact: the configured ones plus those the SDK's credential chain resolved. */
  async #knownSecrets(): Promise<Set<string>> {
    try {
      const provider = this.#client.config.credentials;
      const resolved = await provider();
      if (resolved.secretAccessKey !== '') {
        this.#secrets.add(resolved.secretAccessKey);
      }
      if (resolved.sessionToken !== undefined && resolved.sessionToken !== '') {
        this.#secrets.add(resolved.sessionToken);
      }
    } catch {
      // No credentials could be resolved, so none can leak.
    }
    return this.#secrets;
  }
}
