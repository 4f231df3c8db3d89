import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { usePostgres } from '../helpers/postgres.ts';
import { startCli, waitFor, writeTinySweepFile } from './cli-helpers.ts';
import { writeTinyCifar } from './fixtures.ts';

const postgres = usePostgres();
let home: string;
let dataDir: string;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'sweep-stop-test-'));
  dataDir = await writeTinyCifar(join(home, 'cifar'), 12);
});

after(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('stopping a sweep', () => {
  it('requeues on Ctrl+C and resumes from the checkpoint', async () => {
    const { db, url } = await postgres.freshDatabase();
    const file = await writeTinySweepFile(home, { name: 'interrupted', dataDir, seeds: 1, epochs: 3 });
    const options = { databaseUrl: url, home };

    const first = startCli(['start', file, '--no-tui', '--workers', '1'], options);
    await waitFor(async () => (await db.selectFrom('epoch_metrics').select('epoch').execute()).length >= 1, 120_000, 'the first epoch');
    first.child.kill('SIGINT');
    const code = await first.exited;

    assert.equal(code, 130, first.output());
    assert.match(first.output(), /trial 1 back to the queue: interrupted by the user/);
    const stopped = await db.selectFrom('trials').select(['state', 'attempt', 'claimed_by']).executeTakeFirstOrThrow();
    assert.equal(stopped.state, 'WAITING');
    assert.equal(stopped.attempt, 0);
    assert.equal(stopped.claimed_by, null);

    const second = startCli(['start', file, '--no-tui', '--workers', '1'], options);
    assert.equal(await second.exited, 0, second.output());
    assert.match(second.output(), /trial 1 resumed from its checkpoint at head epoch \d/);
    const trial = await db.selectFrom('trials').select(['id', 'state', 'attempt']).executeTakeFirstOrThrow();
    assert.equal(trial.state, 'COMPLETE');
    assert.equal(trial.attempt, 1);
    const epochs = await db.selectFrom('epoch_metrics').select('epoch').where('trial_id', '=', trial.id).orderBy('epoch').execute();
    assert.deepEqual(epochs.map((row) => row.epoch), [1, 2, 3]);
  });

  it('aborts running trials on a second Ctrl+C', async () => {
    const { db, url } = await postgres.freshDatabase();
    const file = await writeTinySweepFile(home, { name: 'aborted', dataDir, seeds: 1, epochs: 20 });
    const run = startCli(['start', file, '--no-tui', '--workers', '1'], { databaseUrl: url, home });
    await waitFor(async () => (await db.selectFrom('epoch_metrics').select('epoch').execute()).length >= 1, 120_000, 'the first epoch');

    run.child.kill('SIGINT');
    await waitFor(async () => run.output().includes('Press Ctrl+C again'), 30_000, 'the first interrupt message');
    run.child.kill('SIGINT');
    const code = await run.exited;

    assert.equal(code, 130, run.output());
    assert.match(run.output(), /Stopping now/);
    const trial = await db.selectFrom('trials').select(['state', 'attempt']).executeTakeFirstOrThrow();
    assert.equal(trial.state, 'WAITING');
    assert.equal(trial.attempt, 0);
    const epochs = await db.selectFrom('epoch_metrics').select('epoch').execute();
    assert.ok(epochs.length < 20);
  });

  it('cancels a running sweep with sweep cancel', async () => {
    const { db, url } = await postgres.freshDatabase();
    const file = await writeTinySweepFile(home, { name: 'cancelled', dataDir, seeds: 3, epochs: 12 });
    const options = { databaseUrl: url, home };

    const run = startCli(['start', file, '--no-tui', '--workers', '1', '--lease-seconds', '3'], options);
    await waitFor(async () => (await db.selectFrom('epoch_metrics').select('epoch').execute()).length >= 1, 120_000, 'the first epoch');
    const cancel = startCli(['cancel', 'cancelled'], options);
    assert.equal(await cancel.exited, 0, cancel.output());
    const code = await run.exited;

    assert.equal(code, 0, run.output());
    // The cancel may land in any trial's epochs, so the test finds the trial it stopped.
    const stoppedRunning = /^trial (\d+) cancelled/m.exec(run.output());
    assert.ok(stoppedRunning, run.output());
    const trials = await db.selectFrom('trials').select(['id', 'number', 'state']).orderBy('number').execute();
    assert.ok(trials.every((trial) => trial.state === 'COMPLETE' || trial.state === 'CANCELLED'));
    const running = trials.find((trial) => trial.number === Number(stoppedRunning[1]));
    assert.equal(running?.state, 'CANCELLED');
    const epochs = await db.selectFrom('epoch_metrics').select('epoch').where('trial_id', '=', running?.id ?? '0').execute();
    assert.ok(epochs.length >= 1);
    assert.ok(epochs.length < 12);
    const sweep = await db.selectFrom('sweeps').select('status').executeTakeFirstOrThrow();
    assert.equal(sweep.status, 'CANCELLED');
  });
});
