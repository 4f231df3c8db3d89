// Run by embedded-server.test.ts as a separate sweep process. Modes:
//   open STATE_DIR START_AT HOLD_MS  open the database at START_AT (ms since the epoch),
//                                    print {port, startedAt}, hold it HOLD_MS, then close
//   pin STATE_DIR                    start and pin the embedded server, print its port, exit
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openDatabase } from '../../src/storage/database.ts';
import { startPinnedEmbeddedServer } from '../../src/storage/embedded-server.ts';

const [mode, stateDir, startAt, holdMs] = process.argv.slice(2);

if (mode === 'pin') {
  const url = await startPinnedEmbeddedServer(stateDir);
  process.stdout.write(`${JSON.stringify({ port: Number(new URL(url).port) })}\n`);
} else {
  await sleep(Math.max(0, Number(startAt) - Date.now()));
  const handle = await openDatabase({ stateDir });
  try {
    const result = await sql<{ started: Date }>`SELECT pg_postmaster_start_time() AS started`.execute(handle.db);
    process.stdout.write(`${JSON.stringify({ port: Number(new URL(handle.url).port), startedAt: result.rows[0].started.toISOString() })}\n`);
    await sleep(Number(holdMs));
  } finally {
    await handle.close();
  }
}
