import { sql, type Selectable } from 'kysely';
import { InputError } from '../errors.ts';
import { RANKING_METRICS } from '../spec/sweep-file-schema.ts';
import { DEFAULT_RANKING } from '../spec/ranking.ts';
import type { Executor } from './executor.ts';
import type { RankKey, SweepsTable } from './schema.ts';

/** A row of `sweeps` as read back. */
export type SweepRecord = Selectable<SweepsTable>;

/** Input of {@link createOrGetSweep}. */
export interface NewSweep {
  /** Any non-empty text; names of any length and script are stored as given. */
  name: string;
  /** The parsed sweep file, stored as JSONB. */
  spec: Record<string, unknown>;
  specHash: string;
  searchSpaceHash: string;
  sourceFile?: string | null;
  /** Rank keys, the first deciding; default test accuracy desc, then overfitting gap asc. */
  ranking?: readonly RankKey[];
}

/** The result of {@link createOrGetSweep}. */
export interface SweepHandle {
  sweep: SweepRecord;
  /** True when this call inserted the row. */
  created: boolean;
  /** True when an existing sweep of that name was made from a different spec (hash differs). */
  specChanged: boolean;
}

/**
 * Creates the sweep named `input.name`, or returns the existing one of that
 * name unchanged. Two processes calling it at once get the same row.
 */
export async function createOrGetSweep(db: Executor, input: NewSweep): Promise<SweepHandle> {
  if (input.name === '') {
    throw new InputError('a sweep name must not be empty');
  }
  const ranking = input.ranking ?? DEFAULT_RANKING;
  checkRanking(ranking);

  const inserted = await db
    .insertInto('sweeps')
    .values({
      name: input.name,
      spec: JSON.stringify(input.spec),
      spec_hash: input.specHash,
      search_space_hash: input.searchSpaceHash,
      source_file: input.sourceFile ?? null,
      ranking: JSON.stringify(ranking),
    })
    // Uniqueness is enforced on md5(name), see migrations/0001_results_schema.ts.
    .onConflict((conflict) => conflict.expression(sql`md5(name)`).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted !== undefined) {
    return { sweep: inserted, created: true, specChanged: false };
  }

  const existing = await findSweep(db, input.name);
  if (existing === undefined) {
    throw new Error(`sweep ${JSON.stringify(input.name)} conflicted on insert but cannot be read back`);
  }
  return { sweep: existing, created: false, specChanged: existing.spec_hash !== input.specHash };
}

/** Returns the sweep with this name, or with this id when given a number. */
export async function findSweep(db: Executor, nameOrId: string | number): Promise<SweepRecord | undefined> {
  if (typeof nameOrId === 'number') {
    return db.selectFrom('sweeps').selectAll().where('id', '=', String(nameOrId)).executeTakeFirst();
  }
  return db
    .selectFrom('sweeps')
    .selectAll()
    .where(sql<boolean>`md5(name) = md5(${nameOrId})`)
    .where('name', '=', nameOrId)
    .executeTakeFirst();
}

/** Like {@link findSweep}, but raises an InputError listing the known sweeps when none matches. */
export async function getSweep(db: Executor, name: string): Promise<SweepRecord> {
  const sweep = await findSweep(db, name);
  if (sweep !== undefined) {
    return sweep;
  }
  const known = await db.selectFrom('sweeps').select('name').orderBy('created_at', 'desc').limit(10).execute();
  const hint =
    known.length === 0
      ? 'no sweep has been started in this database yet (run `sweep start FILE`)'
      : `known sweeps: ${known.map((row) => row.name).join(', ')}`;
  throw new InputError(`sweep ${JSON.stringify(name)} not found; ${hint}`);
}

/** Lists every sweep, newest first. */
export async function listSweeps(db: Executor): Promise<SweepRecord[]> {
  return db.selectFrom('sweeps').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}

function checkRanking(ranking: readonly RankKey[]): void {
  const known: readonly string[] = RANKING_METRICS;
  if (ranking.length === 0) {
    throw new InputError('a sweep ranking needs at least one metric');
  }
  if (ranking.length > 4) {
    // The leaderboard view (dashboards/leaderboard.sql) orders by the first four keys.
    throw new InputError(`a sweep ranking may have at most 4 metrics (one plus 3 tie breaks), got ${ranking.length}`);
  }
  for (const [index, key] of ranking.entries()) {
    if (!known.includes(key.metric)) {
      throw new InputError(`ranking[${index}].metric must be one of ${known.join(', ')}, got ${JSON.stringify(key.metric)}`);
    }
    if (key.order !== 'asc' && key.order !== 'desc') {
      throw new InputError(`ranking[${index}].order must be asc or desc, got ${JSON.stringify(key.order)}`);
    }
  }
}
