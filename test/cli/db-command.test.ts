import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stopEmbeddedServer } from '../../src/storage/embedded-server.ts';
import { usePostgres } from '../helpers/postgres.ts';

const execFileAsync = promisify(execFile);
const bin = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
const postgres = usePostgres();

/** Runs the `sweep` command as a user would, in its own process. */
async function sweep(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout: string; stderr: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test('db info keeps the embedded server up until db stop', async () => {
  const home = await mkdtemp(join(tmpdir(), 'sweep-db-cli-'));
  await chmod(home, 0o755);
  const env = { SWEEP_HOME: home, DATABASE_URL: '' };
  try {
    const info = await sweep(env, 'db', 'info');
    const url = await sweep(env, 'db', 'url');
    const status = await sweep(env, 'db', 'status');
    const stop = await sweep(env, 'db', 'stop');
    const stopAgain = await sweep(env, 'db', 'stop');

    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^url: +postgres:\/\/sweep:\*\*\*\*@127\.0\.0\.1:\d+\/sweep$/m);
    assert.match(info.stdout, /psql "\$\(npx sweep db url\)"/);
    assert.doesNotMatch(info.stdout, new RegExp(new URL(url.stdout.trim()).password));
    assert.equal(new URL(url.stdout.trim()).port, /127\.0\.0\.1:(\d+)/.exec(info.stdout)?.[1]);
    assert.match(status.stdout, /embedded server: running on port \d+ \(pid \d+, kept running\)/);
    assert.match(status.stdout, /0002_result_views +applied/);
    assert.equal(stop.stdout, 'Stopped the embedded PostgreSQL server.\n');
    assert.equal(stopAgain.stdout, 'The embedded PostgreSQL server was not running.\n');
  } finally {
    await stopEmbeddedServer(home);
    await rm(home, { recursive: true, force: true });
  }
});

test('db migrate goes down and up with --to', async () => {
  const { url, close } = await postgres.freshDatabase();
  const home = await mkdtemp(join(tmpdir(), 'sweep-db-cli-'));
  const env = { SWEEP_HOME: home, DATABASE_URL: url };
  try {
    const down = await sweep(env, 'db', 'migrate', '--to', '0001_results_schema');
    const status = await sweep(env, 'db', 'status');
    const up = await sweep(env, 'db', 'migrate');
    const unknown = await sweep(env, 'db', 'migrate', '--to', '0009_nothing');
    const stop = await sweep(env, 'db', 'stop');
    const info = await sweep(env, 'db', 'info');

    assert.equal(down.stdout, 'reverted 0002_result_views\n');
    assert.match(status.stdout, /0002_result_views +pending/);
    assert.doesNotMatch(status.stdout, /embedded server/);
    assert.equal(up.stdout, 'applied 0002_result_views\n');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown migration "0009_nothing"; known: 0001_results_schema, 0002_result_views/);
    assert.equal(stop.code, 2);
    assert.match(stop.stderr, /manages only the embedded server/);
    assert.match(info.stdout, /^database: external server$/m);
    assert.match(info.stdout, /psql "\$DATABASE_URL"/);
    assert.doesNotMatch(info.stdout, new RegExp(new URL(url).password));
  } finally {
    await close();
    await rm(home, { recursive: true, force: true });
  }
});
