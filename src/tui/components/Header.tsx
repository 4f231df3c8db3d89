import { Box, Text } from 'ink';
import { formatDuration, formatGap, formatPercent, formatPoints } from '../format.ts';
import { useClock } from '../hooks/use-clock.ts';
import { estimateRemainingSeconds, type SweepSnapshot, type TrialRow } from '../snapshot.ts';
import { useTint } from './color.ts';

export interface HeaderProps {
  snapshot: SweepSnapshot;
  best: TrialRow | null;
  baseline: TrialRow | null;
  /** True while notifications arrive, false while the screen polls. */
  listening: boolean;
  /** Fixed clock for tests; absent, the header ticks every second. */
  now?: number;
}

/** Three lines: sweep, backend and times; trial counts; best trial against the baseline. */
export function Header({ snapshot, best, baseline, listening, now }: HeaderProps) {
  const tint = useTint();
  const { sweep, counts } = snapshot;
  // Times show seconds only under an hour. Past that, a tick a minute redraws
  // as often as the text changes. A finished sweep needs no clock.
  const sinceStart = Date.now() - snapshot.startedAt.getTime();
  let interval = sinceStart < 3600_000 ? 1000 : 60_000;
  if (now !== undefined || sweep.finishedAt !== null) {
    interval = 0;
  }
  const tick = useClock(interval);
  const clock = now ?? tick;

  const end = sweep.finishedAt?.getTime() ?? clock;
  const elapsed = (end - snapshot.startedAt.getTime()) / 1000;
  const remaining = estimateRemainingSeconds(snapshot, new Date(clock));
  let left = `left ~${formatDuration(remaining)}`;
  if (remaining === null) {
    left = 'left unknown';
  } else if (remaining === 0) {
    left = 'nothing left';
  }
  const done = counts.COMPLETE;
  const devices = snapshot.devices.length > 0 ? snapshot.devices.join(',') : '-';

  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>sweep {sweep.name}</Text> <Text color={tint(sweep.status === 'RUNNING' ? 'cyan' : 'green')}>{sweep.status}</Text>
        {`  backend ${snapshot.backend ?? '-'}  devices ${devices}  elapsed ${formatDuration(elapsed)}  ${left}  `}
        <Text dimColor>{listening ? 'live' : 'polling'}</Text>
      </Text>
      <Text wrap="truncate-end">
        {`trials ${snapshot.trials.length}: `}
        <Text color={tint('green')}>{done} done</Text>
        {'  '}
        <Text color={tint('cyan')}>{counts.RUNNING} running</Text>
        {`  ${counts.WAITING} waiting  `}
        <Text color={tint('red')}>{counts.FAIL} failed</Text>
        {'  '}
        <Text color={tint('yellow')}>{counts.PRUNED} pruned</Text>
        {`  ${counts.CANCELLED} cancelled`}
      </Text>
      <Text wrap="truncate-end">{bestLine(best, baseline)}</Text>
    </Box>
  );
}

function bestLine(best: TrialRow | null, baseline: TrialRow | null): string {
  const parts: string[] = [];
  if (best === null) {
    parts.push('★ best: no trial complete yet');
  } else {
    parts.push(`★ best #${best.number} ${formatPercent(best.testAccuracy)} gap ${formatGap(best.overfittingGap)}`);
  }
  if (baseline === null) {
    parts.push('B baseline: none');
  } else {
    parts.push(`B baseline #${baseline.number} ${formatPercent(baseline.testAccuracy)} gap ${formatGap(baseline.overfittingGap)}`);
  }
  if (best !== null && baseline !== null && best.testAccuracy !== null && baseline.testAccuracy !== null) {
    parts.push(`best − baseline ${formatPoints(best.testAccuracy - baseline.testAccuracy)}`);
  }
  return parts.join('   ');
}
