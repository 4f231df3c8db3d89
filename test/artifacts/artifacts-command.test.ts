import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { ArtifactPublisher } from '../../src/artifacts/artifact-publisher.ts';
import type { ArtifactOwner, ArtifactRecorder } from '../../src/artifacts/artifact-recorder.ts';
import { ArtifactSpool } from '../../src/artifacts/artifact-spool.ts';
import { openArtifactStore } from '../../src/artifacts/open-artifact-store.ts';
import { recordArtifact } from '../../src/storage/artifact-repository.ts';
import type { Database } from '../../src/storage/schema.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { startS3Server, type S3TestServer } from '../helpers/s3.ts';

const bin = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
const secret = 'cli-secret-Vb8Nm2Qw4Er6Ty';
const postgres = usePostgres();

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sweep` in a child process, asynchronously so the in-process s3rver keeps serving requests. */
function runSweep(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      let code = 0;
      if (error !== null) {
        code = typeof error.code === 'number' ? error.code : 1;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

function databaseRecorder(db: Kysely<Database>): ArtifactRecorder {
  return {
    async recordArtifact(record) {
      await recordArtifact(db, record);
    },
  };
}

async function createSweep(db: Kysely<Database>, name: string): Promise<ArtifactOwner> {
  const sweep = await db
    .insertInto('sweeps')
    .values({ name, spec: JSON.stringify({}) as never, spec_hash: 'h', search_space_hash: 'h' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const trial = await db
    .insertInto('trials')
    .values({ sweep_id: sweep.id, number: 1, config: JSON.stringify({}) as never, params: '{}', config_hash: 'c1' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { sweepId: sweep.id, sweepName: name, trialId: trial.id, trialNumber: 1 };
}

describe('sweep artifacts command', () => {
  let server: S3TestServer;
  let scratch: string;
  let env: NodeJS.ProcessEnv;
  let db: Kysely<Database>;
  let owner: ArtifactOwner;
  const files = new Map<string, Buffer>([
    ['model/model.json', Buffer.from('{"format":"layers-model"}')],
    ['model/group1-shard1of1.bin', randomBytes(40_000)],
    ['confusion matrix.png', randomBytes(1_000)],
  ]);

  before(async () => {
    server = await startS3Server();
    scratch = await mkdtemp(join(tmpdir(), 'sweep-cli-artifacts-'));
    const database = await postgres.freshDatabase();
    db = database.db;
    env = {
      DATABASE_URL: database.url,
      SWEEP_HOME: join(scratch, 'home'),
      SWEEP_S3_ENDPOINT: server.endpoint,
      AWS_REGION: server.region,
      AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
      // s3rver 3.7 checks only the access key id of SigV4 requests, so any secret signs valid requests.
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_EC2_METADATA_DISABLED: 'true',
    };

    owner = await createSweep(db, 'cli');
    const store = openArtifactStore(`s3://${server.bucket}/team`, { endpoint: server.endpoint, region: server.region, credentials: { ...server.credentials, secretAccessKey: secret } });
    const publisher = new ArtifactPublisher({ store, recorder: databaseRecorder(db), spool: new ArtifactSpool(join(scratch, 'unused-spool')) });
    for (const [name, content] of files) {
      const file = join(scratch, 'source.bin');
      await writeFile(file, content);
      const outcome = await publisher.publish({ owner, kind: 'other', name, file });
      assert.equal(outcome.status, 'stored');
    }
    store.close();
  });

  after(async () => {
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  test('ls lists a trial by name and by id', async () => {
    const [byName, byId] = await Promise.all([runSweep(['artifacts', 'ls', 'cli/1'], env), runSweep(['artifacts', 'ls', `#${owner.trialId}`], env)]);

    assert.equal(byName.code, 0, byName.stderr);
    for (const name of files.keys()) {
      assert.ok(byName.stdout.includes(name), name);
    }
    assert.ok(byName.stdout.includes(`s3://${server.bucket}/team/cli/trial-0001/model/model.json`));
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal(byId.stdout, byName.stdout);
  });

  test('get downloads every file verified', async () => {
    const out = join(scratch, 'all');
    const result = await runSweep(['artifacts', 'get', 'cli/1', '--out', out], env);

    assert.equal(result.code, 0, result.stderr);
    for (const [name, content] of files) {
      assert.deepEqual(await readFile(join(out, ...name.split('/'))), content, name);
    }
    assert.ok(!(result.stdout + result.stderr).includes(secret));
  });

  test('get downloads one named file', async () => {
    const out = join(scratch, 'one');
    const result = await runSweep(['artifacts', 'get', 'cli/1', 'confusion matrix.png', '--out', out], env);

    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await readdir(out), ['confusion matrix.png']);
  });

  test('get rejects a replaced object', async () => {
    const store = openArtifactStore(`s3://${server.bucket}/team`, { endpoint: server.endpoint, credentials: server.credentials });
    const forged = join(scratch, 'forged.json');
    await writeFile(forged, '{"format":"forged"}');
    await store.put(store.keyFor({ sweep: 'cli', trial: 1, name: 'model/model.json' }), forged);
    store.close();
    const out = join(scratch, 'forged-out');

    const result = await runSweep(['artifacts', 'get', 'cli/1', 'model/model.json', '--out', out], env);

    assert.equal(result.code, 1);
    assert.match(result.stderr, /sha256 mismatch/);
    await assert.rejects(readFile(join(out, 'model', 'model.json')));
  });

  test('unknown trial and file are input errors', async () => {
    const [missingTrial, badForm, missingFile] = await Promise.all([
      runSweep(['artifacts', 'ls', 'cli/9'], env),
      runSweep(['artifacts', 'ls', 'cli'], env),
      runSweep(['artifacts', 'get', 'cli/1', 'nope.json'], env),
    ]);

    assert.equal(missingTrial.code, 2);
    assert.match(missingTrial.stderr, /has no trial 9; its trials are numbered 1 to 1/);
    assert.equal(badForm.code, 2);
    assert.match(badForm.stderr, /SWEEP\/N/);
    assert.equal(missingFile.code, 2);
    assert.match(missingFile.stderr, /confusion matrix\.png/);
  });

  test('pending and sync empty the spool', async () => {
    const spool = new ArtifactSpool(join(env.SWEEP_HOME as string, 'spool'));
    const file = join(scratch, 'late.json');
    await writeFile(file, '{"late":true}');
    await spool.add({ location: `s3://${server.bucket}/team`, owner, kind: 'metrics', name: 'late.json', sourceFile: file, reason: 'connect ECONNREFUSED' });

    const pending = await runSweep(['artifacts', 'pending'], env);
    const synced = await runSweep(['artifacts', 'sync'], env);
    const [after, listed] = await Promise.all([runSweep(['artifacts', 'pending'], env), runSweep(['artifacts', 'ls', 'cli/1'], env)]);

    assert.equal(pending.code, 0, pending.stderr);
    assert.match(pending.stdout, /1 file waiting/);
    assert.match(pending.stdout, /cli\/1\s+late\.json/);
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(synced.stdout, /Uploaded and recorded 1 file/);
    assert.match(after.stdout, /No files are waiting/);
    assert.match(listed.stdout, /late\.json/);
    for (const result of [pending, synced, after, listed]) {
      assert.ok(!(result.stdout + result.stderr).includes(secret));
    }
  });

  test('sync with the store down keeps the file', async () => {
    const spool = new ArtifactSpool(join(env.SWEEP_HOME as string, 'spool'));
    const file = join(scratch, 'down.json');
    await writeFile(file, '{"down":true}');
    await spool.add({ location: `s3://${server.bucket}/team`, owner, kind: 'metrics', name: 'down.json', sourceFile: file, reason: 'test' });
    await server.suspend();

    const synced = await runSweep(['artifacts', 'sync'], env);
    await server.resume();

    assert.equal(synced.code, 1);
    assert.match(synced.stdout, /1 file still waiting/);
    assert.match(synced.stdout, /ECONNREFUSED/);
    assert.ok(!(synced.stdout + synced.stderr).includes(secret));
    assert.equal((await spool.list()).entries.length, 1);
    const log = await readFile(join(env.SWEEP_HOME as string, 'logs', 'sweep.log'), 'utf8');
    assert.ok(!log.includes(secret));
  });
});
