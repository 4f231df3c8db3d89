import { sql, type Kysely, type Transaction } from 'kysely';
import type { MonitoredMetric, ParameterValue, TrialConfig } from '../spec/trial-config.ts';
import type { Database, TrialState } from '../storage/schema.ts';
import type { EpochMetrics } from '../trainer/types.ts';
import { notificationChannel, type SweepNotification } from './events.ts';
import type { TrialCurve } from './pruning/pruner.ts';
import { isDeadLocalWorker } from './worker-id.ts';

/** A trial this worker holds: writes to it must name the same worker and attempt. */
export interface ClaimedTrial {
  trialId: string;
  sweepId: string;
  number: number;
  attempt: number;
  maxAttempts: number;
  config: TrialConfig;
  configHash: string;
  params: Record<string, ParameterValue>;
  isBaseline: boolean;
}

/** Result of a lease renewal for one trial. */
export interface LeaseStatus {
  /** False when another worker or the lease sweeper took the trial away. */
  held: boolean;
  cancelRequested: boolean;
}

/** A trial that the lease sweeper requeued or failed. */
export interface ExpiredLease {
  trialId: string;
  number: number;
  previousOwner: string | null;
  /** True when the owner's process on this host had ended, so the trial was taken back before its lease ran out. */
  ownerGone: boolean;
  newState: TrialState;
}

export interface TrialQueueOptions {
  sweepId: string;
  /** Name of the sweep, carried in notifications. */
  sweepName: string;
  workerId: string;
  /** Seconds a claim stays valid without a heartbeat. */
  leaseSeconds: number;
}

/** Raised when a write finds that this worker no longer owns the trial's claim. */
export class LeaseLostError extends Error {
  constructor(trialId: string, attempt: number) {
    super(`trial ${trialId} attempt ${attempt} is no longer held by this worker (its lease expired or it was cancelled)`);
    this.name = 'LeaseLostError';
  }
}

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The queue of a sweep's trials in PostgreSQL. A worker claims the next WAITING
 * trial with `FOR UPDATE SKIP LOCKED`, so concurrent workers never claim the
 * same row, and holds it through a lease that heartbeats renew. Every write to
 * a claimed trial checks `claimed_by` and `attempt` in the same statement, so a
 * worker whose lease was taken away cannot overwrite the new owner's work.
 */
export class TrialQueue {
  readonly #db: Kysely<Database>;
  readonly #options: TrialQueueOptions;

  constructor(db: Kysely<Database>, options: TrialQueueOptions) {
    if (!(options.leaseSeconds > 0)) {
      throw new RangeError(`options.leaseSeconds must be a positive number, got ${options.leaseSeconds}`);
    }
    this.#db = db;
    this.#options = options;
  }

  get workerId(): string {
    return this.#options.workerId;
  }

