import type { ClassMetrics } from './types.ts';

export interface ClassificationReport {
  /** Row-major, `confusion[true][predicted]` = count. */
  confusion: number[][];
  perClass: ClassMetrics[];
  macroAvg: { precision: number; recall: number; f1: number };
  weightedAvg: { precision: number; recall: number; f1: number };
}

/** Counts `confusion[true][predicted]` for integer labels. */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[][] {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    confusion[labels[i]][predictions[i]] += 1;
  }
  return confusion;
}

/**
 * Computes per-class precision, recall, F1 and support from a confusion matrix,
 * with macro (unweighted mean over classes) and weighted (by support) averages,
 * as scikit-learn's classification_report does. A ratio whose denominator is 0
 * (a class never predicted, or absent from the labels) counts as 0, scikit-learn's
 * `zero_division` default.
 */
export function classificationReport(confusion: number[][], classNames: readonly string[]): ClassificationReport {
  const classes = confusion.length;
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < classes; c++) {
    const truePositives = confusion[c][c];
    const support = confusion[c].reduce((sum, count) => sum + count, 0);
    let predicted = 0;
    for (let row = 0; row < classes; row++) {
      predicted += confusion[row][c];
    }
    const precision = ratio(truePositives, predicted);
    const recall = ratio(truePositives, support);
    const f1 = ratio(2 * precision * recall, precision + recall);
    perClass.push({ class_index: c, class_name: classNames[c] ?? String(c), precision, recall, f1, support });
  }

  const totalSupport = perClass.reduce((sum, entry) => sum + entry.support, 0);
  const average = (key: 'precision' | 'recall' | 'f1', weighted: boolean): number => {
    if (!weighted) {
      return perClass.reduce((sum, entry) => sum + entry[key], 0) / Math.max(1, classes);
    }
    return ratio(perClass.reduce((sum, entry) => sum + entry[key] * entry.support, 0), totalSupport);
  };
  return {
    confusion,
    perClass,
    macroAvg: { precision: average('precision', false), recall: average('recall', false), f1: average('f1', false) },
    weightedAvg: { precision: average('precision', true), recall: average('recall', true), f1: average('f1', true) },
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
