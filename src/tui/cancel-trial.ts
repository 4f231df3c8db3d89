import { sql, type Kysely } from 'kysely';
import { notificationChannel, type SweepNotification } from '../scheduler/events.ts';
import type { Database, TrialState } from '../storage/schema.ts';

/** Effect of a cancel request on the trial. */
export type CancelOutcome =
  /** A waiting trial was cancelled at once; no worker will claim it. */
  | 'cancelled'
  /** A running trial was flagged; its worker stops it at the end of the current epoch. */
  | 'requested'
  /** The trial had already ended, so nothing changed. */
  | 'already-finished';

/**
 * Cancels a trial from the terminal UI. A WAITING trial goes straight to
 * CANCELLED; a RUNNING one gets `cancel_requested = true`, which its worker
 * reads and acts on. Sends a `trial-state` notification so other screens refresh.
 */
export async function cancelTrial(db: Kysely<Database>, trialId: string): Promise<CancelOutcome> {
  return db.transaction().execute(async (trx) => {
    // The state check and the update happen in one statement each, so a worker
    // that claims the trial in between turns the first update into a no-op and
    // the second one flags the now-running trial instead.
    const waiting = await sql<{ sweep: string; sweep_id: string; number: number; state: TrialState }>`
      UPDATE trials t SET state = 'CANCELLED', cancel_requested = true, finished_at = now(), updated_at = now()
      FROM sweeps s
      WHERE t.id = ${trialId} AND t.state = 'WAITING' AND s.id = t.sweep_id
      RETURNING s.name AS sweep, s.id AS sweep_id, t.number, t.state
    `.execute(trx);
    let outcome: CancelOutcome = 'cancelled';
    let changed = waiting.rows[0];

    if (changed === undefined) {
      const running = await sql<{ sweep: string; sweep_id: string; number: number; state: TrialState }>`
        UPDATE trials t SET cancel_requested = true, updated_at = now()
        FROM sweeps s
        WHERE t.id = ${trialId} AND t.state = 'RUNNING' AND s.id = t.sweep_id
        RETURNING s.name AS sweep, s.id AS sweep_id, t.number, t.state
      `.execute(trx);
      changed = running.rows[0];
      outcome = 'requested';
    }
    if (changed === undefined) {
      return 'already-finished';
    }

    const payload: SweepNotification = {
      type: 'trial-state',
      sweep: changed.sweep,
      sweep_id: String(changed.sweep_id),
      trial_id: trialId,
      number: changed.number,
      state: changed.state,
    };
    await sql`SELECT pg_notify(${notificationChannel}, ${JSON.stringify(payload)})`.execute(trx);
    return outcome;
  });
}
