import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Kysely } from 'kysely';
import { loadSweepReportData } from '../../src/reports/sweep-report-data.ts';
import type { Database } from '../../src/storage/schema.ts';
import type { TrialConfig } from '../../src/spec/trial-config.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { CLASS_NAMES, makeConfusion, makeEpochs } from './fixtures.ts';

const postgres = usePostgres();
const binPath = new URL('../../src/cli/bin.js', import.meta.url).pathname;

const CONFIG = { dataset: { name: 'cifar10', validation_split: 0.1 } } as unknown as TrialConfig;

interface StoredTrial {
  number: number;
  params: Record<string, number>;
  accuracy: number;
  gap: number;
  baseline?: boolean;
  state?: 'COMPLETE' | 'FAIL' | 'RUNNING';
}

/** Stores a tiny finished sweep the way the scheduler records one. */
async function storeSweep(db: Kysely<Database>, name: string, trials: StoredTrial[]): Promise<void> {
  const sweep = await db
    .insertInto('sweeps')
    .values({ name, spec: JSON.stringify({ name }), spec_hash: 'a', search_space_hash: 'b', status: 'COMPLETE' })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const trial of trials) {
    const row = await db
      .insertInto('trials')
      .values({
        sweep_id: sweep.id,
        number: trial.number,
        config: JSON.stringify(CONFIG),
        config_hash: `hash-${trial.number}`,
        params: JSON.stringify(trial.params),
        is_baseline: trial.baseline ?? false,
        state: trial.state ?? 'COMPLETE',
        test_accuracy: trial.state === 'FAIL' ? null : trial.accuracy,
        overfitting_gap: trial.state === 'FAIL' ? null : trial.gap,
        error: trial.state === 'FAIL' ? 'Error: worker exited with code 1' : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (trial.state === 'FAIL') {
      continue;
    }
    await db
      .insertInto('epoch_metrics')
      .values(makeEpochs(3, 1).map((epoch) => ({ trial_id: row.id, phase: epoch.phase, epoch: epoch.epoch, loss: epoch.loss, accuracy: epoch.accuracy, val_loss: epoch.val_loss, val_accuracy: epoch.val_accuracy })))
      .execute();
    await db
      .insertInto('class_metrics')
      .values(CLASS_NAMES.map((className, index) => ({ trial_id: row.id, class_index: index, class_name: className, precision: 0.5, recall: 0.5, f1: 0.5, support: 10 })))
      .execute();
    const confusion = makeConfusion(8, trial.baseline === true ? 4 : 2);
    await db
      .insertInto('confusion_cells')
      .values(confusion.flatMap((counts, actual) => counts.map((count, predicted) => ({ trial_id: row.id, true_class: actual, predicted_class: predicted, count }))))
      .execute();
  }
}

const TRIALS: StoredTrial[] = [
  { number: 1, params: {}, accuracy: 0.41, gap: 0.2, baseline: true },
  { number: 2, params: { unfrozen: 0, dense: 128 }, accuracy: 0.52, gap: Number.NaN },
  { number: 3, params: { unfrozen: 20, dense: 128 }, accuracy: 0.55, gap: 0.05 },
  { number: 4, params: { unfrozen: 20, dense: 256 }, accuracy: 0.55, gap: 0.03 },
  { number: 5, params: { unfrozen: 0, dense: 256 }, accuracy: Number.NaN, gap: 0.01 },
  { number: 6, params: { unfrozen: 40, dense: 256 }, accuracy: 0, gap: 0, state: 'FAIL' },
];

test('report data ranks stored trials', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    await storeSweep(db, 'ranked', TRIALS);
    const data = await loadSweepReportData(db, 'ranked');

    assert.deepEqual(data.trials.map((trial) => trial.number), [4, 3, 2, 1, 5, 6]);
    assert.equal(data.best?.number, 4);
    assert.equal(data.baseline?.number, 1);
    assert.deepEqual(data.bestDetail?.classNames, CLASS_NAMES);
    assert.equal(data.baselineDetail?.confusion[3][5], 4);
    assert.equal(data.curves.get(4)?.length, 4);
    assert.ok(Number.isNaN(data.trials[2].overfitting_gap));
  } finally {
    await close();
  }
});

test('report data rejects an unknown sweep', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    await assert.rejects(loadSweepReportData(db, 'missing'), /sweep not found: "missing"/);
  } finally {
    await close();
  }
});

test('sweep report command writes the files', async () => {
  const { db, url, close } = await postgres.freshDatabase();
  const out = await mkdtemp(join(tmpdir(), 'sweep-report-cli-'));
  try {
    await storeSweep(db, 'café sweep', TRIALS);
    const run = spawnSync(process.execPath, [binPath, '--database-url', url, 'report', 'café sweep', '--out', out], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Wrote the report of sweep "café sweep"/);

    const markdown = await readFile(join(out, 'report.md'), 'utf8');
    assert.match(markdown, /Best trial #4 dense=256 unfrozen=20 reached 55\.00% test accuracy, \+14\.00 points over the simple-CNN baseline #1 \(41\.00%\)/);
    assert.match(markdown, /Most confused pairs of trial #1: cat vs dog \(8: 4 \+ 4\)/);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    assert.match(html, /<h2>Confusion matrices<\/h2>/);
  } finally {
    await close();
    await rm(out, { recursive: true, force: true });
  }
});
