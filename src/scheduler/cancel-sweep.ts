import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/schema.ts';
import { sendNotification } from './trial-queue.ts';

export interface SweepCancellation {
  /** The sweep's status before the call; nothing changed unless it was RUNNING. */
  previousStatus: string;
  /** WAITING trials that became CANCELLED at once. */
  cancelled: number;
  /** RUNNING trials flagged with `cancel_requested`; their workers abort them at the next heartbeat or epoch. */
  requested: number;
}

/**
 * Cancels a sweep: its status becomes CANCELLED so no worker claims more of
 * its trials, WAITING trials become CANCELLED, and RUNNING trials get a cancel
 * request that their worker acts on. Starting the sweep again resumes it.
 * A sweep that is not RUNNING is left as it is.
 */
export async function cancelSweep(db: Kysely<Database>, sweepId: string): Promise<SweepCancellation> {
  return db.transaction().execute(async (trx) => {
    const sweep = await trx.selectFrom('sweeps').select(['name', 'status']).where('id', '=', sweepId).forUpdate().executeTakeFirstOrThrow();
    if (sweep.status !== 'RUNNING') {
      return { previousStatus: sweep.status, cancelled: 0, requested: 0 };
    }
    await trx
      .updateTable('sweeps')
      .set({ status: 'CANCELLED', finished_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('id', '=', sweepId)
      .execute();
    const waiting = await trx
      .updateTable('trials')
      .set({ state: 'CANCELLED', cancel_requested: true, error: 'cancelled by request', finished_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('sweep_id', '=', sweepId)
      .where('state', '=', 'WAITING')
      .executeTakeFirst();
    const running = await trx
      .updateTable('trials')
      .set({ cancel_requested: true, updated_at: sql<Date>`now()` })
      .where('sweep_id', '=', sweepId)
      .where('state', '=', 'RUNNING')
      .executeTakeFirst();

    await sendNotification(trx, { type: 'sweep-state', sweep: sweep.name, sweep_id: sweepId, state: 'CANCELLED' });
    return { previousStatus: sweep.status, cancelled: Number(waiting.numUpdatedRows), requested: Number(running.numUpdatedRows) };
  });
}
