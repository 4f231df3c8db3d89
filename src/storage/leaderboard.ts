import { sql, type Selectable } from 'kysely';
import type { Executor } from './executor.ts';
import type { LeaderboardView, SweepSummaryView, TrialState } from './schema.ts';
import { getSweep, type SweepRecord } from './sweep-repository.ts';

/** A row of the `leaderboard` view. */
export type LeaderboardRow = Selectable<LeaderboardView>;

/** The trial states in their display order. */
export const TRIAL_STATES: readonly TrialState[] = ['WAITING', 'RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'CANCELLED'];

/** A sweep's ranked trials with its counts and summary. */
export interface Leaderboard {
  sweep: SweepRecord;
  /** Trials per state; every state is present, 0 when none. */
  counts: Record<TrialState, number>;
  summary: SweepSummaryView;
  /** Ranked COMPLETE trials first (rank 1 = best), then the others by number. */
  rows: LeaderboardRow[];
}

/** Options of {@link readLeaderboard}. */
export interface ReadLeaderboardOptions {
  /** Only trials in these states. Default: all. */
  states?: readonly TrialState[];
  /** At most this many rows. Default: all. */
  limit?: number;
}

/**
 * Reads a sweep's leaderboard by sweep name: the trials ranked by the sweep's
 * ranking (NaN and ±Infinity last), with counts by state and the sweep summary.
 * Raises an InputError when no sweep has that name.
 */
export async function readLeaderboard(db: Executor, sweepName: string, options: ReadLeaderboardOptions = {}): Promise<Leaderboard> {
  const sweep = await getSweep(db, sweepName);

  let query = db
    .selectFrom('leaderboard')
    .selectAll()
    .where('sweep_id', '=', sweep.id)
    .orderBy(sql`rank NULLS LAST`)
    .orderBy('number');
  if (options.states !== undefined) {
    query = query.where('state', 'in', [...options.states]);
  }
  if (options.limit !== undefined) {
    query = query.limit(options.limit);
  }
  // Two statements at once: on a pool they run on two connections.
  const [rows, summary] = await Promise.all([
    query.execute(),
    db.selectFrom('sweep_summary').selectAll().where('sweep_id', '=', sweep.id).executeTakeFirstOrThrow(),
  ]);
  const counts: Record<TrialState, number> = {
    WAITING: summary.waiting,
    RUNNING: summary.running,
    COMPLETE: summary.complete,
    PRUNED: summary.pruned,
    FAIL: summary.failed,
    CANCELLED: summary.cancelled,
  };
  return { sweep, counts, summary, rows };
}
