import { Box, Text } from 'ink';
import type { ColumnLayout } from '../layout.ts';
import type { TrialRow } from '../snapshot.ts';
import { TrialHeaderLine, TrialLine } from './TrialLine.tsx';

export interface LeaderboardProps {
  /** Every trial in display order; only `height` of them, from `offset`, are rendered. */
  trials: readonly TrialRow[];
  layout: ColumnLayout;
  offset: number;
  height: number;
  selectedIndex: number;
  bestId: string | null;
  baselineId: string | null;
  baselineAccuracy: number | null;
}

/** Renders the ranked table: column titles and the visible window of rows. */
export function Leaderboard({ trials, layout, offset, height, selectedIndex, bestId, baselineId, baselineAccuracy }: LeaderboardProps) {
  const visible = trials.slice(offset, offset + height);
  return (
    <Box flexDirection="column" height={height + 1}>
      <TrialHeaderLine layout={layout} />
      {visible.length === 0 ? <Text dimColor>no trials match the filter</Text> : null}
      {visible.map((trial, index) => (
        <TrialLine
          key={trial.id}
          trial={trial}
          layout={layout}
          selected={offset + index === selectedIndex}
          isBest={trial.id === bestId}
          isBaseline={trial.id === baselineId}
          baselineAccuracy={baselineAccuracy}
        />
      ))}
    </Box>
  );
}
