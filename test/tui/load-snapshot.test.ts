import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { InputError } from '../../src/errors.ts';
import { cancelTrial } from '../../src/tui/cancel-trial.ts';
import { loadSnapshot, refreshTrials } from '../../src/tui/load-snapshot.ts';
import { loadTrialDetail } from '../../src/tui/load-trial-detail.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { fixtureMaxEpochs, fixtureSweepName, insertFixtureSweep } from './fixtures.ts';

const postgres = usePostgres();

test('snapshot counts states and finds columns', async () => {
  const { db } = await postgres.freshDatabase();
  await insertFixtureSweep(db);

  const snapshot = await loadSnapshot(db, fixtureSweepName);

  assert.equal(snapshot.sweep.name, fixtureSweepName);
  assert.deepEqual(snapshot.counts, { WAITING: 1, RUNNING: 1, COMPLETE: 3, PRUNED: 1, FAIL: 1, CANCELLED: 0 });
  assert.deepEqual(snapshot.trials.map((trial) => trial.number), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...snapshot.parameterNames].sort(), ['dense_units', 'fine_tune_lr', 'unfreeze_layers']);
  assert.equal(snapshot.backend, 'cpu');
  assert.deepEqual(snapshot.devices, ['cpu:0']);
  assert.deepEqual(snapshot.sweep.ranking[0], { metric: 'test_accuracy', order: 'desc' });
});

test('snapshot reads epoch progress per phase', async () => {
  const { db } = await postgres.freshDatabase();
  await insertFixtureSweep(db);

  const snapshot = await loadSnapshot(db, fixtureSweepName);
  const running = snapshot.trials.find((trial) => trial.number === 4);

  assert.ok(running !== undefined);
  assert.equal(running.phase, 'fine_tune');
  assert.equal(running.epoch, 3);
  assert.equal(running.maxEpochs, fixtureMaxEpochs.fine_tune);
  assert.deepEqual(running.valAccuracyHistory, [0.73, 0.77, 0.79, 0.8, 0.812]);
  assert.ok(running.startedAt instanceof Date);
});

test('snapshot of unknown sweep names it', async () => {
  const { db } = await postgres.freshDatabase();
  await assert.rejects(loadSnapshot(db, 'no-such-sweep'), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /sweep "no-such-sweep" not found/);
    return true;
  });
});

test('refresh rereads only named trials', async () => {
  const { db } = await postgres.freshDatabase();
  const { trialIds } = await insertFixtureSweep(db);
  const before = await loadSnapshot(db, fixtureSweepName);
  const running = trialIds.get(4)!;
  const waiting = trialIds.get(7)!;

  await sql`UPDATE trials SET state = 'COMPLETE', test_accuracy = 0.9, overfitting_gap = 0.01 WHERE id = ${running}`.execute(db);
  await sql`UPDATE trials SET state = 'RUNNING' WHERE id = ${waiting}`.execute(db);
  const after = await refreshTrials(db, before, [running]);

  assert.equal(after.trials.find((trial) => trial.id === running)?.testAccuracy, 0.9);
  assert.equal(after.trials.find((trial) => trial.id === waiting)?.state, 'WAITING');
  assert.equal(after.counts.COMPLETE, 4);
  assert.equal(after.trials.find((trial) => trial.number === 1), before.trials.find((trial) => trial.number === 1));
});

test('detail reads epochs, classes and confusion', async () => {
  const { db } = await postgres.freshDatabase();
  const { trialIds } = await insertFixtureSweep(db);

  const detail = await loadTrialDetail(db, trialIds.get(2)!);

  assert.deepEqual(
    detail.epochs.map((epoch) => `${epoch.phase}:${epoch.epoch}`),
    ['head:1', 'head:2', 'fine_tune:1', 'fine_tune:2'],
  );
  assert.deepEqual(detail.classes.map((row) => row.className), ['airplane', 'automobile', 'bird']);
  assert.equal(detail.confusion.length, 3);
  assert.equal(detail.confusion[1][1], 83);
  assert.equal(detail.confusion[0][2], 7);
});

test('cancel of waiting trial cancels it', async () => {
  const { db, url } = await postgres.freshDatabase();
  const { trialIds } = await insertFixtureSweep(db);
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  try {
    await listener.query('LISTEN sweep_events');
    const notified = once(listener, 'notification');

    const outcome = await cancelTrial(db, trialIds.get(7)!);

    assert.equal(outcome, 'cancelled');
    const row = await db.selectFrom('trials').select(['state', 'cancel_requested']).where('id', '=', trialIds.get(7)!).executeTakeFirstOrThrow();
    assert.equal(row.state, 'CANCELLED');
    assert.equal(row.cancel_requested, true);
    const [message] = (await notified) as [pg.Notification];
    assert.deepEqual(JSON.parse(message.payload ?? ''), {
      type: 'trial-state',
      sweep: fixtureSweepName,
      sweep_id: String((await db.selectFrom('sweeps').select('id').executeTakeFirstOrThrow()).id),
      trial_id: trialIds.get(7),
      number: 7,
      state: 'CANCELLED',
    });
  } finally {
    await listener.end();
  }
});

test('cancel of running trial sets the flag', async () => {
  const { db } = await postgres.freshDatabase();
  const { trialIds } = await insertFixtureSweep(db);

  const outcome = await cancelTrial(db, trialIds.get(4)!);

  assert.equal(outcome, 'requested');
  const row = await db.selectFrom('trials').select(['state', 'cancel_requested']).where('id', '=', trialIds.get(4)!).executeTakeFirstOrThrow();
  assert.equal(row.state, 'RUNNING');
  assert.equal(row.cancel_requested, true);
});

test('cancel of finished trial changes nothing', async () => {
  const { db } = await postgres.freshDatabase();
  const { trialIds } = await insertFixtureSweep(db);

  const outcome = await cancelTrial(db, trialIds.get(2)!);

  assert.equal(outcome, 'already-finished');
  const row = await db.selectFrom('trials').select(['state', 'cancel_requested']).where('id', '=', trialIds.get(2)!).executeTakeFirstOrThrow();
  assert.equal(row.state, 'COMPLETE');
  assert.equal(row.cancel_requested, false);
});
