import { sql, type Selectable } from 'kysely';
import type { Executor } from './executor.ts';
import type { ArtifactsTable } from './schema.ts';

/** A row of `artifacts` as read back. */
export type ArtifactRecord = Selectable<ArtifactsTable>;

/** A stored file of a sweep or trial, for {@link recordArtifact}. */
export interface NewArtifact {
  sweepId: string;
  /** Absent for sweep-level files such as reports. */
  trialId?: string | null;
  /** Kind of file, for example `model`, `weights`, `report`, `log`. */
  kind: string;
  /** File name shown to people, for example `model.json`. */
  name: string;
  /** Key within the artifact store; unique per sweep. */
  key: string;
  /** Location to fetch it from: `s3://bucket/key` or `file:///…`. */
  uri: string;
  bytes: number;
  /** Lowercase hex sha256 of the content. */
  sha256: string;
}

/**
 * Records a stored file. Recording the same key of a sweep again (a retried
 * upload) replaces the row's location, size and checksum.
 */
export async function recordArtifact(db: Executor, artifact: NewArtifact): Promise<ArtifactRecord> {
  const [record] = await recordArtifacts(db, [artifact]);
  return record as ArtifactRecord;
}

/**
 * Records several stored files in one statement, as {@link recordArtifact}
 * does one by one. Their keys must differ: a statement cannot update one row twice.
 */
export async function recordArtifacts(db: Executor, artifacts: readonly NewArtifact[]): Promise<ArtifactRecord[]> {
  if (artifacts.length === 0) {
    return [];
  }
  const rows = artifacts.map(
    (artifact) =>
      sql`(${artifact.sweepId}, ${artifact.trialId ?? null}, ${artifact.kind}, ${artifact.name}, ${artifact.key}, ${artifact.uri}, ${artifact.bytes}, ${artifact.sha256})`,
  );
  const result = await sql<ArtifactRecord>`
    INSERT INTO artifacts (sweep_id, trial_id, kind, name, key, uri, bytes, sha256)
    VALUES ${sql.join(rows)}
    ON CONFLICT (sweep_id, md5(key)) DO UPDATE SET
      trial_id = excluded.trial_id, kind = excluded.kind, name = excluded.name, uri = excluded.uri,
      bytes = excluded.bytes, sha256 = excluded.sha256, created_at = now()
    RETURNING *
  `.execute(db);
  return result.rows;
}

/** Lists a trial's artifacts, or a sweep's when `trialId` is absent, by kind and name. */
export async function listArtifacts(db: Executor, sweepId: string, trialId?: string): Promise<ArtifactRecord[]> {
  let query = db.selectFrom('artifacts').selectAll().where('sweep_id', '=', sweepId);
  if (trialId !== undefined) {
    query = query.where('trial_id', '=', trialId);
  }
  return query.orderBy('kind').orderBy('name').execute();
}
