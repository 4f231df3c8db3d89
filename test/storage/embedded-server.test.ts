import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../../src/storage/database.ts';
import { acquireEmbeddedServer, embeddedServerStatus, stopEmbeddedServer } from '../../src/storage/embedded-server.ts';

const execFileAsync = promisify(execFile);
const script = fileURLToPath(new URL('./embedded-process.ts', import.meta.url));
const stateDirs: string[] = [];

async function newStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sweep-embedded-test-'));
  // As root the server runs as `postgres`, which must be able to enter the folder.
  await chmod(dir, 0o755);
  stateDirs.push(dir);
  return dir;
}

async function runProcess(args: string[]): Promise<{ port: number; startedAt?: string }> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', script, ...args], { timeout: 120_000 });
  return JSON.parse(stdout);
}

afterEach(async () => {
  for (const dir of stateDirs.splice(0)) {
    await stopEmbeddedServer(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

test('second process reuses the running server', async () => {
  const stateDir = await newStateDir();
  const handle = await openDatabase({ stateDir });
  try {
    const started = await sql<{ started: Date }>`SELECT pg_postmaster_start_time() AS started`.execute(handle.db);

    const other = await runProcess(['open', stateDir, '0', '0']);

    assert.equal(other.port, Number(new URL(handle.url).port));
    assert.equal(other.startedAt, started.rows[0].started.toISOString());
    assert.equal((await embeddedServerStatus(stateDir)).running, true);
  } finally {
    await handle.close();
  }
  assert.equal((await embeddedServerStatus(stateDir)).running, false);
});

test('two processes starting at once share one server', async () => {
  const stateDir = await newStateDir();
  const startAt = String(Date.now() + 2000);

  const [first, second] = await Promise.all([
    runProcess(['open', stateDir, startAt, '1500']),
    runProcess(['open', stateDir, startAt, '1500']),
  ]);

  assert.equal(first.port, second.port);
  assert.equal(first.startedAt, second.startedAt);
  assert.equal((await embeddedServerStatus(stateDir)).running, false);
});

test('server stops when the last user releases it', async () => {
  const stateDir = await newStateDir();
  const first = await acquireEmbeddedServer(stateDir);
  const second = await acquireEmbeddedServer(stateDir);

  await first.release();
  const afterFirst = await embeddedServerStatus(stateDir);
  await second.release();
  const afterSecond = await embeddedServerStatus(stateDir);

  assert.equal(afterFirst.running, true);
  assert.equal(afterSecond.running, false);
  assert.equal(existsSync(join(afterSecond.paths.dataDir, 'PG_VERSION')), true);
});

test('client file of a dead process does not keep the server up', async () => {
  const stateDir = await newStateDir();
  const lease = await acquireEmbeddedServer(stateDir);
  const { paths } = await embeddedServerStatus(stateDir);
  // Pid 2^22 + 1 is above Linux's default pid_max, so no process has it.
  await mkdir(paths.clientsDir, { recursive: true });
  await writeFile(join(paths.clientsDir, '4194305-dead'), '4194305\n');

  await lease.release();

  assert.equal((await embeddedServerStatus(stateDir)).running, false);
});

test('pinned server outlives the process that started it', async () => {
  const stateDir = await newStateDir();

  // The process must exit on its own although the server keeps running.
  const pinned = await runProcess(['pin', stateDir]);
  const status = await embeddedServerStatus(stateDir);
  const lease = await acquireEmbeddedServer(stateDir);
  await lease.release();
  const afterRelease = await embeddedServerStatus(stateDir);
  const stopped = await stopEmbeddedServer(stateDir);

  assert.equal(status.running, true);
  assert.equal(status.pinned, true);
  assert.equal(status.port, pinned.port);
  assert.equal(afterRelease.running, true);
  assert.equal(stopped, true);
  assert.equal((await embeddedServerStatus(stateDir)).running, false);
});

test('restart after stop keeps the data', async () => {
  const stateDir = await newStateDir();
  const first = await openDatabase({ stateDir });
  await sql`INSERT INTO sweeps (name, spec, spec_hash, search_space_hash) VALUES ('kept', '{}', 'a', 'b')`.execute(first.db);
  await first.close();

  const second = await openDatabase({ stateDir });
  try {
    const rows = await second.db.selectFrom('sweeps').select('name').execute();
    assert.deepEqual(rows.map((row) => row.name), ['kept']);
  } finally {
    await second.close();
  }
});
