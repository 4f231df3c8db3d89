import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { usePostgres } from '../helpers/postgres.ts';

const postgres = usePostgres();

test('fresh database has the migrated tables', async () => {
  const { db, close } = await postgres.freshDatabase();
  try {
    const rows = await db.selectFrom('sweeps').selectAll().execute();
    assert.deepEqual(rows, []);
  } finally {
    await close();
  }
});

test('unmigrated fresh database has no tables', async () => {
  const { db, close } = await postgres.freshDatabase({ migrated: false });
  try {
    const result = await sql<{ count: string }>`SELECT count(*) AS count FROM pg_tables WHERE schemaname = 'public'`.execute(db);
    assert.equal(result.rows[0]?.count, '0');
  } finally {
    await close();
  }
});

test('fresh databases are separate', async () => {
  const first = await postgres.freshDatabase();
  const second = await postgres.freshDatabase();
  try {
    assert.notEqual(first.url, second.url);
  } finally {
    await first.close();
    await second.close();
  }
});
