import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { encodeKeySegment } from '../../src/artifacts/artifact-key.ts';
import { parseArtifactLocation, parseArtifactUri, resolveArtifactLocation } from '../../src/artifacts/artifact-location.ts';
import { withRetry } from '../../src/artifacts/retry.ts';
import { resolveS3Config } from '../../src/artifacts/s3-config.ts';
import { InputError } from '../../src/errors.ts';

describe('artifact locations', () => {
  test('s3 location splits bucket and prefix', () => {
    assert.deepEqual(parseArtifactLocation('s3://my-bucket/team/runs/', 'test'), { kind: 's3', bucket: 'my-bucket', prefix: 'team/runs' });
    assert.deepEqual(parseArtifactLocation('s3://my-bucket', 'test'), { kind: 's3', bucket: 'my-bucket', prefix: '' });
  });

  test('s3 location with credentials is rejected unrepeated', () => {
    const secret = 'wJalrXUtnFEMI-secret';
    assert.throws(
      () => parseArtifactLocation(`s3://AKIAEXAMPLE:${secret}@bucket/prefix`, 'sweeps/a.yaml:3:12'),
      (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.ok(!error.message.includes(secret));
        assert.match(error.message, /^sweeps\/a\.yaml:3:12: /);
        return true;
      },
    );
  });

  test('invalid locations name the value and place', () => {
    const cases: [string, RegExp][] = [
      ['s3://UpperCase/x', /invalid S3 bucket name "UpperCase"/],
      ['s3://ab/x', /invalid S3 bucket name "ab"/],
      ['s3://bucket/a/../b', /invalid artifact prefix/],
      ['gs://bucket/x', /unsupported artifact location scheme "gs:"/],
      ['  ', /empty/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseArtifactLocation(text, 'SWEEP_ARTIFACTS'), (error: unknown) => {
        assert.ok(error instanceof InputError, text);
        assert.match(error.message, /^SWEEP_ARTIFACTS: /);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  test('folder paths resolve against the base folder', () => {
    assert.deepEqual(parseArtifactLocation('out/artifacts', 'test', '/project'), { kind: 'local', root: '/project/out/artifacts' });
    assert.deepEqual(parseArtifactLocation('file:///data/artifacts', 'test'), { kind: 'local', root: '/data/artifacts' });
  });

  test('sweep file wins over SWEEP_ARTIFACTS and the default', () => {
    const env = { SWEEP_ARTIFACTS: 's3://from-env/p', SWEEP_HOME: '/state' };
    assert.deepEqual(resolveArtifactLocation({ value: 's3://from-file/q', where: 'f.yaml:1:1' }, env), { kind: 's3', bucket: 'from-file', prefix: 'q' });
    assert.deepEqual(resolveArtifactLocation(undefined, env), { kind: 's3', bucket: 'from-env', prefix: 'p' });
    assert.deepEqual(resolveArtifactLocation(undefined, { SWEEP_HOME: '/state' }), { kind: 'local', root: join('/state', 'artifacts') });
  });

  test('URIs split into location and key', () => {
    assert.deepEqual(parseArtifactUri('s3://bucket/team/cifar/trial-0007/model.json'), {
      location: { kind: 's3', bucket: 'bucket', prefix: '' },
      key: 'team/cifar/trial-0007/model.json',
    });
    assert.deepEqual(parseArtifactUri('file:///state/artifacts/cifar/sweep/report.html'), {
      location: { kind: 'local', root: '/' },
      key: 'state/artifacts/cifar/sweep/report.html',
    });
    assert.throws(() => parseArtifactUri('s3://bucket/a/../../b'), InputError);
    assert.throws(() => parseArtifactUri('https://example.com/x'), InputError);
  });
});

describe('key segments', () => {
  test('short segments decode back to the name', () => {
    for (const name of ['model.json', 'ünïcødé файл.json', 'a b+c&d', '%41', '..', '.hidden']) {
      assert.equal(decodeURIComponent(encodeKeySegment(name)), name.normalize('NFC'));
    }
  });

  test('long segments are cut and stay distinct', () => {
    const first = encodeKeySegment(`${'é'.repeat(200)}a`);
    const second = encodeKeySegment(`${'é'.repeat(200)}b`);
    assert.ok(first.length <= 200);
    assert.notEqual(first, second);
    assert.match(first, /^(%[0-9A-F]{2})+~[0-9a-f]{16}$/);
  });

  test('NFC and NFD spellings share a key', () => {
    assert.equal(encodeKeySegment('caf\u00e9'), encodeKeySegment('cafe\u0301'));
  });
});

describe('s3 client settings', () => {
  test('endpoint variables in order of precedence', () => {
    const all = { SWEEP_S3_ENDPOINT: 'http://127.0.0.1:1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2', AWS_ENDPOINT_URL: 'http://127.0.0.1:3' };
    assert.equal(resolveS3Config({}, all).clientConfig.endpoint, 'http://127.0.0.1:1/');
    assert.equal(resolveS3Config({}, { ...all, SWEEP_S3_ENDPOINT: '' }).clientConfig.endpoint, 'http://127.0.0.1:2/');
    assert.equal(resolveS3Config({}, { AWS_ENDPOINT_URL: 'http://127.0.0.1:3' }).clientConfig.endpoint, 'http://127.0.0.1:3/');
    assert.equal(resolveS3Config({ endpoint: 'http://127.0.0.1:4' }, all).clientConfig.endpoint, 'http://127.0.0.1:4/');
  });

  test('endpoint turns on path style and a region', () => {
    const withEndpoint = resolveS3Config({}, { SWEEP_S3_ENDPOINT: 'http://127.0.0.1:9000' }).clientConfig;
    assert.equal(withEndpoint.forcePathStyle, true);
    assert.equal(withEndpoint.region, 'us-east-1');

    const aws = resolveS3Config({}, { AWS_DEFAULT_REGION: 'eu-west-1' }).clientConfig;
    assert.equal(aws.forcePathStyle, false);
    assert.equal(aws.endpoint, undefined);
    assert.equal(aws.region, 'eu-west-1');

    const virtualHosted = resolveS3Config({}, { SWEEP_S3_ENDPOINT: 'http://127.0.0.1:9000', SWEEP_S3_FORCE_PATH_STYLE: 'false' }).clientConfig;
    assert.equal(virtualHosted.forcePathStyle, false);
  });

  test('endpoint with credentials is rejected unrepeated', () => {
    const secret = 'endpoint-secret-Qz8';
    assert.throws(
      () => resolveS3Config({}, { AWS_ENDPOINT_URL: `http://minio:${secret}@127.0.0.1:9000` }),
      (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.match(error.message, /^AWS_ENDPOINT_URL: /);
        assert.ok(!error.message.includes(secret));
        return true;
      },
    );
  });

  test('invalid endpoint names the variable', () => {
    assert.throws(() => resolveS3Config({}, { SWEEP_S3_ENDPOINT: 'not a url' }), /SWEEP_S3_ENDPOINT: invalid S3 endpoint "not a url"/);
    assert.throws(() => resolveS3Config({}, { SWEEP_S3_ENDPOINT: 'ftp://127.0.0.1' }), /must start with http/);
  });

  test('secrets to redact come from options and environment', () => {
    const { secrets } = resolveS3Config({ credentials: { accessKeyId: 'id', secretAccessKey: 'from-options' } }, { AWS_SECRET_ACCESS_KEY: 'from-env', AWS_SESSION_TOKEN: 'token' });
    assert.deepEqual(secrets.sort(), ['from-env', 'from-options', 'token']);
  });
});

describe('retry', () => {
  const transient = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

  test('transient errors retry up to the attempts', async () => {
    let calls = 0;
    const delays: number[] = [];
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw transient();
        },
        { attempts: 3, baseDelayMs: 4, maxDelayMs: 6, onRetry: (_error, _attempt, delayMs) => void delays.push(delayMs) },
      ),
      /ECONNREFUSED/,
    );
    assert.equal(calls, 3);
    assert.equal(delays.length, 2);
    // Each delay is drawn from [d/2, d], with d = 4 ms and then min(6, 8) ms.
    assert.ok(delays[0] >= 2, `first delay ${delays[0]}`);
    assert.ok(delays[0] <= 4, `first delay ${delays[0]}`);
    assert.ok(delays[1] >= 3, `second delay ${delays[1]}`);
    assert.ok(delays[1] <= 6, `second delay ${delays[1]}`);
  });

  test('other errors fail at once', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await assert.rejects(
      withRetry(async () => {
        calls += 1;
        throw denied;
      }),
      /Access Denied/,
    );
    assert.equal(calls, 1);
  });

  test('success after a transient error', async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls === 1) {
          throw Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } });
        }
        return 'stored';
      },
      { baseDelayMs: 1 },
    );
    assert.equal(value, 'stored');
    assert.equal(calls, 2);
  });
});
