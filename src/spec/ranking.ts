/**
 * Orders trials by a sweep's ranking: a list of metrics, each ascending or
 * descending, where later keys break ties of earlier ones. NaN, ±Infinity and
 * missing values always rank last, whatever the order.
 */

export interface RankKey {
  metric: string;
  order: 'asc' | 'desc';
}

/** The default ranking: test accuracy descending, then overfitting gap ascending. */
export const DEFAULT_RANKING: readonly RankKey[] = [
  { metric: 'test_accuracy', order: 'desc' },
  { metric: 'overfitting_gap', order: 'asc' },
];

type Rankable = { number: number } & Record<string, unknown>;

function finiteOrUndefined(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

/** Returns a comparator for `Array.prototype.sort`; the trial number breaks the last tie. */
export function compareByRanking(ranking: readonly RankKey[] = DEFAULT_RANKING): (a: Rankable, b: Rankable) => number {
  return (a, b) => {
    for (const key of ranking) {
      const left = finiteOrUndefined(a[key.metric]);
      const right = finiteOrUndefined(b[key.metric]);
      if (left === undefined && right === undefined) {
        continue;
      }
      if (left === undefined) {
        return 1;
      }
      if (right === undefined) {
        return -1;
      }
      if (left !== right) {
        return key.order === 'desc' ? right - left : left - right;
      }
    }
    return a.number - b.number;
  };
}
