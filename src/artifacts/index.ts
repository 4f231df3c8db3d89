// The public API of the artifact store; other parts import from here.
export { artifactKey, assertSafeKey, encodeArtifactName, encodeKeySegment, trialSegment, type ArtifactAddress } from './artifact-key.ts';
export {
  defaultArtifactLocation,
  formatArtifactLocation,
  parseArtifactLocation,
  parseArtifactUri,
  resolveArtifactLocation,
  type ArtifactLocation,
  type ConfiguredLocation,
} from './artifact-location.ts';
export { ArtifactStoreError, ChecksumMismatchError, isTransientError, type ErrorSummary } from './artifact-errors.ts';
export type { ArtifactLogger } from './artifact-logger.ts';
export { ArtifactPublisher, type ArtifactPublisherProps, type PublishOutcome, type PublishRequest } from './artifact-publisher.ts';
export {
  artifactKinds,
  guessArtifactKind,
  type ArtifactKind,
  type ArtifactOwner,
  type ArtifactRecord,
  type ArtifactRecorder,
} from './artifact-recorder.ts';
export {
  ArtifactSpool,
  defaultSpoolDir,
  type DamagedSpoolEntry,
  type SpoolEntry,
  type SpoolListing,
  type SpoolManifest,
  type SpoolRequest,
} from './artifact-spool.ts';
export type { ArtifactStore, GetOptions, ObjectSummary, PutOptions, StoredObject } from './artifact-store.ts';
export { sha256File } from './checksum.ts';
export { LocalArtifactStore } from './local-artifact-store.ts';
export { openArtifactStore, type OpenArtifactStoreOptions } from './open-artifact-store.ts';
export type { RetryOptions } from './retry.ts';
export { minPartSize, S3ArtifactStore, type S3ArtifactStoreOptions } from './s3-artifact-store.ts';
export type { S3ConnectionOptions, S3Credentials } from './s3-config.ts';
export { syncSpool, type PendingEntry, type SyncSpoolOptions, type SyncSpoolResult } from './sync-spool.ts';
