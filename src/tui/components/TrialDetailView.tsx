import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import { drawCurves } from '../chart.ts';
import { firstLine, fit, formatDuration, formatGap, formatParameter, formatPercent } from '../format.ts';
import type { ClassRow, TrialDetail } from '../load-trial-detail.ts';
import type { TrialRow } from '../snapshot.ts';
import { stateColors, useTint } from './color.ts';

export interface TrialDetailViewProps {
  trial: TrialRow;
  /** Null while loading. */
  detail: TrialDetail | null;
  width: number;
  height: number;
  /** First line shown; the parent clamps it with `detailLineCount`. */
  offset: number;
}

function formatNumber(value: number | null, digits: number): string {
  if (value === null) {
    return '-';
  }
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

function formatRate(value: number | null): string {
  return value === null ? '-' : value.toExponential(1);
}

/** Builds every line of the detail view; the view shows a window of them. */
export function detailLines(trial: TrialRow, detail: TrialDetail | null, width: number, tint: (name: string | undefined) => string | undefined): ReactElement[] {
  const lines: ReactElement[] = [];
  const push = (key: string, node: ReactElement | string): void => {
    lines.push(
      <Text key={key} wrap="truncate-end">
        {node}
      </Text>,
    );
  };

  const params = Object.entries(trial.params)
    .map(([name, value]) => `${name}=${formatParameter(value)}`)
    .join('  ');
  push(
    'title',
    <>
      <Text bold>trial #{trial.number}</Text> <Text color={tint(stateColors[trial.state])}>{trial.state}</Text>
      {trial.isBaseline ? ' (baseline)' : ''} {params}
    </>,
  );
  push(
    'summary',
    `test accuracy ${formatPercent(trial.testAccuracy)}  test loss ${formatNumber(detail?.testLoss ?? null, 4)}  gap ${formatGap(trial.overfittingGap)}  ` +
      `best val ${formatPercent(trial.bestValAccuracy)}  duration ${formatDuration(trial.durationSeconds)}  params ${detail?.totalParams ?? '-'}`,
  );
  if (trial.error !== null) {
    push('error', <Text color={tint('red')}>error: {firstLine(trial.error)}</Text>);
  }
  if (detail === null) {
    push('loading', <Text dimColor>loading…</Text>);
    return lines;
  }

  push('curves-gap', '');
  push(
    'curves-title',
    <>
      <Text bold>accuracy per epoch</Text> (<Text color={tint('yellow')}>● train</Text>, <Text color={tint('cyan')}>○ validation</Text>, ◆ both)
    </>,
  );
  const chart = drawCurves(
    [
      { values: detail.epochs.map((epoch) => epoch.accuracy), mark: '●' },
      { values: detail.epochs.map((epoch) => epoch.valAccuracy), mark: '○' },
    ],
    Math.max(10, Math.min(72, width - 10)),
    8,
  );
  if (chart.length === 0) {
    push('curves-empty', <Text dimColor>no epoch recorded yet</Text>);
  }
  chart.forEach((row, index) => push(`chart-${index}`, row));

  push('epochs-gap', '');
  push('epochs-title', <Text bold>{'phase     epoch   loss  accuracy  val_loss  val_acc  lr       time'}</Text>);
  for (const epoch of detail.epochs) {
    push(
      `epoch-${epoch.phase}-${epoch.epoch}`,
      `${fit(epoch.phase, 9)} ${fit(String(epoch.epoch), 5, 'right')} ${fit(formatNumber(epoch.loss, 4), 7, 'right')} ` +
        `${fit(formatPercent(epoch.accuracy), 9, 'right')} ${fit(formatNumber(epoch.valLoss, 4), 9, 'right')} ` +
        `${fit(formatPercent(epoch.valAccuracy), 8, 'right')}  ${fit(formatRate(epoch.learningRate), 8)} ${formatDuration(epoch.seconds)}`,
    );
  }

  if (detail.confusion.length > 0) {
    push('confusion-gap', '');
    push('confusion-title', <Text bold>confusion matrix (rows: true class, columns: predicted)</Text>);
    const names = detail.confusion.map((_, index) => detail.classes.find((row) => row.classIndex === index)?.className ?? String(index));
    const cell = Math.max(5, ...detail.confusion.flat().map((count) => String(count).length + 1));
    push('confusion-head', `${fit('', 11)}${names.map((name) => fit(name.slice(0, cell - 1), cell, 'right')).join('')}`);
    detail.confusion.forEach((counts, row) => {
      push(
        `confusion-${row}`,
        <>
          {fit(names[row], 11)}
          {counts.map((count, column) => (
            <Text key={column} color={tint(cellColor(row === column, count))} bold={row === column}>
              {fit(String(count), cell, 'right')}
            </Text>
          ))}
        </>,
      );
    });
  }

  if (detail.classes.length > 0) {
    push('report-gap', '');
    push('report-title', <Text bold>{'class          precision  recall      f1  support'}</Text>);
    for (const row of detail.classes) {
      push(`report-${row.classIndex}`, reportLine(row.className, row.precision, row.recall, row.f1, row.support));
    }
    const averages = averageReport(detail.classes);
    push('report-macro', reportLine('macro avg', averages.macro.precision, averages.macro.recall, averages.macro.f1, averages.support));
    push('report-weighted', reportLine('weighted avg', averages.weighted.precision, averages.weighted.recall, averages.weighted.f1, averages.support));
  }
  return lines;
}

/** Colors the diagonal (correct predictions) green and empty cells gray. */
function cellColor(diagonal: boolean, count: number): string | undefined {
  if (diagonal) {
    return 'green';
  }
  return count > 0 ? undefined : 'gray';
}

function reportLine(name: string, precision: number | null, recall: number | null, f1: number | null, support: number): string {
  return `${fit(name, 14)} ${fit(formatNumber(precision, 3), 9, 'right')} ${fit(formatNumber(recall, 3), 7, 'right')} ${fit(formatNumber(f1, 3), 7, 'right')} ${fit(String(support), 8, 'right')}`;
}

interface Averages {
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  support: number;
}

/** Computes macro (unweighted) and support-weighted averages, as scikit-learn's classification report does. */
export function averageReport(classes: readonly ClassRow[]): Averages {
  const support = classes.reduce((sum, row) => sum + row.support, 0);
  const mean = (pick: (row: ClassRow) => number | null, weighted: boolean): number => {
    let total = 0;
    let weight = 0;
    for (const row of classes) {
      const value = pick(row) ?? 0;
      const w = weighted ? row.support : 1;
      total += value * w;
      weight += w;
    }
    return weight === 0 ? 0 : total / weight;
  };
  return {
    macro: { precision: mean((row) => row.precision, false), recall: mean((row) => row.recall, false), f1: mean((row) => row.f1, false) },
    weighted: { precision: mean((row) => row.precision, true), recall: mean((row) => row.recall, true), f1: mean((row) => row.f1, true) },
    support,
  };
}

/** Renders one trial's detail: summary, accuracy curves, per-epoch table, confusion matrix and classification report. */
export function TrialDetailView({ trial, detail, width, height, offset }: TrialDetailViewProps) {
  const tint = useTint();
  const lines = detailLines(trial, detail, width, tint);
  const start = Math.max(0, Math.min(offset, lines.length - height));
  return (
    <Box flexDirection="column" height={height}>
      {lines.slice(start, start + height)}
    </Box>
  );
}
