import { parseArtifactLocation, type ArtifactLocation } from './artifact-location.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { LocalArtifactStore } from './local-artifact-store.ts';
import { S3ArtifactStore, type S3ArtifactStoreOptions } from './s3-artifact-store.ts';

/** Options of `openArtifactStore`; the S3 ones are ignored for a local folder. */
export type OpenArtifactStoreOptions = S3ArtifactStoreOptions;

/**
 * Opens the store for a location: `s3://bucket/prefix` (S3 or an
 * S3-compatible server) or a local folder. A string is parsed with
 * `parseArtifactLocation`. Nothing is contacted yet; call `check()` to find
 * out whether the store is reachable.
 */
export function openArtifactStore(location: ArtifactLocation | string, options: OpenArtifactStoreOptions = {}): ArtifactStore {
  const parsed = typeof location === 'string' ? parseArtifactLocation(location, 'artifact location') : location;
  if (parsed.kind === 'local') {
    return new LocalArtifactStore(parsed);
  }
  return new S3ArtifactStore(parsed, options);
}
