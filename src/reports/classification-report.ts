import type { TrialResult } from '../trainer/types.ts';

/** A pair of classes and how often the model confused them, in both directions. */
export interface ConfusedPair {
  first: string;
  second: string;
  /** Images of `first` predicted as `second`. */
  firstAsSecond: number;
  /** Images of `second` predicted as `first`. */
  secondAsFirst: number;
  total: number;
}

/** Lists the class pairs with the most mistakes between them, most first. */
export function mostConfusedPairs(matrix: number[][], classNames: string[], limit = 5): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  for (let i = 0; i < matrix.length; i += 1) {
    for (let j = i + 1; j < matrix.length; j += 1) {
      const firstAsSecond = matrix[i]?.[j] ?? 0;
      const secondAsFirst = matrix[j]?.[i] ?? 0;
      const total = firstAsSecond + secondAsFirst;
      if (total > 0) {
        pairs.push({ first: classNames[i] ?? String(i), second: classNames[j] ?? String(j), firstAsSecond, secondAsFirst, total });
      }
    }
  }
  pairs.sort((a, b) => b.total - a.total || a.first.localeCompare(b.first));
  return pairs.slice(0, limit);
}

function formatMetric(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : String(value);
}

/**
 * Renders the classification report (precision, recall, F1 and support per class,
 * then macro and weighted averages) as a Markdown table, like scikit-learn's text report.
 */
export function classificationReportMarkdown(result: Pick<TrialResult, 'per_class' | 'macro_avg' | 'weighted_avg' | 'test_accuracy'>): string {
  const support = result.per_class.reduce((sum, row) => sum + row.support, 0);
  const lines = ['| class | precision | recall | F1 | support |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const row of result.per_class) {
    lines.push(`| ${row.class_name} | ${formatMetric(row.precision)} | ${formatMetric(row.recall)} | ${formatMetric(row.f1)} | ${row.support} |`);
  }
  lines.push(`| **accuracy** | | | ${formatMetric(result.test_accuracy)} | ${support} |`);
  const averages: [string, { precision: number; recall: number; f1: number }][] = [
    ['macro avg', result.macro_avg],
    ['weighted avg', result.weighted_avg],
  ];
  for (const [name, average] of averages) {
    lines.push(`| **${name}** | ${formatMetric(average.precision)} | ${formatMetric(average.recall)} | ${formatMetric(average.f1)} | ${support} |`);
  }
  return `${lines.join('\n')}\n`;
}