  /**
   * Claims the lowest-numbered WAITING trial of the sweep and starts attempt
   * `attempt + 1` on it, or returns undefined when none is waiting or the
   * sweep is not RUNNING.
   */
  async claim(device: string): Promise<ClaimedTrial | undefined> {
    const { sweepId, sweepName, workerId, leaseSeconds } = this.#options;
    // One statement claims the row and sends the notification, so a claim
    // costs one round trip; PostgreSQL delivers the notification on commit.
    const result = await sql<ClaimRow>`
      WITH claimed AS (
        UPDATE trials SET
          state = 'RUNNING', claimed_by = ${workerId}, attempt = attempt + 1, device = ${device},
          lease_expires_at = now() + make_interval(secs => ${leaseSeconds}),
          heartbeat_at = now(), started_at = now(), finished_at = NULL, error = NULL, updated_at = now()
        WHERE id = (
          SELECT t.id FROM trials t JOIN sweeps s ON s.id = t.sweep_id
          WHERE t.sweep_id = ${sweepId} AND t.state = 'WAITING' AND NOT t.cancel_requested AND s.status = 'RUNNING'
          ORDER BY t.number
          LIMIT 1
          FOR UPDATE OF t SKIP LOCKED
        )
        RETURNING id, sweep_id, number, attempt, max_attempts, config, config_hash, params, is_baseline
      )
      SELECT claimed.*, pg_notify(${notificationChannel}, json_build_object(
        'type', 'trial-state', 'sweep', ${sweepName}::text, 'sweep_id', claimed.sweep_id::text, 'trial_id', claimed.id::text,
        'number', claimed.number, 'state', 'RUNNING', 'attempt', claimed.attempt)::text)
      FROM claimed
    `.execute(this.#db);
    const row = result.rows[0];
    if (row === undefined) {
      return undefined;
    }
    return {
      trialId: String(row.id),
      sweepId: String(row.sweep_id),
      number: row.number,
      attempt: row.attempt,
      maxAttempts: row.max_attempts,
      config: row.config,
      configHash: row.config_hash,
      params: row.params,
      isBaseline: row.is_baseline,
    };
  }

  /** Extends the lease of a held trial and reads its cancel request. */
  async renew(trial: ClaimedTrial): Promise<LeaseStatus> {
    const row = await sql<{ cancel_requested: boolean }>`
      UPDATE trials SET lease_expires_at = now() + make_interval(secs => ${this.#options.leaseSeconds}), heartbeat_at = now()
      WHERE id = ${trial.trialId} AND claimed_by = ${this.#options.workerId} AND attempt = ${trial.attempt} AND state = 'RUNNING'
      RETURNING cancel_requested
    `.execute(this.#db);
    const found = row.rows[0];
    if (found === undefined) {
      return { held: false, cancelRequested: false };
    }
    return { held: true, cancelRequested: found.cancel_requested };
  }

  /**
   * Commits one epoch's metrics and renews the lease. Rows of later epochs
   * (left by an earlier attempt that restarted from scratch or from an older
   * checkpoint) are deleted, so the table always contains the current run.
   * It is one statement, so one round trip, and atomic without a transaction.
   */
  async recordEpoch(trial: ClaimedTrial, metrics: EpochMetrics): Promise<LeaseStatus> {
    const { sweepName, sweepId, workerId, leaseSeconds } = this.#options;
    const laterPhases = metrics.phase === 'head' ? ['fine_tune'] : [];
    const notification: SweepNotification = {
      type: 'epoch',
      sweep: sweepName,
      sweep_id: sweepId,
      trial_id: trial.trialId,
      number: trial.number,
      attempt: trial.attempt,
      phase: metrics.phase,
      epoch: metrics.epoch,
      val_accuracy: Number.isFinite(metrics.val_accuracy) ? metrics.val_accuracy : undefined,
    };
    const result = await sql<{ cancel_requested: boolean }>`
      WITH held AS (
        UPDATE trials SET current_phase = ${metrics.phase}, heartbeat_at = now(), updated_at = now(),
          lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
        WHERE id = ${trial.trialId} AND claimed_by = ${workerId} AND attempt = ${trial.attempt} AND state = 'RUNNING'
        RETURNING id, cancel_requested
      ), removed AS (
        DELETE FROM epoch_metrics e USING held
        WHERE e.trial_id = held.id AND ((e.phase = ${metrics.phase} AND e.epoch > ${metrics.epoch}) OR e.phase = ANY(${laterPhases}::text[]))
      ), written AS (
        INSERT INTO epoch_metrics (trial_id, phase, epoch, loss, accuracy, val_loss, val_accuracy, learning_rate, seconds, images_per_second)
        SELECT held.id, ${metrics.phase}, ${metrics.epoch}::integer, ${metrics.loss}::float8, ${metrics.accuracy}::float8,
          ${metrics.val_loss}::float8, ${metrics.val_accuracy}::float8, ${metrics.learning_rate}::float8,
          ${metrics.seconds}::float8, ${metrics.images_per_second}::float8
        FROM held
        ON CONFLICT (trial_id, phase, epoch) DO UPDATE SET
          loss = excluded.loss, accuracy = excluded.accuracy, val_loss = excluded.val_loss, val_accuracy = excluded.val_accuracy,
          learning_rate = excluded.learning_rate, seconds = excluded.seconds, images_per_second = excluded.images_per_second,
          recorded_at = now()
      )
      SELECT held.cancel_requested, pg_notify(${notificationChannel}, ${JSON.stringify(notification)}) FROM held
    `.execute(this.#db);
    const row = result.rows[0];
    if (row === undefined) {
      throw new LeaseLostError(trial.trialId, trial.attempt);
    }
    return { held: true, cancelRequested: row.cancel_requested };
  }

  /** Returns the epochs already committed for a trial, by phase, to tell a resume from a restart. */
  async committedEpochs(trialId: string): Promise<{ phase: string; epochs: number }[]> {
    const rows = await this.#db
      .selectFrom('epoch_metrics')
      .select(['phase', (eb) => eb.fn.max<number>('epoch').as('epochs')])
      .where('trial_id', '=', trialId)
      .groupBy('phase')
      .execute();
    return rows.map((row) => ({ phase: row.phase, epochs: Number(row.epochs) }));
  }

  /**
   * Runs `write` inside a transaction that first locks the trial and checks that
   * this worker still holds it, then marks the trial COMPLETE. Raises
   * LeaseLostError, and writes nothing, when the trial was taken away.
   */
  async complete(trial: ClaimedTrial, write: (trx: Transaction<Database>) => Promise<void>): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#lockHeld(trx, trial, sql`heartbeat_at = now()`);
      await write(trx);
      await this.#finish(trx, trial, 'COMPLETE', null);
    });
  }

