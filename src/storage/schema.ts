import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { ParameterValue, TrialConfig } from '../spec/trial-config.ts';

/**
 * Kysely's view of the tables created in migrations/. Keep the two in step:
 * a column added there is added here.
 */

export type SweepStatus = 'RUNNING' | 'COMPLETE' | 'CANCELLED' | 'FAIL';
export type TrialState = 'WAITING' | 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL' | 'CANCELLED';
export type PhaseColumn = 'head' | 'fine_tune';

/** A rank key of the sweep's ranking, as stored in `sweeps.ranking`. */
export interface RankKey {
  metric: string;
  order: 'asc' | 'desc';
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** `bigint` columns: pg returns them as strings to keep all 64 bits. */
type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>;
type NullableBigInt = ColumnType<string | null, number | bigint | string | null | undefined, number | bigint | string | null>;

export interface SweepsTable {
  id: Generated<BigIntColumn>;
  name: string;
  spec: JSONColumnType<Record<string, unknown>>;
  spec_hash: string;
  search_space_hash: string;
  source_file: string | null;
  status: ColumnType<SweepStatus, SweepStatus | undefined, SweepStatus>;
  ranking: ColumnType<RankKey[], string | undefined, string>;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
  finished_at: NullableTimestamp;
}

export interface TrialsTable {
  id: Generated<BigIntColumn>;
  sweep_id: BigIntColumn;
  number: number;
  config: JSONColumnType<TrialConfig>;
  config_hash: string;
  params: JSONColumnType<Record<string, ParameterValue>>;
  is_baseline: ColumnType<boolean, boolean | undefined, boolean>;
  state: ColumnType<TrialState, TrialState | undefined, TrialState>;
  attempt: ColumnType<number, number | undefined, number>;
  max_attempts: ColumnType<number, number | undefined, number>;
  claimed_by: string | null;
  device: string | null;
  backend: string | null;
  lease_expires_at: NullableTimestamp;
  heartbeat_at: NullableTimestamp;
  cancel_requested: ColumnType<boolean, boolean | undefined, boolean>;
  error: string | null;
  current_phase: PhaseColumn | null;
  test_accuracy: number | null;
  test_loss: number | null;
  best_val_accuracy: number | null;
  max_train_accuracy: number | null;
  overfitting_gap: number | null;
  head_epochs: number | null;
  fine_tune_epochs: number | null;
  pruned_at_epoch: number | null;
  total_params: NullableBigInt;
  trainable_params_head: NullableBigInt;
  trainable_params_fine_tune: NullableBigInt;
  duration_seconds: number | null;
  train_images_per_second: number | null;
  inference_images_per_second: number | null;
  created_at: Generated<Timestamp>;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  updated_at: Generated<Timestamp>;
}

export interface EpochMetricsTable {
  trial_id: BigIntColumn;
  phase: PhaseColumn;
  epoch: number;
  loss: number | null;
  accuracy: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  learning_rate: number | null;
  seconds: number | null;
  images_per_second: number | null;
  recorded_at: Generated<Timestamp>;
}

export interface ClassMetricsTable {
  trial_id: BigIntColumn;
  class_index: number;
  class_name: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  support: number;
}

export interface ConfusionCellsTable {
  trial_id: BigIntColumn;
  true_class: number;
  predicted_class: number;
  count: number;
}

export interface ArtifactsTable {
  id: Generated<BigIntColumn>;
  sweep_id: BigIntColumn;
  trial_id: NullableBigInt;
  kind: string;
  name: string;
  key: string;
  uri: string;
  bytes: BigIntColumn;
  sha256: string;
  created_at: Generated<Timestamp>;
}

export interface Database {
  sweeps: SweepsTable;
  trials: TrialsTable;
  epoch_metrics: EpochMetricsTable;
  class_metrics: ClassMetricsTable;
  confusion_cells: ConfusionCellsTable;
  artifacts: ArtifactsTable;
}
