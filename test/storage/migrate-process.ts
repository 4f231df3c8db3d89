// Run by migrations.test.ts as a separate process: waits until the given
// start time, migrates the database at the given URL to the latest version and
// prints the names of the migrations that this process applied, as JSON.
import { setTimeout as sleep } from 'node:timers/promises';
import { createKysely } from '../../src/storage/database.ts';
import { migrateToLatest } from '../../src/storage/migrations.ts';

const [url, startAt] = process.argv.slice(2);
const db = createKysely(url, 2);
try {
  await sleep(Math.max(0, Number(startAt) - Date.now()));
  const resultSet = await migrateToLatest(db);
  const applied = (resultSet.results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
  process.stdout.write(`${JSON.stringify(applied)}\n`);
} finally {
  await db.destroy();
}
