import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LeaseLostError, TrialQueue, type ClaimedTrial } from '../../src/scheduler/trial-queue.ts';
import type { EpochMetrics } from '../../src/trainer/types.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { insertSweep } from './fixtures.ts';

const postgres = usePostgres();

function epoch(number: number): EpochMetrics {
  return {
    phase: 'head',
    epoch: number,
    loss: 1,
    accuracy: 0.5,
    val_loss: 1.1,
    val_accuracy: 0.4,
    learning_rate: 1e-3,
    seconds: 1,
    images_per_second: 10,
  };
}

describe('TrialQueue', () => {
  it('claims each trial once across concurrent workers', async () => {
    const { db } = await postgres.freshDatabase({ poolSize: 10 });
    const sweepId = await insertSweep(db, 'claims', 20);
    const queues = Array.from({ length: 6 }, (_, index) => new TrialQueue(db, { sweepId, sweepName: 'claims', workerId: `w${index}`, leaseSeconds: 30 }));

    const claimed: ClaimedTrial[] = [];
    await Promise.all(
      queues.map(async (queue) => {
        for (;;) {
          const trial = await queue.claim('cpu:0');
          if (trial === undefined) {
            return;
          }
          claimed.push(trial);
        }
      }),
    );

    const numbers = claimed.map((trial) => trial.number).sort((a, b) => a - b);
    assert.deepEqual(numbers, Array.from({ length: 20 }, (_, index) => index + 1));
    assert.ok(claimed.every((trial) => trial.attempt === 1));
  });

  it('rejects writes from a worker that lost the lease', async () => {
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, 'lost', 1);
    const first = new TrialQueue(db, { sweepId, sweepName: 'lost', workerId: 'first', leaseSeconds: 0.2 });
    const second = new TrialQueue(db, { sweepId, sweepName: 'lost', workerId: 'second', leaseSeconds: 30 });

    const stale = await first.claim('cpu:0');
    assert.ok(stale);
    await sleep(400);
    const expired = await second.requeueExpired();
    const fresh = await second.claim('cpu:1');

    assert.equal(expired.length, 1);
    assert.equal(expired[0]?.previousOwner, 'first');
    assert.equal(expired[0]?.ownerGone, false);
    assert.equal(fresh?.attempt, 2);
    await assert.rejects(first.recordEpoch(stale, epoch(1)), LeaseLostError);
    assert.equal((await first.renew(stale)).held, false);
    assert.equal(await first.fail(stale, 'late failure', false), undefined);
    const row = await db.selectFrom('trials').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.claimed_by, 'second');
    assert.equal(row.state, 'RUNNING');
  });

  it('requeues the trial of an ended local process at once', async () => {
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, 'gone', 1);
    // A child that has exited: its pid names no running process.
    const ended = spawnSync(process.execPath, ['-e', '']);
    const goneWorker = `${hostname()}:${ended.pid}:abcdef`;
    const owner = new TrialQueue(db, { sweepId, sweepName: 'gone', workerId: goneWorker, leaseSeconds: 30 });
    const sweeper = new TrialQueue(db, { sweepId, sweepName: 'gone', workerId: 'sweeper', leaseSeconds: 30 });
    assert.ok(await owner.claim('cpu:0'));

    const expired = await sweeper.requeueExpired();

    assert.equal(expired.length, 1);
    assert.equal(expired[0]?.ownerGone, true);
    assert.equal(expired[0]?.newState, 'WAITING');
    const row = await db.selectFrom('trials').selectAll().executeTakeFirstOrThrow();
    assert.match(row.error ?? '', /attempt 1 of 3 .*ended \(its process is gone\)/);
  });

  it('fails a trial whose lease expired on its last attempt', async () => {
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, 'attempts', 1, { maxAttempts: 2 });
    const queue = new TrialQueue(db, { sweepId, sweepName: 'attempts', workerId: 'w', leaseSeconds: 0.1 });

    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const trial = await queue.claim('cpu:0');
      assert.equal(trial?.attempt, attempt);
      await sleep(250);
      await queue.requeueExpired();
    }

    const row = await db.selectFrom('trials').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.state, 'FAIL');
    assert.equal(row.attempt, 2);
    assert.match(row.error ?? '', /attempt 2 of 2 .*stopped renewing its lease/);
    assert.equal(await queue.claim('cpu:0'), undefined);
  });

  it('releases a trial without counting the attempt', async () => {
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, 'release', 1);
    const queue = new TrialQueue(db, { sweepId, sweepName: 'release', workerId: 'w', leaseSeconds: 30 });

    const trial = await queue.claim('cpu:0');
    assert.ok(trial);
    assert.equal(await queue.release(trial, 'interrupted'), true);
    const again = await queue.claim('cpu:0');

    assert.equal(again?.attempt, 1);
  });

  it('keeps only the current run of epoch rows', async () => {
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, 'epochs', 1);
    const queue = new TrialQueue(db, { sweepId, sweepName: 'epochs', workerId: 'w', leaseSeconds: 30 });
    const trial = await queue.claim('cpu:0');
    assert.ok(trial);

    for (const number of [1, 2, 3]) {
      await queue.recordEpoch(trial, epoch(number));
    }
    await queue.recordEpoch(trial, epoch(1));

    const rows = await db.selectFrom('epoch_metrics').select(['epoch']).execute();
    assert.deepEqual(rows.map((row) => row.epoch), [1]);
  });

  it('stores NaN and Infinity metrics as they are', async () => {
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, 'nan', 1);
    const queue = new TrialQueue(db, { sweepId, sweepName: 'nan', workerId: 'w', leaseSeconds: 30 });
    const trial = await queue.claim('cpu:0');
    assert.ok(trial);

    await queue.recordEpoch(trial, { ...epoch(1), loss: Number.NaN, val_loss: Number.POSITIVE_INFINITY });

    const row = await db.selectFrom('epoch_metrics').selectAll().executeTakeFirstOrThrow();
    assert.ok(Number.isNaN(row.loss));
    assert.equal(row.val_loss, Number.POSITIVE_INFINITY);
  });

  it('reports a cancel request through the heartbeat', async () => {
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, 'cancel', 1);
    const queue = new TrialQueue(db, { sweepId, sweepName: 'cancel', workerId: 'w', leaseSeconds: 30 });
    const trial = await queue.claim('cpu:0');
    assert.ok(trial);

    await db.updateTable('trials').set({ cancel_requested: true }).execute();
    const status = await queue.renew(trial);
    await queue.markCancelled(trial);

    assert.equal(status.cancelRequested, true);
    const row = await db.selectFrom('trials').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.state, 'CANCELLED');
  });

  it('finishes the sweep when no trial is left', async () => {
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, 'finish', 1);
    const queue = new TrialQueue(db, { sweepId, sweepName: 'finish', workerId: 'w', leaseSeconds: 30 });
    const trial = await queue.claim('cpu:0');
    assert.ok(trial);

    assert.equal(await queue.finishSweepIfDone(), undefined);
    await queue.complete(trial, async () => {});
    const status = await queue.finishSweepIfDone();

    assert.equal(status, 'COMPLETE');
  });
});
