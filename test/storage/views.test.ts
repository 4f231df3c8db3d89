import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { createMigrator, checkResult } from '../../src/storage/migrations.ts';
import { createOrGetSweep } from '../../src/storage/sweep-repository.ts';
import { insertPlannedTrials, recordEpoch, recordTrialResult } from '../../src/storage/trial-repository.ts';
import { RANKING_METRICS } from '../../src/spec/sweep-file-schema.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { baselineConfig, epochMetrics, newSweep, planned, plannedGrid, trialResult } from './fixtures.ts';

const postgres = usePostgres();
const dashboards = new URL('../../dashboards/', import.meta.url);

/** Definitions of the views and functions in the public schema, by name. */
async function definitions(db: Kysely<any>): Promise<Map<string, string>> {
  const result = await sql<{ name: string; definition: string }>`
    SELECT 'view ' || c.relname AS name, pg_get_viewdef(c.oid) AS definition
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'v'
    UNION ALL
    SELECT 'function ' || p.proname, pg_get_functiondef(p.oid)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
  `.execute(db);
  // Function bodies keep their source layout, which differs in indentation.
  return new Map(result.rows.map((row) => [row.name, row.definition.replace(/\s+/g, ' ').trim()]));
}

test('dashboards SQL files match the migrations', async () => {
  const migrated = await postgres.freshDatabase();
  const fromFiles = await postgres.freshDatabase({ migrated: false });
  try {
    checkResult(await createMigrator(fromFiles.db).migrateTo('0001_results_schema'), 'migrate to 0001');
    const files = (await readdir(dashboards)).filter((name) => name.endsWith('.sql')).sort();
    const client = new pg.Client({ connectionString: fromFiles.url });
    await client.connect();
    try {
      for (const file of files) {
        await client.query(await readFile(new URL(file, dashboards), 'utf8'));
      }
    } finally {
      await client.end();
    }

    const expected = await definitions(migrated.db);
    const actual = await definitions(fromFiles.db);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [name, definition] of expected) {
      assert.equal(actual.get(name), definition, `${name} differs between dashboards/ and the migrations`);
    }
  } finally {
    await migrated.close();
    await fromFiles.close();
  }
});

test('every ranking metric is known to sweep_trial_metric', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('metrics'));
    const { inserted } = await insertPlannedTrials(db, sweep.id, plannedGrid(1));
    await recordTrialResult(db, inserted[0].id, trialResult(0.8, 0.05));
    for (const metric of RANKING_METRICS) {
      const result = await sql<{ value: number | null }>`
        SELECT sweep_trial_metric(t, ${metric}) AS value FROM trials t WHERE id = ${inserted[0].id}
      `.execute(db);
      assert.equal(typeof result.rows[0].value, 'number', `sweep_trial_metric does not know ${metric}`);
    }
  } finally {
    await close();
  }
});

test('summary views group by the swept settings', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('summaries'));
    const { inserted } = await insertPlannedTrials(db, sweep.id, [planned(baselineConfig(), {}, true), ...plannedGrid(6)]);
    const accuracies = [0.73, 0.8, 0.82, Number.NaN, 0.84, 0.81, 0.79];
    for (const [index, trial] of inserted.entries()) {
      await recordTrialResult(db, trial.id, trialResult(accuracies[index], 0.05 + index / 100));
    }
    await db.updateTable('trials').set({ state: 'COMPLETE' }).where('sweep_id', '=', sweep.id).execute();

    const byLayers = await db.selectFrom('summary_by_unfrozen_layers').selectAll().where('sweep_id', '=', sweep.id).orderBy('unfreeze_layers').execute();
    const byDense = await db.selectFrom('summary_by_dense_units').selectAll().where('sweep_id', '=', sweep.id).orderBy('dense_units').execute();
    const byAugmentation = await db.selectFrom('summary_by_augmentation').selectAll().where('sweep_id', '=', sweep.id).orderBy('augmentation').execute();
    const byLr = await db.selectFrom('summary_by_fine_tune_lr').selectAll().where('sweep_id', '=', sweep.id).execute();
    const byParam = await db.selectFrom('param_summary').selectAll().where('sweep_id', '=', sweep.id).where('param', '=', 'dense_units').orderBy('value').execute();

    // plannedGrid: unfreeze cycles 0, 20, 40; dense cycles 128, 256; flip on every 4th.
    assert.deepEqual(byLayers.map((row) => [row.unfreeze_layers, row.trials]), [[0, 2], [20, 2], [40, 2]]);
    assert.equal(byLayers[2].non_finite, 1);
    assert.equal(byLayers[2].mean_test_accuracy, 0.79);
    assert.ok(Math.abs((byLayers[0].mean_test_accuracy ?? 0) - 0.82) < 1e-12);
    assert.deepEqual(byDense.map((row) => [row.dense_units, row.trials, row.max_test_accuracy]), [[128, 3, 0.81], [256, 3, 0.84]]);
    assert.deepEqual(byAugmentation.map((row) => [row.augmentation, row.trials]), [['flip,translation=0.1', 2], ['none', 4]]);
    assert.equal(byLr.length, 6);
    assert.deepEqual(byParam.map((row) => [row.value, row.trials]), [['128', 3], ['256', 3]]);
  } finally {
    await close();
  }
});

test('sweep summary without a baseline has no improvement', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('no-baseline'));
    const { inserted } = await insertPlannedTrials(db, sweep.id, plannedGrid(2));
    await recordTrialResult(db, inserted[1].id, trialResult(0.8, 0.05));
    await db.updateTable('trials').set({ state: 'COMPLETE' }).where('id', '=', inserted[1].id).execute();

    const summary = await db.selectFrom('sweep_summary').selectAll().where('sweep_id', '=', sweep.id).executeTakeFirstOrThrow();
    assert.equal(summary.trials, 2);
    assert.equal(summary.waiting, 1);
    assert.equal(summary.complete, 1);
    assert.equal(summary.best_trial, 2);
    assert.equal(summary.baseline_test_accuracy, null);
    assert.equal(summary.improvement_points, null);
  } finally {
    await close();
  }
});

test('Grafana dashboard queries run on the views', async () => {
  const { db, url, close } = await postgres.freshDatabase();
  try {
    const dashboard = JSON.parse(await readFile(new URL('grafana-sweep.json', dashboards), 'utf8')) as {
      panels: { title: string; targets: { rawSql: string }[] }[];
      templating: { list: { query: string }[] };
    };
    const { sweep } = await createOrGetSweep(db, newSweep("it's"));
    const { inserted } = await insertPlannedTrials(db, sweep.id, [planned(baselineConfig(), {}, true), ...plannedGrid(3)]);
    for (const trial of inserted) {
      await recordTrialResult(db, trial.id, trialResult(0.8, 0.05));
      await recordEpoch(db, trial.id, epochMetrics('head', 1, 0.7));
    }
    await db.updateTable('trials').set({ state: 'COMPLETE' }).execute();

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const queries = [
        ...dashboard.templating.list.map((variable) => ({ title: 'variable', sql: variable.query })),
        ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ title: panel.title, sql: target.rawSql }))),
      ];
      assert.ok(queries.length > 5);
      for (const query of queries) {
        // Grafana's ${sweep:sqlstring} is the value quoted as an SQL string literal.
        const text = query.sql.replaceAll('${sweep:sqlstring}', client.escapeLiteral("it's"));
        const result = await client.query(text);
        assert.ok(result.rows.length > 0, `${query.title} returned no rows`);
      }
    } finally {
      await client.end();
    }
  } finally {
    await close();
  }
});
