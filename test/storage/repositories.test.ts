import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordArtifact, listArtifacts } from '../../src/storage/artifact-repository.ts';
import { readLeaderboard } from '../../src/storage/leaderboard.ts';
import { createOrGetSweep, findSweep } from '../../src/storage/sweep-repository.ts';
import { readTrialByNumber, readTrialDetail } from '../../src/storage/trial-detail.ts';
import { insertPlannedTrials, recordEpoch, recordTrialResult } from '../../src/storage/trial-repository.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { baselineConfig, epochMetrics, newSweep, planned, plannedGrid, trialResult } from './fixtures.ts';

const postgres = usePostgres();

test('createOrGetSweep creates once and then returns the row', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const first = await createOrGetSweep(db, newSweep('finetune'));
    const second = await createOrGetSweep(db, newSweep('finetune'));
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.sweep.id, first.sweep.id);
    assert.equal(second.specChanged, false);
    assert.deepEqual(first.sweep.ranking, [
      { metric: 'test_accuracy', order: 'desc' },
      { metric: 'overfitting_gap', order: 'asc' },
    ]);
  } finally {
    await close();
  }
});

test('createOrGetSweep reports a changed spec', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    await createOrGetSweep(db, newSweep('finetune'));
    const again = await createOrGetSweep(db, { ...newSweep('finetune'), specHash: 'other' });
    assert.equal(again.created, false);
    assert.equal(again.specChanged, true);
  } finally {
    await close();
  }
});

test('sweep names keep unicode and any length', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const unicode = 'réglage fin 微調整 🧪 ñ';
    const long = `sweep-${'ä'.repeat(20_000)}-🙂`;
    await createOrGetSweep(db, newSweep(unicode));
    await createOrGetSweep(db, newSweep(long));
    const again = await createOrGetSweep(db, newSweep(long));

    assert.equal((await findSweep(db, unicode))?.name, unicode);
    assert.equal((await findSweep(db, long))?.name, long);
    assert.equal(again.created, false);
    assert.equal(await findSweep(db, long.slice(0, -1)), undefined);
  } finally {
    await close();
  }
});

test('createOrGetSweep rejects an unknown ranking metric', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    await assert.rejects(
      createOrGetSweep(db, { ...newSweep('bad'), ranking: [{ metric: 'accuracy', order: 'desc' }] }),
      /ranking\[0\]\.metric must be one of .*got "accuracy"/,
    );
  } finally {
    await close();
  }
});

test('createOrGetSweep rejects more than four rank keys', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const key = { metric: 'test_accuracy', order: 'desc' as const };
    await assert.rejects(createOrGetSweep(db, { ...newSweep('long-ranking'), ranking: [key, key, key, key, key] }), /at most 4 metrics/);
  } finally {
    await close();
  }
});

test('sweeps reject a ranking that is not a list', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const insert = db
      .insertInto('sweeps')
      .values({ name: 'object-ranking', spec: '{}', spec_hash: 'a', search_space_hash: 'b', ranking: JSON.stringify({ metric: 'test_accuracy' }) })
      .execute();
    await assert.rejects(insert, /violates check constraint/);
  } finally {
    await close();
  }
});

test('insertPlannedTrials numbers trials and skips known configs', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('grid'));
    const grid = plannedGrid(5);

    const first = await insertPlannedTrials(db, sweep.id, grid.slice(0, 3));
    const second = await insertPlannedTrials(db, sweep.id, grid);

    assert.deepEqual(first.inserted.map((trial) => trial.number), [1, 2, 3]);
    assert.deepEqual(second.inserted.map((trial) => trial.number), [4, 5]);
    assert.equal(second.skipped, 3);
    const states = await db.selectFrom('trials').select('state').where('sweep_id', '=', sweep.id).execute();
    assert.ok(states.every((row) => row.state === 'WAITING'));
  } finally {
    await close();
  }
});

test('concurrent planners get unique numbers', async () => {
  const { db, close } = await postgres.freshDatabase({ poolSize: 4 });
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('race'));
    const grid = plannedGrid(40);
    const results = await Promise.all([
      insertPlannedTrials(db, sweep.id, grid.slice(0, 25)),
      insertPlannedTrials(db, sweep.id, grid.slice(15)),
    ]);

    const numbers = results.flatMap((result) => result.inserted.map((trial) => trial.number)).sort((a, b) => a - b);
    assert.deepEqual(numbers, Array.from({ length: 40 }, (_, index) => index + 1));
  } finally {
    await close();
  }
});

test('recordEpoch replaces the row of the same epoch', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('epochs'));
    const { inserted } = await insertPlannedTrials(db, sweep.id, plannedGrid(1));
    const trialId = inserted[0].id;

    await recordEpoch(db, trialId, epochMetrics('head', 1, 0.5));
    await recordEpoch(db, trialId, epochMetrics('head', 1, 0.6));
    await recordEpoch(db, trialId, epochMetrics('fine_tune', 1, 0.7));

    const rows = await db.selectFrom('epoch_metrics').selectAll().where('trial_id', '=', trialId).orderBy('phase', 'desc').execute();
    assert.equal(rows.length, 2);
    assert.equal(rows[0].val_accuracy, 0.6);
  } finally {
    await close();
  }
});

