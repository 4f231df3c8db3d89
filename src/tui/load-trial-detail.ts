import { sql, type Kysely } from 'kysely';
import type { Database, PhaseColumn } from '../storage/schema.ts';

/** One epoch row of the detail view. Metrics are fractions; NaN is kept. */
export interface EpochRow {
  phase: PhaseColumn;
  epoch: number;
  loss: number | null;
  accuracy: number | null;
  valLoss: number | null;
  valAccuracy: number | null;
  learningRate: number | null;
  seconds: number | null;
}

export interface ClassRow {
  classIndex: number;
  className: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  support: number;
}

/** Everything the detail view of one trial shows beyond its leaderboard row. */
export interface TrialDetail {
  trialId: string;
  epochs: EpochRow[];
  classes: ClassRow[];
  /** `confusion[true][predicted]`, sized by the highest class index seen; empty before evaluation. */
  confusion: number[][];
  testLoss: number | null;
  totalParams: string | null;
}

/** Reads the per-epoch metrics, per-class metrics and confusion matrix of one trial. */
export async function loadTrialDetail(db: Kysely<Database>, trialId: string): Promise<TrialDetail> {
  const epochs = await sql<EpochRow>`
    SELECT phase, epoch, loss, accuracy, val_loss AS "valLoss", val_accuracy AS "valAccuracy",
           learning_rate AS "learningRate", seconds
    FROM epoch_metrics WHERE trial_id = ${trialId}
    ORDER BY phase = 'fine_tune', epoch
  `.execute(db);
  const classes = await sql<ClassRow>`
    SELECT class_index AS "classIndex", class_name AS "className", precision, recall, f1, support
    FROM class_metrics WHERE trial_id = ${trialId}
    ORDER BY class_index
  `.execute(db);
  const cells = await sql<{ true_class: number; predicted_class: number; count: number }>`
    SELECT true_class, predicted_class, count FROM confusion_cells WHERE trial_id = ${trialId}
  `.execute(db);
  const trial = await sql<{ test_loss: number | null; total_params: string | null }>`
    SELECT test_loss, total_params FROM trials WHERE id = ${trialId}
  `.execute(db);

  let size = classes.rows.length;
  for (const cell of cells.rows) {
    size = Math.max(size, cell.true_class + 1, cell.predicted_class + 1);
  }
  const confusion: number[][] = cells.rows.length === 0 ? [] : Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (const cell of cells.rows) {
    confusion[cell.true_class][cell.predicted_class] = cell.count;
  }

  return {
    trialId,
    epochs: epochs.rows,
    classes: classes.rows,
    confusion,
    testLoss: trial.rows[0]?.test_loss ?? null,
    totalParams: trial.rows[0]?.total_params ?? null,
  };
}
