import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { ArtifactPublisher } from '../../src/artifacts/artifact-publisher.ts';
import type { ArtifactOwner, ArtifactRecorder } from '../../src/artifacts/artifact-recorder.ts';
import { ArtifactSpool } from '../../src/artifacts/artifact-spool.ts';
import { parseArtifactUri } from '../../src/artifacts/artifact-location.ts';
import { openArtifactStore, type OpenArtifactStoreOptions } from '../../src/artifacts/open-artifact-store.ts';
import { syncSpool } from '../../src/artifacts/sync-spool.ts';
import { recordArtifact } from '../../src/storage/artifact-repository.ts';
import type { Database } from '../../src/storage/schema.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { startS3Server, type S3TestServer } from '../helpers/s3.ts';

const postgres = usePostgres();
const secret = 'sync-secret-Rt5Yu7Io9Pa1Sd';

function databaseRecorder(db: Kysely<Database>): ArtifactRecorder {
  return {
    async recordArtifact(record) {
      await recordArtifact(db, record);
    },
  };
}

/** Inserts a sweep with `trials` trials and returns the owners of its trials. */
async function createSweep(db: Kysely<Database>, name: string, trials: number): Promise<ArtifactOwner[]> {
  const sweep = await db
    .insertInto('sweeps')
    .values({ name, spec: JSON.stringify({}) as never, spec_hash: 'h', search_space_hash: 'h' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const owners: ArtifactOwner[] = [];
  for (let number = 1; number <= trials; number++) {
    const trial = await db
      .insertInto('trials')
      .values({ sweep_id: sweep.id, number, config: JSON.stringify({}) as never, params: '{}', config_hash: `c${number}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    owners.push({ sweepId: sweep.id, sweepName: name, trialId: trial.id, trialNumber: number });
  }
  return owners;
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

describe('spool and sync with PostgreSQL and s3rver', () => {
  let server: S3TestServer;
  let scratch: string;
  let storeOptions: OpenArtifactStoreOptions;

  before(async () => {
    server = await startS3Server();
    scratch = await mkdtemp(join(tmpdir(), 'sweep-sync-test-'));
    storeOptions = {
      endpoint: server.endpoint,
      region: server.region,
      // s3rver 3.7 checks only the access key id of SigV4 requests, so this secret is accepted.
      credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: secret },
      retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    };
  });

  after(async () => {
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  async function trialFiles(trial: number): Promise<{ name: string; file: string; content: Buffer }[]> {
    const folder = await mkdtemp(join(scratch, `trial-${trial}-`));
    const files = [
      { name: 'model/model.json', content: Buffer.from(JSON.stringify({ trial, format: 'layers-model' })) },
      { name: 'model/group1-shard1of1.bin', content: randomBytes(50_000) },
      { name: 'curves.png', content: randomBytes(2_000) },
      { name: 'trial log.txt', content: Buffer.from(`trial ${trial} finished\n`) },
    ];
    const written = [];
    for (const { name, content } of files) {
      const file = join(folder, name.replaceAll('/', '_'));
      await writeFile(file, content);
      written.push({ name, file, content });
    }
    return written;
  }

  test('stopped server: spool, then sync loses nothing', async () => {
    const { db } = await postgres.freshDatabase();
    const owners = await createSweep(db, 'outage', 3);
    const spool = new ArtifactSpool(join(scratch, 'outage-spool'));
    const store = openArtifactStore(`s3://${server.bucket}/sweeps`, storeOptions);
    const publisher = new ArtifactPublisher({ store, recorder: databaseRecorder(db), spool });
    const expected = new Map<string, Buffer>();

    const first = await trialFiles(1);
    for (const { name, file, content } of first) {
      const outcome = await publisher.publish({ owner: owners[0], kind: 'other', name, file });
      assert.equal(outcome.status, 'stored');
      expected.set(`1/${name}`, content);
    }

    await server.suspend();
    const reasons: string[] = [];
    for (const owner of owners.slice(1)) {
      for (const { name, file, content } of await trialFiles(owner.trialNumber ?? 0)) {
        const outcome = await publisher.publish({ owner, kind: 'other', name, file });
        assert.equal(outcome.status, 'spooled');
        reasons.push(outcome.status === 'spooled' ? outcome.reason : '');
        expected.set(`${owner.trialNumber}/${name}`, content);
        // The trial's folder may be cleaned up once the trial completes; the spool keeps its own copy.
        await rm(file);
      }
    }
    store.close();
    assert.match(reasons[0], /ECONNREFUSED/);
    // After the first failure the publisher skips the store for a while instead of retrying for every file.
    assert.match(reasons[1], /unreachable moments ago/);

    const rowsDuringOutage = await db.selectFrom('artifacts').select('trial_id').execute();
    assert.equal(rowsDuringOutage.length, first.length, 'spooled files must not be recorded yet');
    assert.equal((await spool.list()).entries.length, 8);

    const whileDown = await syncSpool({ recorder: databaseRecorder(db), spool, storeOptions });
    assert.equal(whileDown.uploaded.length, 0);
    assert.equal(whileDown.pending.length, 8);
    assert.match(whileDown.pending[0].error, /ECONNREFUSED/);

    await server.resume();
    const synced = await syncSpool({ recorder: databaseRecorder(db), spool, storeOptions });
    assert.equal(synced.uploaded.length, 8);
    assert.equal(synced.pending.length, 0);
    assert.equal((await spool.list()).entries.length, 0);

    const rows = await db
      .selectFrom('artifacts')
      .innerJoin('trials', 'trials.id', 'artifacts.trial_id')
      .select(['trials.number', 'artifacts.name', 'artifacts.key', 'artifacts.uri', 'artifacts.bytes', 'artifacts.sha256'])
      .execute();
    assert.equal(rows.length, expected.size);
    const reader = openArtifactStore(`s3://${server.bucket}`, storeOptions);
    for (const row of rows) {
      const content = expected.get(`${row.number}/${row.name}`);
      assert.ok(content !== undefined, `unexpected row ${row.number}/${row.name}`);
      assert.equal(row.sha256, sha256(content));
      assert.equal(Number(row.bytes), content.length);
      assert.equal(row.uri, `s3://${server.bucket}/${row.key}`);
      assert.ok(row.key.startsWith(`sweeps/outage/trial-000${row.number}/`), row.key);

      const { key } = parseArtifactUri(row.uri);
      const destination = join(scratch, 'readback.bin');
      await reader.get(key, destination, { expectedSha256: row.sha256 });
      assert.deepEqual(await readFile(destination), content);
    }
    reader.close();

    const everything = await db.selectFrom('artifacts').selectAll().execute();
    assert.ok(!JSON.stringify(everything).includes(secret), 'a credential reached the artifacts table');
    const spooledReasons = whileDown.pending.map(({ entry }) => JSON.stringify(entry.manifest)).join('');
    assert.ok(!spooledReasons.includes(secret), 'a credential reached a spool manifest');
  });

  test('recorder failure spools, sync records', async () => {
    const { db } = await postgres.freshDatabase();
    const [owner] = await createSweep(db, 'db-down', 1);
    const spool = new ArtifactSpool(join(scratch, 'db-down-spool'));
    const store = openArtifactStore(`s3://${server.bucket}/db-down`, storeOptions);
    const failing: ArtifactRecorder = {
      recordArtifact: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    };
    const file = join(scratch, 'db-down-metrics.json');
    await writeFile(file, '{"test_accuracy":0.7312}');

    const outcome = await new ArtifactPublisher({ store, recorder: failing, spool }).publish({ owner, kind: 'metrics', name: 'metrics.json', file });
    assert.equal(outcome.status, 'spooled');
    assert.equal(outcome.status === 'spooled' && /recording it in PostgreSQL failed/.test(outcome.reason), true);
    store.close();

    const synced = await syncSpool({ recorder: databaseRecorder(db), spool, storeOptions });
    assert.equal(synced.uploaded.length, 1);
    const rows = await db.selectFrom('artifacts').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].kind, 'metrics');
    assert.equal(rows[0].trial_id, owner.trialId);
  });

  test('sync twice records one row per key', async () => {
    const { db } = await postgres.freshDatabase();
    const [owner] = await createSweep(db, 'twice', 1);
    const spool = new ArtifactSpool(join(scratch, 'twice-spool'));
    const file = join(scratch, 'twice.json');
    await writeFile(file, '{}');
    const request = { location: `s3://${server.bucket}/twice`, owner, kind: 'metrics' as const, name: 'metrics.json', sourceFile: file, reason: 'test' };
    await spool.add(request);
    await spool.add(request);

    const synced = await syncSpool({ recorder: databaseRecorder(db), spool, storeOptions });
    assert.equal(synced.uploaded.length, 2);
    assert.equal((await db.selectFrom('artifacts').selectAll().execute()).length, 1);
  });

  test('damaged spool copy stays pending', async () => {
    const { db } = await postgres.freshDatabase();
    const [owner] = await createSweep(db, 'damaged', 1);
    const spool = new ArtifactSpool(join(scratch, 'damaged-spool'));
    const file = join(scratch, 'damaged.json');
    await writeFile(file, '{"ok":true}');
    const entry = await spool.add({ location: `s3://${server.bucket}/d`, owner, kind: 'metrics', name: 'm.json', sourceFile: file, reason: 'test' });
    await writeFile(entry.dataFile, '{"ok":false}');

    const synced = await syncSpool({ recorder: databaseRecorder(db), spool, storeOptions });
    assert.equal(synced.uploaded.length, 0);
    assert.equal(synced.pending.length, 1);
    assert.match(synced.pending[0].error, /damaged/);
    assert.equal((await db.selectFrom('artifacts').selectAll().execute()).length, 0);
  });

  test('local store records file URIs', async () => {
    const { db } = await postgres.freshDatabase();
    const [owner] = await createSweep(db, 'local', 1);
    const root = join(scratch, 'local-artifacts');
    const store = openArtifactStore(root);
    const file = join(scratch, 'local-report.json');
    await writeFile(file, '{"macro_avg":{"f1":0.73}}');

    const outcome = await new ArtifactPublisher({ store, recorder: databaseRecorder(db), spool: new ArtifactSpool(join(scratch, 'local-spool')) }).publish({
      owner,
      kind: 'report',
      name: 'classification report.json',
      file,
    });

    assert.equal(outcome.status, 'stored');
    const [row] = await db.selectFrom('artifacts').selectAll().execute();
    assert.equal(row.key, 'local/trial-0001/classification%20report.json');
    assert.equal(row.uri, new URL(`file://${root}/local/trial-0001/classification%2520report.json`).href);
  });

  test('sync leaves a locked spool alone', async () => {
    const { db } = await postgres.freshDatabase();
    const spool = new ArtifactSpool(join(scratch, 'locked-spool'));
    const release = await spool.lock();
    assert.ok(release !== undefined);

    const synced = await syncSpool({ recorder: databaseRecorder(db), spool, storeOptions });
    assert.equal(synced.locked, true);
    await release();
  });
});