  /**
   * Records a failed attempt: the trial goes back to WAITING while attempts
   * remain and `retry` is true, and to FAIL with the error otherwise. Returns the
   * new state, or undefined when the trial was no longer held.
   */
  async fail(trial: ClaimedTrial, error: string, retry: boolean): Promise<TrialState | undefined> {
    const requeue = retry && trial.attempt < trial.maxAttempts;
    const state: TrialState = requeue ? 'WAITING' : 'FAIL';
    return this.#finishIfHeld(trial, state, error);
  }

  /**
   * Hands a trial back to the queue without counting the attempt (the user
   * stopped the run, not the trial). Returns false when it was no longer held.
   */
  async release(trial: ClaimedTrial, reason: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const result = await sql`
        UPDATE trials SET state = 'WAITING', attempt = attempt - 1, claimed_by = NULL, lease_expires_at = NULL,
          error = ${reason}, updated_at = now()
        WHERE id = ${trial.trialId} AND claimed_by = ${this.#options.workerId} AND attempt = ${trial.attempt} AND state = 'RUNNING'
      `.execute(trx);
      if (Number(result.numAffectedRows ?? 0) === 0) {
        return false;
      }
      await this.#notify(trx, { type: 'trial-state', trial_id: trial.trialId, number: trial.number, state: 'WAITING', attempt: trial.attempt - 1 });
      return true;
    });
  }

  /**
   * Marks a held trial PRUNED after the pruner stopped it at `epochs` (both
   * phases counted). Returns false when it was no longer held.
   */
  async markPruned(trial: ClaimedTrial, epochs: number, reason: string): Promise<boolean> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        await this.#lockHeld(trx, trial, sql`pruned_at_epoch = ${epochs}`);
        await this.#finish(trx, trial, 'PRUNED', reason);
      });
      return true;
    } catch (caught) {
      if (caught instanceof LeaseLostError) {
        return false;
      }
      throw caught;
    }
  }

  /**
   * Reads one metric of every trial of the sweep, epoch by epoch over both
   * phases (head first), for the pruner.
   */
  async curves(metric: MonitoredMetric): Promise<TrialCurve[]> {
    // The column name cannot be a bind parameter, so it comes from this fixed list.
    const column = { val_accuracy: 'val_accuracy', val_loss: 'val_loss', accuracy: 'accuracy', loss: 'loss' }[metric];
    const result = await sql<{ id: string; state: TrialState; values: number[] | null }>`
      SELECT t.id, t.state,
        array_agg(e.${sql.ref(column)} ORDER BY e.phase = 'fine_tune', e.epoch) FILTER (WHERE e.epoch IS NOT NULL) AS values
      FROM trials t LEFT JOIN epoch_metrics e ON e.trial_id = t.id
      WHERE t.sweep_id = ${this.#options.sweepId}
      GROUP BY t.id, t.state
    `.execute(this.#db);
    return result.rows.map((row) => ({ trialId: String(row.id), state: row.state, values: (row.values ?? []).map(Number) }));
  }

  /** Marks a held trial CANCELLED after it stopped on a cancel request. */
  async markCancelled(trial: ClaimedTrial): Promise<boolean> {
    return (await this.#finishIfHeld(trial, 'CANCELLED', 'cancelled by request')) !== undefined;
  }

  /**
   * Requeues the sweep's RUNNING trials whose lease has expired, or whose owner
   * was a process on this host that no longer exists. A trial that has used all
   * its attempts becomes FAIL, and one with a cancel request becomes CANCELLED.
   */
  async requeueExpired(): Promise<ExpiredLease[]> {
    const { sweepId } = this.#options;
    const running = await this.#db
      .selectFrom('trials')
      .select(['id', 'claimed_by'])
      .where('sweep_id', '=', sweepId)
      .where('state', '=', 'RUNNING')
      .execute();
    const deadOwners = running.filter((row) => row.claimed_by !== null && isDeadLocalWorker(row.claimed_by)).map((row) => String(row.id));

    return this.#db.transaction().execute(async (trx) => {
      const result = await sql<{ id: string; number: number; previous_owner: string | null; owner_gone: boolean; state: TrialState }>`
        WITH expired AS (
          SELECT id, claimed_by, id = ANY(${deadOwners}::bigint[]) AS owner_gone FROM trials
          WHERE sweep_id = ${sweepId} AND state = 'RUNNING'
            AND (lease_expires_at IS NULL OR lease_expires_at < now() OR id = ANY(${deadOwners}::bigint[]))
          FOR UPDATE SKIP LOCKED
        )
        UPDATE trials t SET
          state = CASE WHEN t.cancel_requested THEN 'CANCELLED' WHEN t.attempt >= t.max_attempts THEN 'FAIL' ELSE 'WAITING' END,
          error = CASE WHEN t.cancel_requested THEN 'cancelled by request'
            ELSE 'attempt ' || t.attempt || ' of ' || t.max_attempts || ' ended without finishing: worker '
              || coalesce(expired.claimed_by, '?')
              || CASE WHEN expired.owner_gone THEN ' ended (its process is gone)' ELSE ' stopped renewing its lease' END END,
          finished_at = CASE WHEN t.cancel_requested OR t.attempt >= t.max_attempts THEN now() ELSE NULL END,
          claimed_by = NULL, lease_expires_at = NULL, updated_at = now()
        FROM expired
        WHERE t.id = expired.id
        RETURNING t.id, t.number, expired.claimed_by AS previous_owner, expired.owner_gone, t.state
      `.execute(trx);

      const expired = result.rows.map((row) => ({ trialId: String(row.id), number: row.number, previousOwner: row.previous_owner, ownerGone: row.owner_gone, newState: row.state }));
      for (const lease of expired) {
        await this.#notify(trx, { type: 'trial-state', trial_id: lease.trialId, number: lease.number, state: lease.newState });
      }
      return expired;
    });
  }

  /** Counts the sweep's trials by state. */
  async countByState(): Promise<Partial<Record<TrialState, number>>> {
    return countTrialsByState(this.#db, this.#options.sweepId);
  }

  /** Returns the sweep's status as stored now. */
  async sweepStatus(): Promise<string | undefined> {
    const row = await this.#db.selectFrom('sweeps').select('status').where('id', '=', this.#options.sweepId).executeTakeFirst();
    return row?.status;
  }

  /**
   * Sets the sweep to COMPLETE (FAIL when no trial completed) once no trial is
   * WAITING or RUNNING. Returns the new status, or undefined when work remains
   * or the sweep is no longer RUNNING.
   */
  async finishSweepIfDone(): Promise<string | undefined> {
    const { sweepId } = this.#options;
    return this.#db.transaction().execute(async (trx) => {
      const result = await sql<{ status: string }>`
        UPDATE sweeps s SET
          status = CASE WHEN EXISTS (SELECT 1 FROM trials WHERE sweep_id = s.id AND state = 'COMPLETE') THEN 'COMPLETE' ELSE 'FAIL' END,
          finished_at = now(), updated_at = now()
        WHERE s.id = ${sweepId} AND s.status = 'RUNNING'
          AND NOT EXISTS (SELECT 1 FROM trials WHERE sweep_id = s.id AND state IN ('WAITING', 'RUNNING'))
        RETURNING s.status
      `.execute(trx);
      const row = result.rows[0];
      if (row === undefined) {
        return undefined;
      }
      await this.#notify(trx, { type: 'sweep-state', state: row.status });
      return row.status;
    });
  }

  async #lockHeld(trx: Transaction<Database>, trial: ClaimedTrial, assignments: ReturnType<typeof sql>): Promise<LeaseStatus> {
    const result = await sql<{ cancel_requested: boolean }>`
      UPDATE trials SET ${assignments}, updated_at = now()
      WHERE id = ${trial.trialId} AND claimed_by = ${this.#options.workerId} AND attempt = ${trial.attempt} AND state = 'RUNNING'
      RETURNING cancel_requested
    `.execute(trx);
    const row = result.rows[0];
    if (row === undefined) {
      throw new LeaseLostError(trial.trialId, trial.attempt);
    }
    return { held: true, cancelRequested: row.cancel_requested };
  }

  async #finishIfHeld(trial: ClaimedTrial, state: TrialState, error: string | null): Promise<TrialState | undefined> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        await this.#lockHeld(trx, trial, sql`heartbeat_at = now()`);
        await this.#finish(trx, trial, state, error);
      });
      return state;
    } catch (caught) {
      if (caught instanceof LeaseLostError) {
        return undefined;
      }
      throw caught;
    }
  }

  async #finish(trx: Transaction<Database>, trial: ClaimedTrial, state: TrialState, error: string | null): Promise<void> {
    const done = state !== 'WAITING';
    await trx
      .updateTable('trials')
      .set({
        state,
        error,
        claimed_by: null,
        lease_expires_at: null,
        finished_at: done ? sql<Date>`now()` : null,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', trial.trialId)
      .execute();
    await this.#notify(trx, { type: 'trial-state', trial_id: trial.trialId, number: trial.number, state, attempt: trial.attempt });
  }

  async #notify(executor: Executor, payload: Omit<SweepNotification, 'sweep' | 'sweep_id'>): Promise<void> {
    await sendNotification(executor, { sweep: this.#options.sweepName, sweep_id: this.#options.sweepId, ...payload });
  }
}

interface ClaimRow {
  id: string;
  sweep_id: string;
  number: number;
  attempt: number;
  max_attempts: number;
  config: TrialConfig;
  config_hash: string;
  params: Record<string, ParameterValue>;
  is_baseline: boolean;
}

/**
 * Sends one `sweep_events` notification. Inside a transaction, PostgreSQL
 * delivers it only on commit, so listeners never see a change that was rolled back.
 */
export async function sendNotification(executor: Executor, payload: SweepNotification): Promise<void> {
  await sql`SELECT pg_notify(${notificationChannel}, ${JSON.stringify(payload)})`.execute(executor);
}

/** Counts a sweep's trials by state. */
export async function countTrialsByState(db: Executor, sweepId: string): Promise<Partial<Record<TrialState, number>>> {
  const rows = await db
    .selectFrom('trials')
    .select(['state', (eb) => eb.fn.countAll<string>().as('count')])
    .where('sweep_id', '=', sweepId)
    .groupBy('state')
    .execute();
  const counts: Partial<Record<TrialState, number>> = {};
  for (const row of rows) {
    counts[row.state] = Number(row.count);
  }
  return counts;
}