test('recordTrialResult stores results, classes and confusion', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('result'));
    const { inserted } = await insertPlannedTrials(db, sweep.id, plannedGrid(1));
    const trialId = inserted[0].id;
    await recordEpoch(db, trialId, epochMetrics('fine_tune', 1, 0.7));
    await recordEpoch(db, trialId, epochMetrics('head', 2, 0.6));
    await recordEpoch(db, trialId, epochMetrics('head', 1, 0.5));

    await recordTrialResult(db, trialId, trialResult(0.8275, 0.06));
    await recordTrialResult(db, trialId, trialResult(0.8275, 0.06));
    const detail = await readTrialDetail(db, trialId);

    assert.ok(detail !== undefined);
    assert.equal(detail.trial.test_accuracy, 0.8275);
    assert.equal(detail.trial.overfitting_gap, 0.06);
    assert.equal(detail.trial.head_epochs, 5);
    assert.equal(detail.trial.fine_tune_epochs, 3);
    assert.equal(detail.trial.total_params, '2600000');
    assert.equal(detail.trial.trainable_params_fine_tune, '900000');
    assert.equal(detail.trial.train_images_per_second, (1000 * 50 + 600 * 30) / 80);
    assert.equal(detail.trial.backend, 'cpu');
    assert.equal(detail.trial.state, 'WAITING');
    assert.deepEqual(detail.classMetrics.map((row) => row.class_name), ['airplane', 'automobile', 'bird']);
    assert.ok(Number.isNaN(detail.classMetrics[1].precision));
    assert.deepEqual(detail.confusion, trialResult(0, 0).confusion);
    assert.deepEqual(
      detail.epochs.map((row) => `${row.phase}:${row.epoch}`),
      ['head:1', 'head:2', 'fine_tune:1'],
    );
    assert.equal(detail.sweepName, 'result');
  } finally {
    await close();
  }
});

test('recordTrialResult rejects an unknown trial', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    await assert.rejects(recordTrialResult(db, '999', trialResult(0.5, 0.1)), /no such trial/);
  } finally {
    await close();
  }
});

test('recordArtifact replaces a retried key', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('files'));
    const { inserted } = await insertPlannedTrials(db, sweep.id, plannedGrid(1));
    const base = { sweepId: sweep.id, trialId: inserted[0].id, kind: 'model', name: 'model.json', key: 'files/1/model.json' };

    await recordArtifact(db, { ...base, uri: 'file:///a', bytes: 10, sha256: 'a'.repeat(64) });
    const second = await recordArtifact(db, { ...base, uri: 'file:///b', bytes: 12, sha256: 'b'.repeat(64) });
    const listed = await listArtifacts(db, sweep.id, inserted[0].id);

    assert.equal(listed.length, 1);
    assert.equal(listed[0].uri, 'file:///b');
    assert.equal(second.bytes, '12');
    await assert.rejects(recordArtifact(db, { ...base, key: 'x', uri: 'file:///c', bytes: 1, sha256: 'not-hex' }), /sha256/);
  } finally {
    await close();
  }
});

test('readLeaderboard ranks, counts and summarizes', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('board'));
    const { inserted } = await insertPlannedTrials(db, sweep.id, [planned(baselineConfig(), {}, true), ...plannedGrid(5)]);
    const [baseline, a, b, c, d] = inserted;
    const results: [string, number, number][] = [
      [baseline.id, 0.7312, 0.123],
      [a.id, 0.8275, 0.06],
      [b.id, 0.8275, 0.02],
      [c.id, Number.NaN, 0.01],
      [d.id, 0.81, Number.POSITIVE_INFINITY],
    ];
    for (const [id, accuracy, gap] of results) {
      await recordTrialResult(db, id, trialResult(accuracy, gap));
    }
    await db.updateTable('trials').set({ state: 'COMPLETE' }).where('id', 'in', results.map(([id]) => id)).execute();
    await db.updateTable('trials').set({ state: 'RUNNING' }).where('id', '=', inserted[5].id).execute();

    const board = await readLeaderboard(db, 'board');

    assert.deepEqual(
      board.rows.map((row) => [row.number, row.rank]),
      [
        [3, 1],
        [2, 2],
        [5, 3],
        [1, 4],
        [4, 5],
        [6, null],
      ],
    );
    assert.equal(board.counts.COMPLETE, 5);
    assert.equal(board.counts.RUNNING, 1);
    assert.equal(board.counts.WAITING, 0);
    assert.equal(board.summary.best_trial, 3);
    assert.ok(Math.abs((board.summary.improvement_points ?? 0) - 9.63) < 1e-9);
    assert.equal(board.rows[0].dense_units, 256);
    assert.equal(board.rows[0].unfreeze_layers, 20);
    assert.equal(board.rows[0].fine_tune_lr, 2e-5);
    assert.equal(board.rows[3].model, 'simple-cnn');
  } finally {
    await close();
  }
});

test('readLeaderboard names the known sweeps when one is missing', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    await createOrGetSweep(db, newSweep('present'));
    await assert.rejects(readLeaderboard(db, 'absent'), /sweep "absent" not found; known sweeps: present/);
  } finally {
    await close();
  }
});

test('readTrialByNumber finds a trial of a sweep', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('numbers'));
    await insertPlannedTrials(db, sweep.id, plannedGrid(2));
    const detail = await readTrialByNumber(db, 'numbers', 2);
    assert.equal(detail.trial.number, 2);
    await assert.rejects(readTrialByNumber(db, 'numbers', 3), /has no trial 3/);
  } finally {
    await close();
  }
});
