import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openArtifactStore } from '../../src/artifacts/open-artifact-store.ts';
import { SweepEventEmitter } from '../../src/scheduler/events.ts';
import { planDevices } from '../../src/scheduler/devices.ts';
import { ArtifactSpool } from '../../src/artifacts/artifact-spool.ts';
import { MedianPruner } from '../../src/scheduler/pruning/median-pruner.ts';
import { SweepRunner } from '../../src/scheduler/sweep-runner.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { startS3Server } from '../helpers/s3.ts';
import { insertSweep, writeTinyCifar } from './fixtures.ts';

const postgres = usePostgres();
let workDir: string;
let dataDir: string;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'sweep-runner-test-'));
  dataDir = await writeTinyCifar(join(workDir, 'cifar'), 12);
  // Read only where trials train: trial 2 raises, trial 3 ends its thread or process.
  process.env.SWEEP_TEST_FAIL_TRIAL = '2:throw,3:exit';
});

after(async () => {
  delete process.env.SWEEP_TEST_FAIL_TRIAL;
  await rm(workDir, { recursive: true, force: true });
});

for (const isolation of ['thread', 'process'] as const) {
  describe(`SweepRunner with ${isolation} isolation`, () => {
    it('completes good trials and fails broken ones', async () => {
      const { db } = await postgres.freshDatabase();
      const name = `runner-${isolation}`;
      const sweepId = await insertSweep(db, name, 4, { datasetPath: dataDir });
      const events = new SweepEventEmitter();
      const seen: string[] = [];
      events.on('trial-finished', (event) => seen.push(`finished ${event.number}`));
      events.on('trial-failed', (event) => seen.push(`failed ${event.number}`));
      const store = openArtifactStore(join(workDir, `artifacts-${isolation}`));
      const runner = new SweepRunner({
        db,
        sweepId,
        sweepName: name,
        plan: planDevices({ workers: 2, gpus: [], nativeBackend: false, isolation }),
        events,
        artifacts: store,
        stateDir: join(workDir, `state-${isolation}`),
      });

      const summary = await runner.run();

      const trials = await db.selectFrom('trials').selectAll().orderBy('number').execute();
      assert.deepEqual(
        trials.map((trial) => trial.state),
        ['COMPLETE', 'FAIL', 'FAIL', 'COMPLETE'],
      );
      assert.match(trials[1]?.error ?? '', /injected failure for trial 2/);
      assert.match(trials[2]?.error ?? '', isolation === 'thread' ? /worker thread ended/ : /trial process exited with code 70/);
      assert.ok(trials.every((trial) => trial.attempt === 1 && trial.claimed_by === null));
      assert.equal(summary.completed, 2);
      assert.equal(summary.failed, 2);
      assert.equal(summary.reason, 'done');
      assert.deepEqual(seen.sort(), ['failed 2', 'failed 3', 'finished 1', 'finished 4']);

      const complete = trials.filter((trial) => trial.state === 'COMPLETE');
      for (const trial of complete) {
        assert.equal(typeof trial.test_accuracy, 'number');
        const epochs = await db.selectFrom('epoch_metrics').selectAll().where('trial_id', '=', trial.id).execute();
        assert.equal(epochs.length, 1);
        const classes = await db.selectFrom('class_metrics').selectAll().where('trial_id', '=', trial.id).execute();
        assert.equal(classes.length, 10);
        const files = await db.selectFrom('artifacts').select(['name', 'uri']).where('trial_id', '=', trial.id).orderBy('name').execute();
        assert.deepEqual(
          files.map((file) => file.name),
          ['classification-report.json', 'classification-report.md', 'confusion_matrix.png', 'confusion_matrix.svg', 'curves.png', 'curves.svg', 'metrics.json', 'model.json', 'trial.log', 'weights.bin'],
        );
      }

      const sweep = await db.selectFrom('sweeps').select('status').where('id', '=', sweepId).executeTakeFirstOrThrow();
      assert.equal(sweep.status, 'COMPLETE');
      const metricsKey = store.keyFor({ sweep: name, trial: 1, name: 'metrics.json' });
      const copy = join(workDir, `metrics-${isolation}.json`);
      await store.get(metricsKey, copy);
      const metrics = JSON.parse(await readFile(copy, 'utf8')) as { test_accuracy: number };
      assert.equal(metrics.test_accuracy, complete[0]?.test_accuracy);
      store.close();
    });
  });
}

