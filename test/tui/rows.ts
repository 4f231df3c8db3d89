import { buildSnapshot } from '../../src/tui/load-snapshot.ts';
import { defaultRanking } from '../../src/tui/ranking.ts';
import type { SweepSnapshot, TrialRow } from '../../src/tui/snapshot.ts';

/** Builds a trial row with neutral defaults, for tests that need no database. */
export function trialRow(overrides: Partial<TrialRow> & Pick<TrialRow, 'number'>): TrialRow {
  return {
    id: String(overrides.number),
    params: {},
    isBaseline: false,
    state: 'WAITING',
    cancelRequested: false,
    testAccuracy: null,
    overfittingGap: null,
    bestValAccuracy: null,
    durationSeconds: null,
    startedAt: null,
    finishedAt: null,
    phase: null,
    epoch: 0,
    maxEpochs: 10,
    valAccuracyHistory: [],
    error: null,
    device: null,
    backend: null,
    prunedAtEpoch: null,
    ...overrides,
  };
}

/** Builds a snapshot of a RUNNING sweep named `demo` around the given rows. */
export function snapshotOf(trials: TrialRow[], createdAt = new Date('2026-01-01T00:00:00Z')): SweepSnapshot {
  return buildSnapshot(
    { id: '1', name: 'demo', status: 'RUNNING', ranking: [...defaultRanking], createdAt, finishedAt: null },
    trials,
    new Date(createdAt.getTime() + 3600_000),
  );
}
