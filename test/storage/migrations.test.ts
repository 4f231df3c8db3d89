import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NO_MIGRATIONS, sql, type Kysely } from 'kysely';
import { checkResult, createMigrator, FolderMigrationProvider } from '../../src/storage/migrations.ts';
import { usePostgres } from '../helpers/postgres.ts';

const execFileAsync = promisify(execFile);
const postgres = usePostgres();

async function publicObjects(db: Kysely<any>): Promise<string[]> {
  const result = await sql<{ name: string }>`
    SELECT c.relkind::text || ':' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname NOT LIKE 'kysely_%'
    UNION ALL
    SELECT 'f:' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
    ORDER BY 1
  `.execute(db);
  return result.rows.map((row) => row.name);
}

test('every migration has up and down', async () => {
  const migrations = await new FolderMigrationProvider().getMigrations();
  const names = Object.keys(migrations);
  assert.ok(names.length >= 2);
  for (const name of names) {
    assert.equal(typeof migrations[name].down, 'function', `${name} has no down()`);
  }
});

test('migrations go up, down and up again', async () => {
  const { db, close } = await postgres.freshDatabase({ migrated: false });
  try {
    const migrator = createMigrator(db);
    checkResult(await migrator.migrateToLatest(), 'migrate up');
    const afterUp = await publicObjects(db);

    checkResult(await migrator.migrateTo(NO_MIGRATIONS), 'migrate down');
    const afterDown = await publicObjects(db);
    checkResult(await migrator.migrateToLatest(), 'migrate up again');
    const afterSecondUp = await publicObjects(db);

    assert.ok(afterUp.includes('r:trials'));
    assert.ok(afterUp.includes('v:leaderboard'));
    assert.deepEqual(afterDown, []);
    assert.deepEqual(afterSecondUp, afterUp);
  } finally {
    await close();
  }
});

test('each migration step down undoes only itself', async () => {
  const { db, close } = await postgres.freshDatabase({ migrated: false });
  try {
    const migrator = createMigrator(db);
    checkResult(await migrator.migrateTo('0001_results_schema'), 'migrate to 0001');
    const tablesOnly = await publicObjects(db);
    checkResult(await migrator.migrateToLatest(), 'migrate up');
    checkResult(await migrator.migrateDown(), 'migrate one down');

    assert.deepEqual(await publicObjects(db), tablesOnly);
    assert.ok(!tablesOnly.includes('v:leaderboard'));
  } finally {
    await close();
  }
});

test('two processes migrating at once apply each migration once', async () => {
  const { url, db, close } = await postgres.freshDatabase({ migrated: false });
  try {
    const script = fileURLToPath(new URL('./migrate-process.ts', import.meta.url));
    const startAt = String(Date.now() + 1500);
    const runs = await Promise.all(
      [1, 2].map(() => execFileAsync(process.execPath, ['--import', 'tsx', script, url, startAt], { timeout: 60_000 })),
    );

    const applied = runs.flatMap((run) => JSON.parse(run.stdout) as string[]).sort();
    const recorded = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db);
    const names = Object.keys(await new FolderMigrationProvider().getMigrations()).sort();
    assert.deepEqual(applied, names);
    assert.deepEqual(recorded.rows.map((row) => row.name), names);
  } finally {
    await close();
  }
});

test('a failed migration names itself and leaves nothing applied', async () => {
  const { db, close } = await postgres.freshDatabase({ migrated: false });
  try {
    await sql`CREATE TABLE sweeps (id integer)`.execute(db);
    await assert.rejects(createMigrator(db).migrateToLatest().then((result) => checkResult(result, 'migrate')), /at 0001_results_schema \(up\): .*already exists/);
    const recorded = await sql<{ count: string }>`SELECT count(*) AS count FROM kysely_migration`.execute(db);
    assert.equal(recorded.rows[0].count, '0');
  } finally {
    await close();
  }
});
