import { sql } from 'kysely';
import type { PlannedTrial } from '../spec/trial-config.ts';
import type { EpochMetrics, TrialResult } from '../trainer/types.ts';
import { inTransaction, type Executor } from './executor.ts';

/** A trial row created by {@link insertPlannedTrials}. */
export interface InsertedTrial {
  id: string;
  number: number;
  config_hash: string;
}

/** The result of {@link insertPlannedTrials}. */
export interface InsertPlannedResult {
  /** Trials that this call added, in the order given. */
  inserted: InsertedTrial[];
  /** How many planned trials the sweep already had (same config hash). */
  skipped: number;
}

/** Options of {@link insertPlannedTrials}. */
export interface InsertPlannedOptions {
  /** Attempts a trial gets before it fails for good. Default: the column default (3). */
  maxAttempts?: number;
}

/** Rows per INSERT statement: keeps the bind parameters far below PostgreSQL's 65535. */
const insertBatchSize = 1000;

/**
 * Adds planned trials to a sweep as WAITING, numbered 1, 2, … per sweep in the
 * order given. Trials whose config hash the sweep already has are skipped, so
 * planning the same sweep twice adds nothing. The sweep row is locked while
 * numbering, so concurrent planners get consecutive, unique numbers.
 */
export async function insertPlannedTrials(
  db: Executor,
  sweepId: string,
  planned: readonly PlannedTrial[],
  options: InsertPlannedOptions = {},
): Promise<InsertPlannedResult> {
  if (planned.length === 0) {
    return { inserted: [], skipped: 0 };
  }
  return inTransaction(db, async (trx) => {
    await trx.selectFrom('sweeps').select('id').where('id', '=', sweepId).forUpdate().executeTakeFirstOrThrow();

    const existing = await trx.selectFrom('trials').select('config_hash').where('sweep_id', '=', sweepId).execute();
    const known = new Set(existing.map((row) => row.config_hash));
    const fresh: PlannedTrial[] = [];
    for (const trial of planned) {
      if (!known.has(trial.config_hash)) {
        known.add(trial.config_hash);
        fresh.push(trial);
      }
    }
    const last = await trx
      .selectFrom('trials')
      .select((eb) => eb.fn.max<number | null>('number').as('number'))
      .where('sweep_id', '=', sweepId)
      .executeTakeFirst();
    let next = (last?.number ?? 0) + 1;

    const inserted: InsertedTrial[] = [];
    for (let start = 0; start < fresh.length; start += insertBatchSize) {
      const rows = fresh.slice(start, start + insertBatchSize).map((trial) => ({
        sweep_id: sweepId,
        number: next++,
        config: JSON.stringify(trial.config),
        config_hash: trial.config_hash,
        params: JSON.stringify(trial.params),
        is_baseline: trial.is_baseline,
        ...(options.maxAttempts === undefined ? {} : { max_attempts: options.maxAttempts }),
      }));
      const batch = await trx
        .insertInto('trials')
        .values(rows)
        .onConflict((conflict) => conflict.columns(['sweep_id', 'config_hash']).doNothing())
        .returning(['id', 'number', 'config_hash'])
        .execute();
      inserted.push(...batch);
    }
    inserted.sort((a, b) => a.number - b.number);
    return { inserted, skipped: planned.length - inserted.length };
  });
}

/**
 * Inserts or replaces the metrics of one epoch (unique on trial, phase and
 * epoch). The scheduler's TrialQueue.recordEpoch does the same with a lease
 * check; this one is for imports, tools and tests.
 */
export async function recordEpoch(db: Executor, trialId: string, metrics: EpochMetrics): Promise<void> {
  await recordEpochs(db, [{ trialId, metrics }]);
}

/** One epoch row for {@link recordEpochs}. */
export interface EpochRow {
  trialId: string;
  metrics: EpochMetrics;
}

/** Rows per epoch insert statement; each statement sends ten array parameters. */
const epochBatchSize = 10_000;

/**
 * Upserts many epoch rows. Each batch goes as one INSERT … SELECT FROM
 * unnest() with one array parameter per column, which PostgreSQL parses much
 * faster than a VALUES list with eleven parameters a row.
 */
