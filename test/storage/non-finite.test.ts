import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { readLeaderboard } from '../../src/storage/leaderboard.ts';
import { createOrGetSweep } from '../../src/storage/sweep-repository.ts';
import { insertPlannedTrials, recordEpoch, recordTrialResult } from '../../src/storage/trial-repository.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { epochMetrics, newSweep, plannedGrid, trialResult } from './fixtures.ts';

const postgres = usePostgres();
const nonFinite = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

test('pg sends NaN and Infinity parameters as their PostgreSQL spelling', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const result = await sql<{ nan: string; inf: string; minus: string }>`
      SELECT ${Number.NaN}::text AS nan, ${Number.POSITIVE_INFINITY}::text AS inf, ${Number.NEGATIVE_INFINITY}::text AS minus
    `.execute(db);
    assert.deepEqual(result.rows[0], { nan: 'NaN', inf: 'Infinity', minus: '-Infinity' });
  } finally {
    await close();
  }
});

test('NaN and ±Infinity metrics round-trip', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('round-trip'));
    const { inserted } = await insertPlannedTrials(db, sweep.id, plannedGrid(3));
    for (const [index, value] of nonFinite.entries()) {
      await recordTrialResult(db, inserted[index].id, trialResult(value, value));
      await recordEpoch(db, inserted[index].id, { ...epochMetrics('head', 1, value), loss: value });
    }

    const trials = await db.selectFrom('trials').select(['test_accuracy', 'overfitting_gap']).orderBy('number').execute();
    const epochs = await db.selectFrom('epoch_metrics').select(['val_accuracy', 'loss']).orderBy('trial_id').execute();
    assert.deepEqual(trials.map((row) => row.test_accuracy), nonFinite);
    assert.deepEqual(trials.map((row) => row.overfitting_gap), nonFinite);
    assert.deepEqual(epochs.map((row) => row.val_accuracy), nonFinite);
    assert.deepEqual(epochs.map((row) => row.loss), nonFinite);
    const nulls = await sql<{ count: string }>`SELECT count(*) AS count FROM trials WHERE test_accuracy IS NULL`.execute(db);
    assert.equal(nulls.rows[0].count, '0');
  } finally {
    await close();
  }
});

test('sweep_is_finite rejects NaN, ±Infinity and NULL', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const result = await sql<{ value: string; finite: boolean }>`
      SELECT v::text AS value, sweep_is_finite(v) AS finite
      FROM unnest(ARRAY['NaN', 'Infinity', '-Infinity', NULL, '0', '-1.5']::float8[]) AS v
    `.execute(db);
    assert.deepEqual(
      result.rows.map((row) => [row.value, row.finite]),
      [['NaN', false], ['Infinity', false], ['-Infinity', false], [null, false], ['0', true], ['-1.5', true]],
    );
  } finally {
    await close();
  }
});

test('plain ORDER BY puts NaN first but the leaderboard ranks it last', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('order'));
    const { inserted } = await insertPlannedTrials(db, sweep.id, plannedGrid(5));
    const accuracies = [0.7, Number.NaN, 0.9, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    for (const [index, trial] of inserted.entries()) {
      await recordTrialResult(db, trial.id, trialResult(accuracies[index], 0.1));
    }
    await db.updateTable('trials').set({ state: 'COMPLETE' }).where('sweep_id', '=', sweep.id).execute();

    const plain = await db.selectFrom('trials').select('test_accuracy').orderBy('test_accuracy', 'desc').executeTakeFirstOrThrow();
    const board = await readLeaderboard(db, 'order');

    assert.ok(Number.isNaN(plain.test_accuracy));
    assert.deepEqual(board.rows.slice(0, 2).map((row) => row.number), [3, 1]);
    assert.deepEqual(board.rows.slice(0, 2).map((row) => row.rank), [1, 2]);
    assert.deepEqual(board.rows.slice(2).map((row) => row.rank), [3, 3, 3]);
  } finally {
    await close();
  }
});

test('non-finite values rank last in ascending rankings too', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const ranking = [{ metric: 'test_loss', order: 'asc' as const }];
    const { sweep } = await createOrGetSweep(db, { ...newSweep('loss'), ranking });
    const { inserted } = await insertPlannedTrials(db, sweep.id, plannedGrid(4));
    const losses = [Number.NEGATIVE_INFINITY, 0.5, Number.NaN, 0.3];
    for (const [index, trial] of inserted.entries()) {
      await recordTrialResult(db, trial.id, trialResult(0.8, 0.1, { test_loss: losses[index] }));
    }
    await db.updateTable('trials').set({ state: 'COMPLETE' }).where('sweep_id', '=', sweep.id).execute();

    const board = await readLeaderboard(db, 'loss');
    assert.deepEqual(board.rows.map((row) => [row.number, row.rank]), [[4, 1], [2, 2], [1, 3], [3, 3]]);
  } finally {
    await close();
  }
});
