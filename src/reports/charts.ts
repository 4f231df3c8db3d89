import type { TopLevelSpec } from 'vega-lite';

/**
 * Vega-Lite specs of the report charts. Each builder takes plain rows and returns
 * a spec with its data inline, so the same spec renders to SVG in Node or in any
 * Vega-Lite viewer. Rows with NaN or infinite values are left out, because a
 * chart cannot place them; tables next to the charts still list them.
 */

/** One epoch of one trial, with `step` counting epochs over both phases (1-based). */
export interface CurvePoint {
  trial: number;
  phase: 'head' | 'fine_tune';
  epoch: number;
  step: number;
  loss: number | null;
  accuracy: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
}

/** A trial's place on the accuracy-against-gap scatter plot. */
export interface ScatterPoint {
  trial: number;
  label: string;
  test_accuracy: number | null;
  overfitting_gap: number | null;
  kind: 'best' | 'baseline' | 'other';
}

/** Mean and best results of the trials that share one value of one parameter. */
export interface EffectRow {
  parameter: string;
  value: string;
  trials: number;
  mean_accuracy: number | null;
  max_accuracy: number | null;
  mean_gap: number | null;
}

function isFiniteNumber(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Loss and accuracy curves of one trial, train against validation, with a dashed
 * rule where fine-tuning starts and a point on each epoch whose weights were kept.
 */
export function trainingCurvesSpec(points: CurvePoint[], keptSteps: number[], title: string): TopLevelSpec {
  const rows: { step: number; metric: string; split: string; value: number }[] = [];
  for (const point of points) {
    const pairs: [string, string, number | null][] = [
      ['loss', 'train', point.loss],
      ['loss', 'validation', point.val_loss],
      ['accuracy', 'train', point.accuracy],
      ['accuracy', 'validation', point.val_accuracy],
    ];
    for (const [metric, split, value] of pairs) {
      if (isFiniteNumber(value)) {
        rows.push({ step: point.step, metric, split, value });
      }
    }
  }
  const boundary = points.find((point) => point.phase === 'fine_tune');
  const rules = boundary === undefined ? [] : [{ step: boundary.step - 0.5, label: 'fine-tuning starts' }];
  const kept = rows.filter((row) => row.split === 'validation' && keptSteps.includes(row.step));

  const panel = (metric: string) => ({
    width: 300,
    height: 200,
    title: metric,
    layer: [
      {
        data: { values: rows.filter((row) => row.metric === metric) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'epoch (both phases)', axis: { tickMinStep: 1 } },
          y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
          color: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'validation'] } },
        },
      },
      {
        data: { values: rules },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { x: { field: 'step', type: 'quantitative' } },
      },
      {
        data: { values: kept.filter((row) => row.metric === metric) },
        mark: { type: 'point', shape: 'diamond', size: 120, filled: true, color: 'black' },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
        },
      },
    ],
  });

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: 'dashed rule: fine-tuning starts; diamond: epoch whose weights were kept' },
    hconcat: [panel('loss'), panel('accuracy')],
  } as TopLevelSpec;
}

/** Confusion-matrix heatmap with counts in the cells; rows are true classes. */
export function confusionMatrixSpec(matrix: number[][], classNames: string[], title: string): TopLevelSpec {
  const rows: { actual: string; predicted: string; count: number; order_actual: number; order_predicted: number }[] = [];
  matrix.forEach((counts, actual) => {
    counts.forEach((count, predicted) => {
      rows.push({
        actual: classNames[actual] ?? String(actual),
        predicted: classNames[predicted] ?? String(predicted),
        count,
        order_actual: actual,
        order_predicted: predicted,
      });
    });
  });
  const order = classNames.length > 0 ? classNames : matrix.map((_, index) => String(index));
  const maxCount = Math.max(1, ...rows.map((row) => row.count));

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: rows },
    width: 320,
    height: 320,
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: order, title: 'predicted class' },
      y: { field: 'actual', type: 'nominal', sort: order, title: 'true class' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, title: 'images' } },
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${maxCount / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Test accuracy against overfitting gap, one point per finished trial. */
export function accuracyGapSpec(points: ScatterPoint[]): TopLevelSpec {
  const values = points.filter((point) => isFiniteNumber(point.test_accuracy) && isFiniteNumber(point.overfitting_gap));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Test accuracy against overfitting gap', subtitle: 'up and to the left is better' },
    data: { values },
    width: 420,
    height: 280,
    layer: [
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x: { field: 'overfitting_gap', type: 'quantitative', title: 'overfitting gap (max train acc − max val acc)', scale: { zero: false } },
          y: { field: 'test_accuracy', type: 'quantitative', title: 'test accuracy', scale: { zero: false } },
          color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['best', 'baseline', 'other'], range: ['#d62728', '#2ca02c', '#1f77b4'] } },
          tooltip: [{ field: 'label' }, { field: 'test_accuracy', format: '.4f' }, { field: 'overfitting_gap', format: '.4f' }],
        },
      },
      {
        mark: { type: 'text', dx: 6, align: 'left', fontSize: 9 },
        encoding: {
          x: { field: 'overfitting_gap', type: 'quantitative' },
          y: { field: 'test_accuracy', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Mean test accuracy and mean gap per value, one row of bar charts per swept parameter. */
export function parameterEffectSpec(rows: EffectRow[]): TopLevelSpec {
  const values = rows.filter((row) => isFiniteNumber(row.mean_accuracy));
  const parameters = [...new Set(values.map((row) => row.parameter))];
  const bars = (parameter: string, field: 'mean_accuracy' | 'mean_gap', title: string) => ({
    width: 220,
    height: { step: 22 },
    data: { values: values.filter((row) => row.parameter === parameter) },
    mark: 'bar',
    encoding: {
      y: { field: 'value', type: 'nominal', title: parameter },
      x: { field, type: 'quantitative', title },
      tooltip: [{ field: 'value' }, { field: 'trials' }, { field, format: '.4f' }],
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Effect of each swept parameter (mean over trials)',
    vconcat: parameters.map((parameter) => ({
      hconcat: [bars(parameter, 'mean_accuracy', 'mean test accuracy'), bars(parameter, 'mean_gap', 'mean overfitting gap')],
    })),
  } as TopLevelSpec;
}

/** Validation accuracy per epoch of several trials, overlaid. */
export function overlaidCurvesSpec(points: CurvePoint[], labels: Map<number, string>): TopLevelSpec {
  const values = points
    .filter((point) => isFiniteNumber(point.val_accuracy))
    .map((point) => ({ step: point.step, val_accuracy: point.val_accuracy, trial: labels.get(point.trial) ?? `#${point.trial}` }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Validation accuracy of the top trials',
    data: { values },
    width: 420,
    height: 240,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'epoch (both phases)', axis: { tickMinStep: 1 } },
      y: { field: 'val_accuracy', type: 'quantitative', title: 'validation accuracy', scale: { zero: false } },
      color: { field: 'trial', type: 'nominal', title: 'trial' },
    },
  } as TopLevelSpec;
}
