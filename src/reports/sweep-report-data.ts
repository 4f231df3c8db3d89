import type { Kysely } from 'kysely';
import { InputError } from '../errors.ts';
import { compareByRanking, DEFAULT_RANKING, type RankKey } from '../spec/ranking.ts';
import type { ParameterValue } from '../spec/trial-config.ts';
import type { Database, TrialState } from '../storage/schema.ts';
import type { CurvePoint } from './charts.ts';
import { toCurvePoints } from './trial-report.ts';

/** One trial as the sweep report shows it. */
export interface ReportTrial {
  id: string;
  number: number;
  params: Record<string, ParameterValue>;
  is_baseline: boolean;
  state: TrialState;
  test_accuracy: number | null;
  test_loss: number | null;
  best_val_accuracy: number | null;
  max_train_accuracy: number | null;
  overfitting_gap: number | null;
  duration_seconds: number | null;
  backend: string | null;
  /** The error of a failed trial, or why a pruned trial was stopped. */
  error: string | null;
  /** Epochs (both phases) a pruned trial reached. */
  pruned_at_epoch: number | null;
}

/** Per-class metrics and the confusion matrix of one trial. */
export interface ReportTrialDetail {
  classNames: string[];
  perClass: { class_name: string; precision: number | null; recall: number | null; f1: number | null; support: number }[];
  confusion: number[][];
}

export interface SweepReportData {
  sweepId: string;
  name: string;
  /** The sweep file's `artifacts:` location, when it has one. */
  artifacts?: string;
  status: string;
  createdAt: Date;
  ranking: RankKey[];
  /** Every trial: COMPLETE ones best first by the sweep's ranking, then PRUNED ones ranked the same way, then the rest by number. */
  trials: ReportTrial[];
  /** Curves of the top trials and the baseline, by trial number. */
  curves: Map<number, CurvePoint[]>;
  best?: ReportTrial;
  baseline?: ReportTrial;
  bestDetail?: ReportTrialDetail;
  baselineDetail?: ReportTrialDetail;
}

/** How many of the best trials get their curves overlaid. */
const TOP_CURVES = 5;

/** Reads what the sweep report needs from PostgreSQL. Throws InputError for an unknown sweep. */
export async function loadSweepReportData(db: Kysely<Database>, sweepName: string): Promise<SweepReportData> {
  const sweep = await db.selectFrom('sweeps').selectAll().where('name', '=', sweepName).executeTakeFirst();
  if (sweep === undefined) {
    throw new InputError(`sweep not found: "${sweepName}". List the sweeps with: sweep sql "select name, status from sweeps"`);
  }

  const ranking = Array.isArray(sweep.ranking) && sweep.ranking.length > 0 ? sweep.ranking : [...DEFAULT_RANKING];
  const rows = await db
    .selectFrom('trials')
    .select([
      'id', 'number', 'params', 'is_baseline', 'state', 'test_accuracy', 'test_loss', 'best_val_accuracy',
      'max_train_accuracy', 'overfitting_gap', 'duration_seconds', 'backend', 'error', 'pruned_at_epoch',
    ])
    .where('sweep_id', '=', sweep.id)
    .execute();
  const compare = compareByRanking(ranking);
  const completed = rows.filter((row) => row.state === 'COMPLETE').sort(compare);
  // A pruned trial has no test result, so it ranks by its best validation accuracy.
  const pruned = rows.filter((row) => row.state === 'PRUNED').sort(compareByRanking([{ metric: 'best_val_accuracy', order: 'desc' }]));
  const others = rows.filter((row) => row.state !== 'COMPLETE' && row.state !== 'PRUNED').sort((a, b) => a.number - b.number);
  const trials: ReportTrial[] = [...completed, ...pruned, ...others];

  const best = completed.find((trial) => !trial.is_baseline) ?? completed[0];
  const baseline = trials.find((trial) => trial.is_baseline && trial.state === 'COMPLETE');

  const curveTrials = completed.slice(0, TOP_CURVES);
  if (baseline !== undefined && !curveTrials.includes(baseline)) {
    curveTrials.push(baseline);
  }
  const curves = new Map<number, CurvePoint[]>();
  if (curveTrials.length > 0) {
    const epochs = await db
      .selectFrom('epoch_metrics')
      .selectAll()
      .where('trial_id', 'in', curveTrials.map((trial) => trial.id))
      .execute();
    for (const trial of curveTrials) {
      curves.set(trial.number, toCurvePoints(trial.number, epochs.filter((row) => row.trial_id === trial.id)));
    }
  }

  const artifacts = (sweep.spec as { artifacts?: { uri?: unknown } }).artifacts?.uri;
  return {
    sweepId: sweep.id,
    name: sweep.name,
    ...(typeof artifacts === 'string' ? { artifacts } : {}),
    status: sweep.status,
    createdAt: sweep.created_at,
    ranking,
    trials,
    curves,
    best,
    baseline,
    bestDetail: best === undefined ? undefined : await loadDetail(db, best.id),
    baselineDetail: baseline === undefined ? undefined : await loadDetail(db, baseline.id),
  };
}

async function loadDetail(db: Kysely<Database>, trialId: string): Promise<ReportTrialDetail> {
  const perClass = await db
    .selectFrom('class_metrics')
    .select(['class_index', 'class_name', 'precision', 'recall', 'f1', 'support'])
    .where('trial_id', '=', trialId)
    .orderBy('class_index')
    .execute();
  const cells = await db
    .selectFrom('confusion_cells')
    .select(['true_class', 'predicted_class', 'count'])
    .where('trial_id', '=', trialId)
    .execute();

  const size = Math.max(perClass.length, ...cells.map((cell) => Math.max(cell.true_class, cell.predicted_class) + 1));
  const confusion = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (const cell of cells) {
    confusion[cell.true_class][cell.predicted_class] = cell.count;
  }
  return { classNames: perClass.map((row) => row.class_name), perClass, confusion };
}