describe('SweepRunner pruning', () => {
  it('prunes a trial worse than finished ones', async () => {
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, 'pruning', 2, { datasetPath: dataDir, epochs: 3 });
    // Trial 1 stands for a finished trial that reached val_accuracy 1.0 at every epoch.
    const finished = await db.updateTable('trials').set({ state: 'COMPLETE' }).where('number', '=', 1).returning('id').executeTakeFirstOrThrow();
    for (const epoch of [1, 2, 3]) {
      await db
        .insertInto('epoch_metrics')
        .values({ trial_id: finished.id, phase: 'head', epoch, loss: 0, accuracy: 1, val_loss: 0, val_accuracy: 1, learning_rate: 1e-3, seconds: 1, images_per_second: 1 })
        .execute();
    }
    // Worker threads copy the environment when they start; this run injects no failure.
    const injected = process.env.SWEEP_TEST_FAIL_TRIAL;
    process.env.SWEEP_TEST_FAIL_TRIAL = '';
    const events = new SweepEventEmitter();
    const pruned: number[] = [];
    events.on('trial-pruned', (event) => pruned.push(event.number));
    const runner = new SweepRunner({
      db,
      sweepId,
      sweepName: 'pruning',
      plan: planDevices({ workers: 1, gpus: [], nativeBackend: false, isolation: 'thread' }),
      events,
      stateDir: join(workDir, 'state-pruning'),
      pruning: { pruner: new MedianPruner({ metric: 'val_accuracy', min_epochs: 1, min_trials: 1 }), metric: 'val_accuracy' },
    });

    const summary = await runner.run().finally(() => {
      process.env.SWEEP_TEST_FAIL_TRIAL = injected;
    });

    assert.equal(summary.pruned, 1);
    assert.deepEqual(pruned, [2]);
    const trial = await db.selectFrom('trials').selectAll().where('number', '=', 2).executeTakeFirstOrThrow();
    assert.equal(trial.state, 'PRUNED');
    assert.equal(trial.pruned_at_epoch, 1);
    assert.match(trial.error ?? '', /worse than the median/);
  });
});

describe('SweepRunner with S3', () => {
  it('uploads to S3, then spools while S3 is down', async () => {
    const server = await startS3Server();
    const injected = process.env.SWEEP_TEST_FAIL_TRIAL;
    process.env.SWEEP_TEST_FAIL_TRIAL = '';
    try {
      const { db } = await postgres.freshDatabase();
      const store = openArtifactStore(`s3://${server.bucket}/runs`, {
        endpoint: server.endpoint,
        region: server.region,
        credentials: server.credentials,
        retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
        connectionTimeoutMs: 1000,
      });
      const spool = new ArtifactSpool(join(workDir, 'spool'));
      const run = async (name: string): Promise<string> => {
        const sweepId = await insertSweep(db, name, 1, { datasetPath: dataDir });
        const runner = new SweepRunner({
          db,
          sweepId,
          sweepName: name,
          plan: planDevices({ workers: 1, gpus: [], nativeBackend: false, isolation: 'thread' }),
          events: new SweepEventEmitter(),
          artifacts: store,
          spool,
          stateDir: join(workDir, `state-${name}`),
        });
        await runner.run();
        return sweepId;
      };

      const online = await run('s3-online');
      await server.suspend();
      const offline = await run('s3-offline');

      const uploaded = await db.selectFrom('artifacts').select(['uri']).where('sweep_id', '=', online).execute();
      // model.json, weights.bin, metrics.json, the classification report (JSON and
      // Markdown), the log, and the curves and confusion matrix as SVG and PNG.
      const trialFiles = 10;
      assert.equal(uploaded.length, trialFiles);
      assert.ok(uploaded.every((file) => file.uri.startsWith(`s3://${server.bucket}/runs/s3-online/trial-0001/`)));
      const states = await db.selectFrom('trials').select(['state']).where('sweep_id', '=', offline).execute();
      assert.deepEqual(states.map((trial) => trial.state), ['COMPLETE']);
      const recorded = await db.selectFrom('artifacts').select(['uri']).where('sweep_id', '=', offline).execute();
      assert.equal(recorded.length, 0);
      const listing = await spool.list();
      assert.equal(listing.entries.length, trialFiles);
      store.close();
    } finally {
      process.env.SWEEP_TEST_FAIL_TRIAL = injected;
      await server.stop();
    }
  });
});
