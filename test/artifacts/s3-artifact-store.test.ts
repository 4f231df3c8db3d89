import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { ArtifactStoreError } from '../../src/artifacts/artifact-errors.ts';
import { openArtifactStore } from '../../src/artifacts/open-artifact-store.ts';
import { minPartSize, S3ArtifactStore } from '../../src/artifacts/s3-artifact-store.ts';
import { startS3Server, type S3TestServer } from '../helpers/s3.ts';
import { startFaultProxy } from './fault-proxy.ts';
import { describeStoreContract } from './store-contract.ts';

const fastRetry = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

describeStoreContract('s3', async () => {
  const server = await startS3Server();
  const store = openArtifactStore(`s3://${server.bucket}/runs/team-a`, {
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    retry: fastRetry,
  });
  return {
    store,
    prefix: 'runs/team-a',
    async teardown() {
      store.close();
      await server.stop();
    },
  };
});

/** Creates a pino logger that keeps every line in memory, to check what reaches the log. */
function memoryLogger(): { logger: ReturnType<typeof pino>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('s3 store against s3rver', () => {
  let server: S3TestServer;
  let scratch: string;

  before(async () => {
    server = await startS3Server();
    scratch = await mkdtemp(join(tmpdir(), 'sweep-s3-test-'));
  });

  after(async () => {
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  async function writeSource(name: string, content: Buffer): Promise<string> {
    const path = join(scratch, name);
    await writeFile(path, content);
    return path;
  }

  test('multipart upload of 11 MiB round trips', async () => {
    const proxy = await startFaultProxy(server.endpoint);
    const store = new S3ArtifactStore(
      { kind: 's3', bucket: server.bucket, prefix: '' },
      { endpoint: proxy.endpoint, credentials: server.credentials, partSize: minPartSize, retry: fastRetry },
    );
    const content = randomBytes(11 * 1024 * 1024);
    const source = await writeSource('large.bin', content);
    const key = store.keyFor({ sweep: 'large', trial: 1, name: 'weights.bin' });

    const stored = await store.put(key, source);
    const parts = proxy.requests.filter((request) => request.method === 'PUT' && request.url.includes('partNumber='));
    const destination = join(scratch, 'large-out.bin');
    await store.get(key, destination, { expectedSha256: stored.sha256 });

    assert.equal(parts.length, 3);
    assert.ok(proxy.requests.some((request) => request.method === 'POST' && request.url.includes('?uploads')));
    assert.equal(stored.sha256, createHash('sha256').update(content).digest('hex'));
    assert.deepEqual(await readFile(destination), content);
    store.close();
    await proxy.close();
  });

  test('failed multipart upload is aborted', async () => {
    const proxy = await startFaultProxy(server.endpoint);
    const { logger, lines } = memoryLogger();
    const store = new S3ArtifactStore(
      { kind: 's3', bucket: server.bucket, prefix: '' },
      { endpoint: proxy.endpoint, credentials: server.credentials, partSize: minPartSize, retry: { attempts: 1 }, logger },
    );
    proxy.addFault({ matches: (request) => request.method === 'PUT' && request.url.includes('partNumber=2'), status: 400, code: 'InvalidPart', times: 1 });
    const source = await writeSource('fails.bin', randomBytes(11 * 1024 * 1024));
    const key = store.keyFor({ sweep: 'aborted', trial: 1, name: 'weights.bin' });

    await assert.rejects(store.put(key, source), ArtifactStoreError);

    const created = proxy.requests.find((request) => request.method === 'POST' && request.url.includes('?uploads'));
    const aborts = proxy.requests.filter((request) => request.method === 'DELETE' && request.url.includes('uploadId='));
    assert.ok(created !== undefined);
    assert.equal(aborts.length, 1);
    assert.equal(await store.head(key), undefined);
    // s3rver 3.7 rejects AbortMultipartUpload with HTTP 405, so the store logs that the abort failed.
    assert.ok(lines.some((line) => line.includes('multipart upload')));
    store.close();
    await proxy.close();
  });

  test('transient errors are retried with backoff', async () => {
    const proxy = await startFaultProxy(server.endpoint);
    const retries: number[] = [];
    const store = new S3ArtifactStore(
      { kind: 's3', bucket: server.bucket, prefix: '' },
      {
        endpoint: proxy.endpoint,
        credentials: server.credentials,
        retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, onRetry: (_error, attempt) => void retries.push(attempt) },
      },
    );
    proxy.addFault({ matches: (request) => request.method === 'PUT', status: 503, code: 'SlowDown', times: 2 });
    const source = await writeSource('retried.json', Buffer.from('{"ok":true}'));

    const stored = await store.put(store.keyFor({ sweep: 'retry', trial: 1, name: 'metrics.json' }), source);

    assert.deepEqual(retries, [1, 2]);
    assert.equal((await store.head(stored.key))?.sha256, stored.sha256);
    store.close();
    await proxy.close();
  });

  test('endpoint from the environment uses path-style requests', async () => {
    const proxy = await startFaultProxy(server.endpoint);
    for (const variable of ['SWEEP_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
      proxy.requests.length = 0;
      const env = {
        [variable]: proxy.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
      };
      const store = openArtifactStore(`s3://${server.bucket}/env`, { env, credentials: server.credentials, retry: fastRetry });
      const source = await writeSource('path-style.txt', Buffer.from(variable));

      const stored = await store.put(store.keyFor({ sweep: 'env', trial: 1, name: 'log.txt' }), source);

      assert.equal(stored.uri, `s3://${server.bucket}/env/env/trial-0001/log.txt`);
      assert.ok(proxy.requests.length > 0, `${variable} was not used`);
      assert.ok(
        proxy.requests.every((request) => request.url.startsWith(`/${server.bucket}/`)),
        `${variable}: ${JSON.stringify(proxy.requests)}`,
      );
      store.close();
    }
    await proxy.close();
  });

  test('bad credentials error has no secret', async () => {
    const secret = 'wrong-secret-Zq7Xv9Lp2Mn4Kd8Tr6Ws';
    const { logger, lines } = memoryLogger();
    const store = openArtifactStore(`s3://${server.bucket}/creds`, {
      endpoint: server.endpoint,
      region: server.region,
      // s3rver 3.7 does not verify SigV4 signatures, only that the access key id exists.
      credentials: { accessKeyId: 'UNKNOWNKEYID', secretAccessKey: secret },
      retry: fastRetry,
      logger,
    });
    const source = await writeSource('secret-test.txt', Buffer.from('x'));

    const error = await store.put(store.keyFor({ sweep: 'creds', trial: 1, name: 'model.json' }), source).then(
      () => assert.fail('the upload succeeded with a wrong secret'),
      (caught: unknown) => caught,
    );

    assert.ok(error instanceof ArtifactStoreError);
    assert.equal(error.transient, false);
    assert.match(error.message, /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied/);
    assert.match(error.message, /AWS_SECRET_ACCESS_KEY/);
    assert.ok(!error.message.includes(secret));
    assert.ok(!JSON.stringify(error).includes(secret));
    assert.ok(!String(error.stack).includes(secret));
    assert.ok(!lines.join('').includes(secret));
    store.close();
  });

  test('unreachable store error is transient and has no secret', async () => {
    const secret = 'unreachable-secret-Hh3Jk5Ll7Pp9';
    const stopped = await startS3Server();
    await stopped.stop();
    const { logger, lines } = memoryLogger();
    const store = openArtifactStore(`s3://${stopped.bucket}/down`, {
      endpoint: stopped.endpoint,
      region: stopped.region,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: secret },
      retry: fastRetry,
      logger,
    });
    const source = await writeSource('down.txt', Buffer.from('x'));

    const error = await store.put(store.keyFor({ sweep: 'down', trial: 1, name: 'model.json' }), source).then(
      () => assert.fail('the upload succeeded with the server stopped'),
      (caught: unknown) => caught,
    );

    assert.ok(error instanceof ArtifactStoreError);
    assert.equal(error.transient, true);
    assert.match(error.message, /ECONNREFUSED/);
    assert.ok(error.message.includes(stopped.endpoint));
    assert.ok(!error.message.includes(secret));
    assert.equal(lines.length, fastRetry.attempts - 1, 'one log line per retry');
    assert.ok(!lines.join('').includes(secret));
    store.close();
  });

  test('missing bucket error names the bucket', async () => {
    const store = openArtifactStore('s3://no-such-bucket/prefix', {
      endpoint: server.endpoint,
      region: server.region,
      credentials: server.credentials,
      retry: fastRetry,
    });

    await assert.rejects(store.check(), (error: unknown) => {
      assert.ok(error instanceof ArtifactStoreError);
      assert.match(error.message, /no-such-bucket/);
      assert.equal(error.transient, false);
      return true;
    });
    store.close();
  });

  test('aborting an upload rejects it', async () => {
    const store = new S3ArtifactStore(
      { kind: 's3', bucket: server.bucket, prefix: '' },
      { endpoint: server.endpoint, credentials: server.credentials, partSize: minPartSize, retry: fastRetry },
    );
    const source = await writeSource('cancelled.bin', randomBytes(6 * 1024 * 1024));
    const controller = new AbortController();
    controller.abort();

    await assert.rejects(store.put(store.keyFor({ sweep: 'cancel', trial: 1, name: 'w.bin' }), source, { signal: controller.signal }));
    store.close();
  });
});
