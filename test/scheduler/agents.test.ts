import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planTrials } from '../../src/planner/plan-trials.ts';
import { prepareSweep } from '../../src/scheduler/sweep-setup.ts';
import { loadSpecFile } from '../../src/spec/parse-spec.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { startCli, waitFor, writeTinySweepFile } from './cli-helpers.ts';
import { writeTinyCifar } from './fixtures.ts';

const postgres = usePostgres();
let home: string;
let dataDir: string;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'sweep-agents-test-'));
  dataDir = await writeTinyCifar(join(home, 'cifar'), 12);
});

after(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Counts lines `trial N finished` per trial number across outputs. */
function finishedCounts(outputs: readonly string[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const output of outputs) {
    for (const match of output.matchAll(/^trial (\d+) finished/gm)) {
      const number = Number(match[1]);
      counts.set(number, (counts.get(number) ?? 0) + 1);
    }
  }
  return counts;
}

describe('sweep agent', () => {
  it('runs each trial exactly once across 4 agents', async () => {
    const { db, url } = await postgres.freshDatabase();
    const file = await writeTinySweepFile(home, { name: 'four-agents', dataDir, seeds: 6, epochs: 1 });
    await prepareSweep(db, await loadSpecFile(file), (spec, existingHashes) => planTrials(spec, { existingHashes }));

    const agents = Array.from({ length: 4 }, () => startCli(['agent', 'four-agents', '--no-tui', '--workers', '1'], { databaseUrl: url, home }));
    const codes = await Promise.all(agents.map((agent) => agent.exited));

    assert.deepEqual(codes, [0, 0, 0, 0], agents.map((agent) => agent.output()).join('\n----\n'));
    const trials = await db.selectFrom('trials').select(['number', 'state', 'attempt']).orderBy('number').execute();
    assert.equal(trials.length, 6);
    assert.ok(trials.every((trial) => trial.state === 'COMPLETE'));
    assert.ok(trials.every((trial) => trial.attempt === 1));
    const counts = finishedCounts(agents.map((agent) => agent.output()));
    assert.deepEqual([...counts.entries()].sort((a, b) => a[0] - b[0]), [1, 2, 3, 4, 5, 6].map((number) => [number, 1]));
    const epochs = await db.selectFrom('epoch_metrics').select('trial_id').execute();
    assert.equal(epochs.length, 6);
  });

  it('requeues the trial of an agent killed with SIGKILL', async () => {
    const { db, url } = await postgres.freshDatabase();
    const file = await writeTinySweepFile(home, { name: 'killed-agent', dataDir, seeds: 3, epochs: 2 });
    await prepareSweep(db, await loadSpecFile(file), (spec, existingHashes) => planTrials(spec, { existingHashes }));
    const options = { databaseUrl: url, home };

    const victim = startCli(['agent', 'killed-agent', '--no-tui', '--workers', '1', '--lease-seconds', '2'], options);
    await waitFor(
      async () => {
        const row = await db.selectFrom('epoch_metrics').select('trial_id').executeTakeFirst();
        return row !== undefined;
      },
      120_000,
      'the first committed epoch',
    );
    const claimed = await db.selectFrom('trials').select(['number']).where('claimed_by', 'like', `%:${victim.child.pid}:%`).executeTakeFirstOrThrow();
    victim.child.kill('SIGKILL');
    await victim.exited;
    const survivor = startCli(['agent', 'killed-agent', '--no-tui', '--workers', '1', '--lease-seconds', '2'], options);
    const code = await survivor.exited;

    assert.equal(code, 0, survivor.output());
    const trials = await db.selectFrom('trials').select(['id', 'number', 'state', 'attempt', 'head_epochs']).orderBy('number').execute();
    assert.ok(trials.every((trial) => trial.state === 'COMPLETE'));
    const killed = trials.find((trial) => trial.number === claimed.number);
    assert.equal(killed?.attempt, 2);
    for (const trial of trials) {
      const epochs = await db.selectFrom('epoch_metrics').select('epoch').where('trial_id', '=', trial.id).orderBy('epoch').execute();
      assert.deepEqual(epochs.map((row) => row.epoch), [1, 2]);
    }
  });
});

describe('sweep start', () => {
  it('resumes after the whole sweep was killed', async () => {
    const { db, url } = await postgres.freshDatabase();
    const file = await writeTinySweepFile(home, { name: 'killed-sweep', dataDir, seeds: 3, epochs: 2 });
    const options = { databaseUrl: url, home };

    const first = startCli(['start', file, '--no-tui', '--workers', '1', '--lease-seconds', '2'], options);
    await waitFor(
      async () => {
        const done = await db.selectFrom('trials').select('id').where('state', '=', 'COMPLETE').execute();
        const epochs = await db.selectFrom('epoch_metrics').select('trial_id').execute();
        return done.length >= 1 && epochs.length > 2;
      },
      180_000,
      'one complete trial and an epoch of the next',
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const before = await db.selectFrom('trials').select(['number', 'state', 'finished_at']).where('state', '=', 'COMPLETE').execute();
    const second = startCli(['start', file, '--no-tui', '--workers', '1', '--lease-seconds', '2'], options);
    const code = await second.exited;

    assert.equal(code, 0, second.output());
    assert.match(second.output(), /sweep killed-sweep resumed/);
    const trials = await db.selectFrom('trials').select(['id', 'number', 'state', 'attempt', 'finished_at']).orderBy('number').execute();
    assert.ok(trials.every((trial) => trial.state === 'COMPLETE'));
    for (const done of before) {
      const now = trials.find((trial) => trial.number === done.number);
      assert.deepEqual(now?.finished_at, done.finished_at, `trial ${done.number} ran again`);
    }
    assert.equal(finishedCounts([second.output()]).size, 3 - before.length);
    for (const trial of trials) {
      const epochs = await db.selectFrom('epoch_metrics').select('epoch').where('trial_id', '=', trial.id).orderBy('epoch').execute();
      assert.deepEqual(epochs.map((row) => row.epoch), [1, 2]);
    }
  });
});
