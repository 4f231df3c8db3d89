import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrialResult } from '../trainer/types.ts';
import { confusionMatrixSpec, trainingCurvesSpec, type CurvePoint } from './charts.ts';
import { classificationReportMarkdown } from './classification-report.ts';
import { renderSvg, svgToPng } from './render.ts';

/** One epoch as stored in `epoch_metrics`; metrics may be missing. */
export type EpochRow = Omit<CurvePoint, 'trial' | 'step'>;

export interface TrialReportInput {
  number: number;
  /** Short description of the trial for chart titles, e.g. its parameter values. */
  label: string;
  epochs: readonly EpochRow[];
  result: Pick<TrialResult, 'phases' | 'confusion' | 'class_names' | 'per_class' | 'macro_avg' | 'weighted_avg' | 'test_accuracy'>;
}

/** Numbers epochs over both phases, head first, so they can share one x axis. */
export function toCurvePoints(trial: number, epochs: readonly EpochRow[]): CurvePoint[] {
  const phaseOrder = { head: 0, fine_tune: 1 };
  const ordered = [...epochs].sort((a, b) => phaseOrder[a.phase] - phaseOrder[b.phase] || a.epoch - b.epoch);
  return ordered.map((row, index) => ({
    trial,
    phase: row.phase,
    epoch: row.epoch,
    step: index + 1,
    loss: row.loss,
    accuracy: row.accuracy,
    val_loss: row.val_loss,
    val_accuracy: row.val_accuracy,
  }));
}

/** Steps (over both phases) of the epochs whose weights each phase kept. */
export function keptSteps(points: readonly CurvePoint[], phases: TrialResult['phases']): number[] {
  return phases.flatMap((phase) => {
    const point = points.find((candidate) => candidate.phase === phase.phase && candidate.epoch === phase.best_epoch);
    return point === undefined ? [] : [point.step];
  });
}

/**
 * Writes a trial's pictures and tables into `dir`: training curves and confusion
 * matrix as SVG and PNG, and the classification report as a Markdown table.
 * Returns the file names written.
 */
export async function writeTrialReport(input: TrialReportInput, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const { result } = input;
  const points = toCurvePoints(input.number, input.epochs);
  const title = `Trial ${input.number}: ${input.label}`;

  const curvesSvg = await renderSvg(trainingCurvesSpec(points, keptSteps(points, result.phases), title));
  const confusionSvg = await renderSvg(confusionMatrixSpec(result.confusion, result.class_names, `Confusion matrix, trial ${input.number}`));
  const files: [string, string | Buffer][] = [
    ['curves.svg', curvesSvg],
    ['curves.png', svgToPng(curvesSvg)],
    ['confusion_matrix.svg', confusionSvg],
    ['confusion_matrix.png', svgToPng(confusionSvg)],
    ['classification-report.md', classificationReportMarkdown(result)],
  ];
  for (const [name, content] of files) {
    await writeFile(join(dir, name), content);
  }
  return files.map(([name]) => name);
}
