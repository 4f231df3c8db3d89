import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { pointAt } from '../../src/cli/commands/sql.ts';
import { createOrGetSweep } from '../../src/storage/sweep-repository.ts';
import { insertPlannedTrials, recordTrialResult } from '../../src/storage/trial-repository.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { newSweep, plannedGrid, trialResult } from '../storage/fixtures.ts';

const postgres = usePostgres();
let home: string;

before(async () => {
  // Log files of the CLI go to the temporary SWEEP_HOME, not the repository.
  home = await mkdtemp(join(tmpdir(), 'sweep-sql-cli-'));
  process.env.SWEEP_HOME = home;
});

after(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Runs the CLI in this process against `url` and returns its exit code and output. */
async function sweep(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  // main() reports process.exitCode, which the test runner sets when a test fails.
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'sweep', '--database-url', url, ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = exitCode;
  }
}

test('sql prints an aligned table', async () => {
  const { url, close } = await postgres.freshDatabase();
  try {
    const result = await sweep(url, 'sql', "SELECT 1 AS n, 'text' AS label, NULL AS empty, 'NaN'::float8 AS nan UNION ALL SELECT 22, 'é', 'x', 1.5");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        ' n | label | empty | nan',
        '---+-------+-------+----',
        ' 1 | text  | NULL  | NaN',
        '22 | é     | x     | 1.5',
        '(2 rows)',
        '',
      ].join('\n'),
    );
  } finally {
    await close();
  }
});

test('sql prints CSV with quoting', async () => {
  const { url, close } = await postgres.freshDatabase();
  try {
    const result = await sweep(url, 'sql', '--csv', `SELECT 'a,b' AS "first col", 'say "hi"' AS q, NULL::int AS z, 'Infinity'::float8 AS inf`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'first col,q,z,inf\r\n"a,b","say ""hi""",,Infinity\r\n');
  } finally {
    await close();
  }
});

test('sql prints JSON with non-finite numbers as strings', async () => {
  const { url, close } = await postgres.freshDatabase();
  try {
    const result = await sweep(url, 'sql', '--json', `SELECT 'NaN'::float8 AS nan, 2.5::float8 AS x, '{"a":1}'::jsonb AS j, 7::bigint AS big`);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), [{ nan: 'NaN', x: 2.5, j: { a: 1 }, big: '7' }]);
  } finally {
    await close();
  }
});

test('sql rejects --csv with --json', async () => {
  const { url, close } = await postgres.freshDatabase();
  try {
    const result = await sweep(url, 'sql', '--csv', '--json', 'SELECT 1');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /choose one output format/);
  } finally {
    await close();
  }
});

test('sql shows the error position with a caret', async () => {
  const { url, close } = await postgres.freshDatabase();
  try {
    const result = await sweep(url, 'sql', 'SELECT number,\n       bogus_column\nFROM trials');
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      [
        'sweep: ERROR: column "bogus_column" does not exist (SQLSTATE 42703)',
        'LINE 2:        bogus_column',
        '               ^',
        '',
      ].join('\n'),
    );
  } finally {
    await close();
  }
});

test('caret counts characters, not bytes', () => {
  assert.deepEqual(pointAt("SELECT 'ÄÖÜ漢' + x", 17), ["LINE 1: SELECT 'ÄÖÜ漢' + x", '                        ^']);
});

test('sql refuses writes without --write', async () => {
  const { url, db, close } = await postgres.freshDatabase();
  try {
    const insert = "INSERT INTO sweeps (name, spec, spec_hash, search_space_hash) VALUES ('w', '{}', 'a', 'b')";
    const readOnly = await sweep(url, 'sql', insert);
    const sneaky = await sweep(url, 'sql', `COMMIT; ${insert}`);
    const countBefore = await db.selectFrom('sweeps').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
    const allowed = await sweep(url, 'sql', '--write', insert);
    const countAfter = await db.selectFrom('sweeps').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();

    assert.equal(readOnly.code, 2);
    assert.match(readOnly.stderr, /cannot execute INSERT in a read-only transaction/);
    assert.match(readOnly.stderr, /add --write/);
    assert.equal(sneaky.code, 2);
    assert.equal(countBefore.count, '0');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, 'INSERT 1\n');
    assert.equal(countAfter.count, '1');
  } finally {
    await close();
  }
});

test('export writes one column per parameter', async () => {
  const { url, db, close } = await postgres.freshDatabase();
  try {
    const { sweep: created } = await createOrGetSweep(db, newSweep('exported'));
    const { inserted } = await insertPlannedTrials(db, created.id, plannedGrid(2));
    await recordTrialResult(db, inserted[0].id, trialResult(0.8, 0.05));
    await recordTrialResult(db, inserted[1].id, trialResult(Number.NaN, 0.05));
    await db.updateTable('trials').set({ state: 'COMPLETE' }).execute();
    const out = join(home, 'board.csv');

    const csv = await sweep(url, 'export', 'exported', '--csv', '--out', out);
    const json = await sweep(url, 'export', 'exported', '--json');

    assert.equal(csv.code, 0, csv.stderr);
    const lines = (await readFile(out, 'utf8')).trim().split('\r\n');
    const header = lines[0].split(',');
    assert.deepEqual(header.slice(0, 3), ['rank', 'number', 'state']);
    assert.ok(header.includes('lr'));
    assert.ok(header.includes('flip'));
    assert.ok(header.includes('param_dense_units'));
    assert.equal(lines.length, 3);
    assert.match(lines[2], /^2,2,COMPLETE,false,NaN,/);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.equal(rows[0].rank, 1);
    assert.equal(rows[0].lr, 1e-5);
    assert.equal(rows[1].test_accuracy, 'NaN');
  } finally {
    await close();
  }
});

test('export names a missing sweep', async () => {
  const { url, close } = await postgres.freshDatabase();
  try {
    const result = await sweep(url, 'export', 'nope');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /sweep "nope" not found/);
  } finally {
    await close();
  }
});
