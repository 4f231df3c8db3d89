/** Category of an artifact, stored in `artifacts.kind`. */
export type ArtifactKind = 'model' | 'plot' | 'report' | 'metrics' | 'log' | 'other';

export const artifactKinds: readonly ArtifactKind[] = ['model', 'plot', 'report', 'metrics', 'log', 'other'];

/** The sweep and trial an artifact belongs to, by database id and by name. */
export interface ArtifactOwner {
  /** `sweeps.id`; bigint ids travel as strings, as pg returns them. */
  sweepId: string;
  sweepName: string;
  /** `trials.id`; null for files of the sweep as a whole. */
  trialId: string | null;
  /** `trials.number`; null exactly when `trialId` is null. */
  trialNumber: number | null;
}

/** One row of the `artifacts` table. */
export interface ArtifactRecord extends ArtifactOwner {
  kind: ArtifactKind;
  /** File name as the trainer or report wrote it, before key encoding. */
  name: string;
  key: string;
  /** `s3://bucket/key` or `file:///path`, without credentials. */
  uri: string;
  bytes: number;
  /** 64 lower-case hex digits. */
  sha256: string;
}

/**
 * Writes artifact rows to PostgreSQL. The storage layer implements it; the
 * artifact code calls it only after the store has accepted the object.
 *
 * It must be idempotent on (sweep_id, key): a spool sync that stopped between
 * recording and removing its entry records the same artifact again on the next
 * sync, and that must update the row (bytes, sha256, uri, created_at), not fail.
 */
export interface ArtifactRecorder {
  recordArtifact(record: ArtifactRecord): Promise<void>;
}

/** Guesses the kind of a trial or sweep file from its name. */
export function guessArtifactKind(name: string): ArtifactKind {
  const lower = name.toLowerCase();
  const file = lower.slice(lower.lastIndexOf('/') + 1);
  if (file === 'model.json' || file.endsWith('.bin') || lower.startsWith('model/')) {
    return 'model';
  }
  if (/\.(png|svg|jpe?g)$/.test(file)) {
    return 'plot';
  }
  if (/\.(log|txt)$/.test(file) || file.endsWith('.jsonl')) {
    return 'log';
  }
  if (file.includes('metrics')) {
    return 'metrics';
  }
  if (file.includes('report') || file.endsWith('.html') || file.endsWith('.md')) {
    return 'report';
  }
  return 'other';
}
