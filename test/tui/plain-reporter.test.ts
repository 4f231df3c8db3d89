import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/storage/schema.ts';
import { colorEnabled, diffSnapshots, formatSummaryLine, runPlainWatch } from '../../src/tui/plain-reporter.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { insertFixtureSweep } from './fixtures.ts';
import { waitForFrame } from './frames.ts';
import { snapshotOf, trialRow } from './rows.ts';

describe('plain lines', () => {
  const started = new Date('2026-01-01T00:10:00Z');
  const before = snapshotOf([
    trialRow({ number: 1, state: 'COMPLETE', testAccuracy: 0.7, overfittingGap: 0.1, durationSeconds: 60, isBaseline: true }),
    trialRow({ number: 2, state: 'WAITING', params: { lr: 0.001 } }),
    trialRow({ number: 3, state: 'RUNNING', startedAt: started, epoch: 1, phase: 'head', valAccuracyHistory: [0.5] }),
    trialRow({ number: 4, state: 'RUNNING', startedAt: started, epoch: 1, phase: 'head', valAccuracyHistory: [0.4] }),
  ]);
  const after = snapshotOf([
    before.trials[0],
    trialRow({ number: 2, state: 'RUNNING', params: { lr: 0.001 }, device: 'cpu:0', startedAt: started }),
    trialRow({ number: 3, state: 'COMPLETE', startedAt: started, epoch: 2, phase: 'head', valAccuracyHistory: [0.5, 0.8], testAccuracy: 0.79, overfittingGap: 0.05, durationSeconds: 125 }),
    trialRow({ number: 4, state: 'FAIL', startedAt: started, epoch: 1, phase: 'head', valAccuracyHistory: [0.4], error: 'RangeError: out of memory\n  at x' }),
  ]);

  test('each change gets one line', () => {
    const lines = diffSnapshots(before, after, false);

    assert.deepEqual(lines, [
      'trial 2 started on cpu:0 (lr=0.001)',
      'trial 3 epoch 2/10 head: val_accuracy 80.00%',
      'trial 3 finished: test accuracy 79.00%, gap 0.050, 2m05s (best so far)',
      'trial 4 failed: RangeError: out of memory',
    ]);
  });

  test('no change prints nothing', () => {
    assert.deepEqual(diffSnapshots(after, after, false), []);
  });

  test('color wraps state words only', () => {
    const lines = diffSnapshots(before, after, true);

    assert.equal(lines[3], 'trial 4 \u001b[31mfailed\u001b[39m: RangeError: out of memory');
  });

  test('NO_COLOR turns color off', () => {
    assert.equal(colorEnabled({ isTTY: true }, {}), true);
    assert.equal(colorEnabled({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(colorEnabled({ isTTY: false }, {}), false);
  });

  test('summary counts states', () => {
    assert.equal(
      formatSummaryLine(after),
      'sweep demo RUNNING: backend unknown, devices cpu:0; 4 trials: 2 done, 1 running, 0 waiting, 1 failed, 0 pruned, 0 cancelled',
    );
  });
});

describe('plain watch', () => {
  let server: TestPostgres;
  let db: Kysely<Database>;
  let url: string;

  before(async () => {
    server = await startTestPostgres();
    ({ db, url } = await server.freshDatabase());
  });

  after(async () => {
    await server?.stop();
  });

  test('prints events until the sweep ends', async () => {
    const { sweepId, trialIds } = await insertFixtureSweep(db);
    const lines: string[] = [];
    const watching = runPlainWatch({ db, url, sweepName: 'finetune-demo', write: (line) => lines.push(line), color: false, pollMs: 200 });
    await waitForFrame(() => lines.join('\n'), (text) => text.includes('sweep finetune-demo RUNNING'));

    const running = trialIds.get(4)!;
    await sql`INSERT INTO epoch_metrics (trial_id, phase, epoch, accuracy, val_accuracy) VALUES (${running}, 'fine_tune', 4, 0.86, 0.815)`.execute(db);
    await sql`SELECT pg_notify('sweep_events', ${JSON.stringify({ type: 'epoch', sweep: 'finetune-demo', sweep_id: sweepId, trial_id: running })})`.execute(db);
    await waitForFrame(() => lines.join('\n'), (text) => text.includes('epoch 4/10'));
    await sql`UPDATE trials SET state = 'COMPLETE', test_accuracy = 0.84, overfitting_gap = 0.04, duration_seconds = 400 WHERE id = ${running}`.execute(db);
    await sql`UPDATE trials SET state = 'CANCELLED' WHERE id = ${trialIds.get(7)!}`.execute(db);
    await sql`UPDATE sweeps SET status = 'COMPLETE', finished_at = now() WHERE id = ${sweepId}`.execute(db);
    await watching;

    assert.equal(lines[0], 'sweep finetune-demo RUNNING: backend cpu, devices cpu:0; 7 trials: 3 done, 1 running, 1 waiting, 1 failed, 1 pruned, 0 cancelled');
    assert.match(lines[1], /^best trial 2: test accuracy 82\.75%, gap 0\.060 \(\+9\.63 pts over baseline trial 1, 73\.12%\)$/);
    assert.ok(lines.includes('trial 4 epoch 4/10 fine_tune: val_accuracy 81.50%'), lines.join('\n'));
    assert.ok(lines.includes('trial 4 finished: test accuracy 84.00%, gap 0.040, 6m40s (best so far)'), lines.join('\n'));
    assert.ok(lines.includes('trial 7 cancelled'), lines.join('\n'));
    assert.match(lines.at(-2) ?? '', /^sweep finetune-demo COMPLETE: .* 4 done, 0 running/);
    assert.match(lines.at(-1) ?? '', /^best trial 4: test accuracy 84\.00%/);
  });
});
