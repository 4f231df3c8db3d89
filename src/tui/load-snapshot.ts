import { sql, type Kysely } from 'kysely';
import { InputError } from '../errors.ts';
import type { ParameterValue } from '../spec/trial-config.ts';
import type { Database, PhaseColumn, RankKey, SweepStatus, TrialState } from '../storage/schema.ts';
import { defaultRanking } from './ranking.ts';
import {
  activeDevices,
  commonBackend,
  countStates,
  variedParameterNames,
  type SweepInfo,
  type SweepSnapshot,
  type TrialRow,
} from './snapshot.ts';

interface SweepRecord {
  id: string;
  name: string;
  status: SweepStatus;
  ranking: RankKey[] | string | null;
  created_at: Date;
  finished_at: Date | null;
}

interface TrialRecord {
  id: string;
  number: number;
  params: Record<string, ParameterValue> | null;
  is_baseline: boolean;
  state: TrialState;
  cancel_requested: boolean;
  test_accuracy: number | null;
  overfitting_gap: number | null;
  best_val_accuracy: number | null;
  duration_seconds: number | null;
  started_at: Date | null;
  finished_at: Date | null;
  current_phase: PhaseColumn | null;
  error: string | null;
  device: string | null;
  backend: string | null;
  pruned_at_epoch: number | null;
  head_max_epochs: number | null;
  fine_tune_max_epochs: number | null;
  head_recorded: number;
  fine_tune_recorded: number;
  val_history: (number | null)[] | null;
}

/** Reads the sweep row by name. Throws InputError when no sweep has that name. */
export async function loadSweepInfo(db: Kysely<Database>, sweepName: string): Promise<SweepInfo> {
  const result = await sql<SweepRecord>`
    SELECT id, name, status, ranking, created_at, finished_at FROM sweeps WHERE name = ${sweepName}
  `.execute(db);
  const record = result.rows[0];
  if (record === undefined) {
    throw new InputError(
      `sweep "${sweepName}" not found in the database; check the name (SELECT name FROM sweeps) or start it with "sweep start FILE"`,
    );
  }
  return toSweepInfo(record);
}

function toSweepInfo(record: SweepRecord): SweepInfo {
  let ranking: RankKey[] = [...defaultRanking];
  const stored = typeof record.ranking === 'string' ? (JSON.parse(record.ranking) as unknown) : record.ranking;
  if (Array.isArray(stored) && stored.length > 0) {
    ranking = stored as RankKey[];
  }
  return {
    id: String(record.id),
    name: record.name,
    status: record.status,
    ranking,
    createdAt: record.created_at,
    finishedAt: record.finished_at,
  };
}

/**
 * Reads trials of a sweep with their epoch counts and validation-accuracy
 * history, in trial-number order. With `trialIds`, reads only those trials.
 */
export async function loadTrialRows(db: Kysely<Database>, sweepId: string, trialIds?: readonly string[]): Promise<TrialRow[]> {
  const onlyIds = trialIds === undefined ? sql`` : sql`AND t.id = ANY(${[...trialIds]}::bigint[])`;
  // One lateral aggregate per trial reads its epochs through the
  // (trial_id, phase, epoch) primary key; 'head' sorts before 'fine_tune'
  // because the boolean false sorts before true.
  const result = await sql<TrialRecord>`
    SELECT t.id, t.number, t.params, t.is_baseline, t.state, t.cancel_requested,
           t.test_accuracy, t.overfitting_gap, t.best_val_accuracy, t.duration_seconds,
           t.started_at, t.finished_at, t.current_phase, t.error, t.device, t.backend, t.pruned_at_epoch,
           (t.config #>> '{training,head,max_epochs}')::int AS head_max_epochs,
           (t.config #>> '{training,fine_tune,max_epochs}')::int AS fine_tune_max_epochs,
           coalesce(h.head_recorded, 0)::int AS head_recorded,
           coalesce(h.fine_tune_recorded, 0)::int AS fine_tune_recorded,
           h.val_history
    FROM trials t
    LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE e.phase = 'head') AS head_recorded,
             count(*) FILTER (WHERE e.phase = 'fine_tune') AS fine_tune_recorded,
             array_agg(e.val_accuracy ORDER BY e.phase = 'fine_tune', e.epoch) AS val_history
      FROM epoch_metrics e
      WHERE e.trial_id = t.id
    ) h ON true
    WHERE t.sweep_id = ${sweepId} ${onlyIds}
    ORDER BY t.number
  `.execute(db);
  return result.rows.map(toTrialRow);
}

function toTrialRow(record: TrialRecord): TrialRow {
  const inFineTune = record.current_phase === 'fine_tune';
  const phase: PhaseColumn | null = record.current_phase ?? (record.head_recorded > 0 ? 'head' : null);
  return {
    id: String(record.id),
    number: record.number,
    params: record.params ?? {},
    isBaseline: record.is_baseline,
    state: record.state,
    cancelRequested: record.cancel_requested,
    testAccuracy: record.test_accuracy,
    overfittingGap: record.overfitting_gap,
    bestValAccuracy: record.best_val_accuracy,
    durationSeconds: record.duration_seconds,
    startedAt: record.started_at,
    finishedAt: record.finished_at,
    phase,
    epoch: inFineTune ? record.fine_tune_recorded : record.head_recorded,
    maxEpochs: (inFineTune ? record.fine_tune_max_epochs : record.head_max_epochs) ?? 0,
    valAccuracyHistory: (record.val_history ?? []).map((value) => (value === null ? Number.NaN : value)),
    error: record.error,
    device: record.device,
    backend: record.backend,
    prunedAtEpoch: record.pruned_at_epoch,
  };
}

/** Builds a snapshot from a sweep row and its trials, deriving counts, devices and columns. */
export function buildSnapshot(sweep: SweepInfo, trials: TrialRow[], loadedAt: Date): SweepSnapshot {
  return {
    sweep,
    backend: commonBackend(trials),
    devices: activeDevices(trials),
    counts: countStates(trials),
    trials,
    parameterNames: variedParameterNames(trials),
    startedAt: sweep.createdAt,
    loadedAt,
  };
}

/**
 * Reads everything the leaderboard shows for one sweep. Throws InputError when
 * the sweep does not exist.
 */
export async function loadSnapshot(db: Kysely<Database>, sweepName: string): Promise<SweepSnapshot> {
  const sweep = await loadSweepInfo(db, sweepName);
  const trials = await loadTrialRows(db, sweep.id);
  return buildSnapshot(sweep, trials, new Date());
}

/**
 * Returns a snapshot with some trials re-read (those named in notifications)
 * and the sweep row refreshed, without reading the other trials again.
 */
export async function refreshTrials(db: Kysely<Database>, previous: SweepSnapshot, trialIds: readonly string[]): Promise<SweepSnapshot> {
  const sweep = await loadSweepInfo(db, previous.sweep.name);
  const changed = await loadTrialRows(db, sweep.id, trialIds);

  const byId = new Map(changed.map((trial) => [trial.id, trial]));
  const trials = previous.trials.map((trial) => byId.get(trial.id) ?? trial);
  const known = new Set(previous.trials.map((trial) => trial.id));
  const added = changed.filter((trial) => !known.has(trial.id));
  if (added.length > 0) {
    trials.push(...added);
    trials.sort((a, b) => a.number - b.number);
  }
  return buildSnapshot(sweep, trials, new Date());
}
