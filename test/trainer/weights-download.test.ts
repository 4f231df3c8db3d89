import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EnvironmentError } from '../../src/errors.ts';
import { buildMobileNetV2Base } from '../../src/trainer/models/mobilenet-v2.ts';
import { sha256File } from '../../src/trainer/weights/download.ts';
import { kerasWeightsFileName, resolveImagenetWeights } from '../../src/trainer/weights/resolve-weights.ts';
import { kerasLayerWeights, writeKerasWeightsFile } from '../helpers/keras-h5-writer.ts';

const fileName = kerasWeightsFileName(0.35, 96);

let workDir: string;
let served: Buffer;
let server: Server;
let baseUrl: string;
const requests: string[] = [];

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'sweep-download-'));
  const h5 = join(workDir, 'served.h5');
  await writeKerasWeightsFile(h5, kerasLayerWeights(buildMobileNetV2Base({ alpha: 0.35, inputSize: 32, seed: 1 })));
  served = await readFile(h5);

  // A local stand-in for storage.googleapis.com: the weights under their Keras
  // name, an HTML page under /html/, and 404 for everything else.
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === `/keras/${fileName}`) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(served);
    } else if (request.url?.startsWith('/html/')) {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>quota exceeded</html>');
    } else {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(workDir, { recursive: true, force: true });
});

test('download caches the file and its sha256', async () => {
  const cacheDir = join(workDir, 'cache');
  requests.length = 0;

  const first = await resolveImagenetWeights({ alpha: 0.35, inputSize: 96, cacheDir, baseUrl: `${baseUrl}/keras/` });
  const cached = join(cacheDir, 'models', fileName);
  assert.equal(first.path, cached);
  assert.deepEqual(await readFile(cached), served);
  const sha256 = await sha256File(cached);
  assert.equal(first.sha256[fileName], sha256);
  assert.equal(await readFile(`${cached}.sha256`, 'utf8'), `${sha256}  ${fileName}\n`);

  const second = await resolveImagenetWeights({ alpha: 0.35, inputSize: 96, cacheDir, baseUrl: `${baseUrl}/keras/` });
  assert.equal(second.path, cached);
  assert.deepEqual(requests, [`/keras/${fileName}`]);
});

test('changed cached file is downloaded again', async () => {
  const cacheDir = join(workDir, 'cache-changed');
  await resolveImagenetWeights({ alpha: 0.35, inputSize: 96, cacheDir, baseUrl: `${baseUrl}/keras/` });
  const cached = join(cacheDir, 'models', fileName);
  const damaged = Buffer.from(served);
  damaged[damaged.length - 1] ^= 0xff;
  await writeFile(cached, damaged);
  requests.length = 0;
  const logs: string[] = [];

  await resolveImagenetWeights({ alpha: 0.35, inputSize: 96, cacheDir, baseUrl: `${baseUrl}/keras/`, onLog: (line) => logs.push(line) });
  assert.deepEqual(await readFile(cached), served);
  assert.deepEqual(requests, [`/keras/${fileName}`]);
  assert.ok(logs.some((line) => line.includes('downloading it again')), logs.join('\n'));
});

test('failed download names the files to provide', async () => {
  const cacheDir = join(workDir, 'cache-missing');
  const weightsDir = join(workDir, 'empty-weights-dir');

  await assert.rejects(resolveImagenetWeights({ alpha: 0.35, inputSize: 96, cacheDir, weightsDir, baseUrl: `${baseUrl}/missing/` }), (error: unknown) => {
    assert.ok(error instanceof EnvironmentError);
    assert.match(error.message, /HTTP 404/);
    assert.ok(error.message.includes(`Put ${fileName}, or a TensorFlow.js layers model mobilenet_v2_0.35_96_no_top/model.json with its weights.bin, into ${weightsDir} or ${join(cacheDir, 'models')}`), error.message);
    return true;
  });
  await assert.rejects(stat(join(cacheDir, 'models', fileName)), { code: 'ENOENT' });
});

test('unreachable server fails with the same advice', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));

  await assert.rejects(
    resolveImagenetWeights({ alpha: 1.0, inputSize: 100, cacheDir: join(workDir, 'cache-offline'), baseUrl: `http://127.0.0.1:${port}/` }),
    /cannot find MobileNetV2 ImageNet weights for alpha 1\.0, and downloading http:\/\/127\.0\.0\.1:\d+\/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1\.0_224_no_top\.h5 failed: fetch failed: connect ECONNREFUSED .*SWEEP_WEIGHTS_DIR/,
  );
});

test('non-HDF5 response is not cached', async () => {
  const cacheDir = join(workDir, 'cache-html');

  await assert.rejects(resolveImagenetWeights({ alpha: 0.35, inputSize: 96, cacheDir, baseUrl: `${baseUrl}/html/` }), /did not return an HDF5 file/);
  await assert.rejects(stat(join(cacheDir, 'models', fileName)), { code: 'ENOENT' });
  await assert.rejects(stat(join(cacheDir, 'models', `${fileName}.sha256`)), { code: 'ENOENT' });
});