export async function recordEpochs(db: Executor, rows: readonly EpochRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += epochBatchSize) {
    const batch = rows.slice(start, start + epochBatchSize);
    const column = <T>(pick: (row: EpochRow) => T): T[] => batch.map(pick);
    await sql`
      INSERT INTO epoch_metrics (trial_id, phase, epoch, loss, accuracy, val_loss, val_accuracy, learning_rate, seconds, images_per_second)
      SELECT * FROM unnest(
        ${column((row) => row.trialId)}::bigint[], ${column((row) => row.metrics.phase)}::text[],
        ${column((row) => row.metrics.epoch)}::integer[], ${column((row) => row.metrics.loss)}::float8[],
        ${column((row) => row.metrics.accuracy)}::float8[], ${column((row) => row.metrics.val_loss)}::float8[],
        ${column((row) => row.metrics.val_accuracy)}::float8[], ${column((row) => row.metrics.learning_rate)}::float8[],
        ${column((row) => row.metrics.seconds)}::float8[], ${column((row) => row.metrics.images_per_second)}::float8[]
      )
      ON CONFLICT (trial_id, phase, epoch) DO UPDATE SET
        loss = excluded.loss, accuracy = excluded.accuracy, val_loss = excluded.val_loss,
        val_accuracy = excluded.val_accuracy, learning_rate = excluded.learning_rate, seconds = excluded.seconds,
        images_per_second = excluded.images_per_second, recorded_at = now()
    `.execute(db);
  }
}

/**
 * Writes a finished trial's results: the typed result columns, the per-class
 * metrics and the confusion matrix cells, replacing any earlier ones, in one
 * transaction (or inside the caller's, such as TrialQueue.complete). It does
 * not change the trial's state: the scheduler owns state changes.
 */
export async function recordTrialResult(db: Executor, trialId: string, result: TrialResult): Promise<void> {
  const phase = (name: 'head' | 'fine_tune') => result.phases.find((summary) => summary.phase === name);
  const head = phase('head');
  const fineTune = phase('fine_tune');
  const trainingSeconds = result.phases.reduce((sum, summary) => sum + summary.seconds, 0);
  const trainingImages = result.phases.reduce((sum, summary) => sum + summary.images_per_second * summary.seconds, 0);

  await inTransaction(db, async (trx) => {
    const updated = await trx
      .updateTable('trials')
      .set({
        test_accuracy: result.test_accuracy,
        test_loss: result.test_loss,
        best_val_accuracy: result.best_val_accuracy,
        max_train_accuracy: result.max_train_accuracy,
        overfitting_gap: result.overfitting_gap,
        head_epochs: head?.epochs ?? null,
        fine_tune_epochs: fineTune?.epochs ?? null,
        total_params: result.total_params,
        trainable_params_head: head?.trainable_params ?? null,
        trainable_params_fine_tune: fineTune?.trainable_params ?? null,
        duration_seconds: result.seconds,
        // Images per second over both phases, weighted by each phase's time.
        train_images_per_second: trainingSeconds > 0 ? trainingImages / trainingSeconds : null,
        inference_images_per_second: result.inference_images_per_second,
        backend: result.backend,
        device: result.device,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', trialId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      throw new Error(`cannot record the result of trial ${trialId}: no such trial`);
    }

    await trx.deleteFrom('class_metrics').where('trial_id', '=', trialId).execute();
    if (result.per_class.length > 0) {
      await trx
        .insertInto('class_metrics')
        .values(
          result.per_class.map((metrics) => ({
            trial_id: trialId,
            class_index: metrics.class_index,
            class_name: metrics.class_name,
            precision: metrics.precision,
            recall: metrics.recall,
            f1: metrics.f1,
            support: metrics.support,
          })),
        )
        .execute();
    }

    await trx.deleteFrom('confusion_cells').where('trial_id', '=', trialId).execute();
    const cells = result.confusion.flatMap((row, trueClass) =>
      row.map((count, predictedClass) => ({ trial_id: trialId, true_class: trueClass, predicted_class: predictedClass, count })),
    );
    if (cells.length > 0) {
      await trx.insertInto('confusion_cells').values(cells).execute();
    }
  });
}
