import { Text } from 'ink';
import { memo } from 'react';
import { firstLine, fit, formatDuration, formatGap, formatParameter, formatPercent, progressBar, sparkline } from '../format.ts';
import type { ColumnLayout } from '../layout.ts';
import type { TrialRow } from '../snapshot.ts';
import { stateColors, useTint } from './color.ts';

export interface TrialLineProps {
  trial: TrialRow;
  layout: ColumnLayout;
  selected: boolean;
  isBest: boolean;
  isBaseline: boolean;
  /** Test accuracy of the baseline, for the difference column; null hides it. */
  baselineAccuracy: number | null;
}

/** Column titles, aligned with `TrialLine`. */
export function TrialHeaderLine({ layout }: { layout: ColumnLayout }) {
  const cells = [
    fit('', layout.marker),
    fit('#', layout.number, 'right'),
    ...layout.params.map((param) => fit(param.name, param.width)),
    fit("test acc", layout.accuracy, 'right'),
    fit('gap', layout.gap, 'right'),
    layout.delta > 0 ? fit('Δ pts', layout.delta, 'right') : null,
    fit('state', layout.state),
    layout.spark > 0 ? fit('val acc', layout.spark) : null,
    fit("progress / result", layout.info),
  ];
  return (
    <Text bold wrap="truncate-end">
      {cells.filter((cell) => cell !== null).join(' ')}
    </Text>
  );
}

/** Returns the text after the state: epoch progress while running, the error of a failure, the duration once done. */
function infoText(trial: TrialRow, width: number): string {
  switch (trial.state) {
    case 'RUNNING': {
      const latest = trial.valAccuracyHistory[trial.valAccuracyHistory.length - 1];
      const suffix = ` ${trial.epoch}/${trial.maxEpochs} ${trial.phase ?? ''} val ${formatPercent(latest)}${trial.cancelRequested ? ' cancelling' : ''}`;
      const barWidth = Math.max(0, Math.min(20, width - suffix.length));
      return progressBar(trial.epoch, trial.maxEpochs, barWidth) + suffix;
    }
    case 'FAIL':
      return firstLine(trial.error ?? 'no error recorded');
    case 'PRUNED':
      return trial.prunedAtEpoch === null ? 'pruned' : `pruned at epoch ${trial.prunedAtEpoch}`;
    case 'COMPLETE':
      return formatDuration(trial.durationSeconds);
    case 'CANCELLED':
      return trial.error === null ? '' : firstLine(trial.error);
    case 'WAITING':
      return '';
  }
}

function deltaText(trial: TrialRow, baselineAccuracy: number | null): string {
  if (baselineAccuracy === null || trial.testAccuracy === null || trial.isBaseline) {
    return '';
  }
  const points = (trial.testAccuracy - baselineAccuracy) * 100;
  if (!Number.isFinite(points)) {
    return '';
  }
  return `${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(2)}`;
}

/**
 * One leaderboard row. Memoized: a row re-renders only when its trial object,
 * selection, marks or layout change, so finished rows cost nothing per frame.
 */
export const TrialLine = memo(function TrialLine({ trial, layout, selected, isBest, isBaseline, baselineAccuracy }: TrialLineProps) {
  const tint = useTint();
  const marker = `${isBest ? '★' : ' '}${isBaseline ? 'B' : ' '}`;
  const lead = [
    fit(marker, layout.marker),
    fit(String(trial.number), layout.number, 'right'),
    ...layout.params.map((param) => fit(formatParameter(trial.params[param.name]), param.width)),
    fit(formatPercent(trial.testAccuracy), layout.accuracy, 'right'),
    fit(formatGap(trial.overfittingGap), layout.gap, 'right'),
    ...(layout.delta > 0 ? [fit(deltaText(trial, baselineAccuracy), layout.delta, 'right')] : []),
  ].join(' ');
  const spark = layout.spark > 0 ? ` ${fit(sparkline(trial.valAccuracyHistory, layout.spark), layout.spark)}` : '';
  const info = fit(infoText(trial, layout.info), layout.info);

  return (
    <Text inverse={selected} wrap="truncate-end">
      <Text color={tint(isBest ? 'green' : undefined)} bold={isBest}>
        {lead}
      </Text>{' '}
      <Text color={tint(stateColors[trial.state])}>{fit(trial.state, layout.state)}</Text>
      <Text color={tint('blue')}>{spark}</Text> <Text color={tint(trial.state === 'FAIL' ? 'red' : undefined)}>{info}</Text>
    </Text>
  );
});
