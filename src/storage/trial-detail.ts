import type { Selectable } from 'kysely';
import { InputError } from '../errors.ts';
import { listArtifacts, type ArtifactRecord } from './artifact-repository.ts';
import type { Executor } from './executor.ts';
import type { ClassMetricsTable, EpochMetricsTable, TrialsTable } from './schema.ts';
import { getSweep } from './sweep-repository.ts';

export type TrialRecord = Selectable<TrialsTable>;
export type EpochRecord = Selectable<EpochMetricsTable>;
export type ClassMetricsRecord = Selectable<ClassMetricsTable>;

/** Everything stored about one trial. */
export interface TrialDetail {
  trial: TrialRecord;
  sweepName: string;
  /** Head phase first, then fine-tune, each by epoch. */
  epochs: EpochRecord[];
  /** By class index. */
  classMetrics: ClassMetricsRecord[];
  /** Row-major `confusion[true][predicted]`, sized by the largest class index stored; empty when none. */
  confusion: number[][];
  artifacts: ArtifactRecord[];
}

/** Reads a trial with its epochs, class metrics, confusion matrix and artifacts; undefined when no such id. */
export async function readTrialDetail(db: Executor, trialId: string): Promise<TrialDetail | undefined> {
  const trial = await db.selectFrom('trials').selectAll().where('id', '=', trialId).executeTakeFirst();
  if (trial === undefined) {
    return undefined;
  }

  const [sweep, epochs, classMetrics, cells, artifacts] = await Promise.all([
    db.selectFrom('sweeps').select('name').where('id', '=', trial.sweep_id).executeTakeFirstOrThrow(),
    db
      .selectFrom('epoch_metrics')
      .selectAll()
      .where('trial_id', '=', trialId)
      // 'fine_tune' sorts before 'head' as text, so order the phases explicitly.
      .orderBy((eb) => eb.case().when('phase', '=', 'head').then(0).else(1).end())
      .orderBy('epoch')
      .execute(),
    db.selectFrom('class_metrics').selectAll().where('trial_id', '=', trialId).orderBy('class_index').execute(),
    db.selectFrom('confusion_cells').selectAll().where('trial_id', '=', trialId).execute(),
    listArtifacts(db, trial.sweep_id, trialId),
  ]);

  const size = cells.reduce((max, cell) => Math.max(max, cell.true_class + 1, cell.predicted_class + 1), 0);
  const confusion = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (const cell of cells) {
    confusion[cell.true_class][cell.predicted_class] = cell.count;
  }
  return { trial, sweepName: sweep.name, epochs, classMetrics, confusion, artifacts };
}

/** Finds a trial by sweep name and trial number; raises an InputError naming what is missing. */
export async function readTrialByNumber(db: Executor, sweepName: string, number: number): Promise<TrialDetail> {
  const sweep = await getSweep(db, sweepName);
  const row = await db.selectFrom('trials').select('id').where('sweep_id', '=', sweep.id).where('number', '=', number).executeTakeFirst();
  if (row === undefined) {
    throw new InputError(`sweep ${JSON.stringify(sweepName)} has no trial ${number}`);
  }
  const detail = await readTrialDetail(db, row.id);
  if (detail === undefined) {
    throw new InputError(`trial ${number} of sweep ${JSON.stringify(sweepName)} was deleted while reading it`);
  }
  return detail;
}
