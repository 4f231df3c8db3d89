import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { EnvironmentError } from '../../src/errors.ts';
import { ensureCifar10, loadCifar10 } from '../../src/trainer/datasets/cifar10.ts';
import { downloadCifar10, unpackCifar10Archive } from '../../src/trainer/datasets/cifar10-download.ts';
import { extractTar } from '../../src/trainer/datasets/tar.ts';
import { temporaryDir, writeCifar10Fixture } from './fixtures.ts';

/** Builds a ustar archive from (name, bytes) pairs; long names get a pax header. */
function tarArchive(entries: [string, Uint8Array][]): Buffer {
  const blocks: Buffer[] = [];
  const header = (name: string, size: number, type: string): Buffer => {
    const block = Buffer.alloc(512);
    block.write(name.slice(0, 100), 0, 'utf8');
    block.write('0000644\0', 100);
    block.write('0000000\0', 108);
    block.write('0000000\0', 116);
    block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
    block.write('00000000000\0', 136);
    block.write(type, 156);
    block.write('ustar\0', 257);
    block.write('00', 263);
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of block) {
      sum += byte;
    }
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return block;
  };
  const pad = (length: number): Buffer => Buffer.alloc((512 - (length % 512)) % 512);
  for (const [name, data] of entries) {
    if (name.length > 100) {
      const body = Buffer.from(paxRecord(`path=${name}`));
      blocks.push(header('PaxHeader', body.length, 'x'), body, pad(body.length));
    }
    blocks.push(header(name, data.length, '0'), Buffer.from(data), pad(data.length));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function paxRecord(text: string): string {
  // The length prefix counts itself, the space, the text and the newline.
  let length = text.length + 3;
  while (`${length} ${text}\n`.length !== length) {
    length = `${length} ${text}\n`.length;
  }
  return `${length} ${text}\n`;
}

/** Builds a .tar.gz shaped like cifar-10-binary.tar.gz from a fixture folder. */
async function fixtureArchive(): Promise<Buffer> {
  const dir = await temporaryDir('archive-src');
  writeCifar10Fixture(dir, 3, 3);
  const entries: [string, Uint8Array][] = readdirSync(dir)
    .sort()
    .map((name) => [`cifar-10-batches-bin/${name}`, readFileSync(join(dir, name))]);
  entries.push(['cifar-10-batches-bin/batches.meta.txt', Buffer.from('a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n')]);
  entries.push(['cifar-10-batches-bin/readme.html', Buffer.from('<p>readme</p>')]);
  return gzipSync(tarArchive(entries));
}

const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');

describe('CIFAR-10 download', () => {
  let server: Server;
  let baseUrl: string;
  let archive: Buffer;
  const requests: string[] = [];

  before(async () => {
    archive = await fixtureArchive();
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      if (request.url === '/cifar-10-binary.tar.gz') {
        response.writeHead(200, { 'content-length': archive.length });
        response.end(archive);
        return;
      }
      response.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('downloads, verifies and unpacks into the cache', async () => {
    const cache = await temporaryDir('download-cache');
    const env = { SWEEP_CACHE_DIR: cache, SWEEP_CIFAR10_URL: `${baseUrl}/cifar-10-binary.tar.gz` };

    const dir = await ensureCifar10({}, { env, download: { md5: md5(archive), progress: null } });

    assert.equal(dir, join(cache, 'datasets', 'cifar-10-batches-bin'));
    assert.deepEqual(readdirSync(dir).sort(), ['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']);
    assert.deepEqual(readdirSync(join(cache, 'datasets')), ['cifar-10-batches-bin']);
  });

  test('concurrent downloads leave one folder', async () => {
    const cache = await temporaryDir('download-concurrent');
    const options = { url: `${baseUrl}/cifar-10-binary.tar.gz`, md5: md5(archive), progress: null };

    const folders = await Promise.all([downloadCifar10(join(cache, 'datasets'), options), downloadCifar10(join(cache, 'datasets'), options)]);

    assert.equal(folders[0], folders[1]);
    assert.deepEqual(readdirSync(join(cache, 'datasets')), ['cifar-10-batches-bin']);
    assert.equal(readdirSync(folders[0]).length, 7);
  });

  test('second load reads the cache without downloading', async () => {
    const cache = await temporaryDir('download-once');
    const env = { SWEEP_CACHE_DIR: cache, SWEEP_CIFAR10_URL: `${baseUrl}/cifar-10-binary.tar.gz` };
    const dataset = { name: 'cifar10' as const, validation_split: 0 };
    const options = { env, download: { md5: md5(archive), progress: null } };
    const before = requests.length;

    await loadCifar10(dataset, 1, options);
    const data = await loadCifar10(dataset, 1, options);

    assert.equal(requests.length - before, 1);
    assert.equal(data.train.indices.length, 15);
    assert.deepEqual(data.classNames.slice(0, 3), ['a', 'b', 'c']);
  });

  test('progress bar goes to the given stream', async () => {
    const cache = await temporaryDir('download-progress');
    const lines: string[] = [];
    const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;

    await downloadCifar10(join(cache, 'datasets'), { url: `${baseUrl}/cifar-10-binary.tar.gz`, md5: md5(archive), progress: stream });

    assert.match(lines.at(-1) ?? '', /downloading CIFAR-10 \[#{30}\] 100%/);
  });

  test('wrong checksum is rejected and the file removed', async () => {
    const cache = await temporaryDir('download-md5');

    await assert.rejects(
      downloadCifar10(join(cache, 'datasets'), { url: `${baseUrl}/cifar-10-binary.tar.gz`, progress: null }),
      /has MD5 [0-9a-f]{32}, expected c32a1d4ab5d03f1284b67883e8d87530/,
    );
    assert.deepEqual(readdirSync(join(cache, 'datasets')), []);
  });

  test('HTTP error says where to put the files', async () => {
    const cache = await temporaryDir('download-404');
    const env = { SWEEP_CACHE_DIR: cache, SWEEP_CIFAR10_URL: `${baseUrl}/missing.tar.gz` };

    await assert.rejects(ensureCifar10({}, { env, download: { progress: null } }), (error: Error) => {
      assert.ok(error instanceof EnvironmentError);
      assert.match(error.message, /HTTP 404/);
      assert.match(error.message, /set SWEEP_DATA_DIR/);
      assert.ok(error.message.includes(join(cache, 'datasets', 'cifar-10-batches-bin')));
      return true;
    });
  });

  test('offline download explains the manual copy', async () => {
    const cache = await temporaryDir('download-offline');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const env = { SWEEP_CACHE_DIR: cache, SWEEP_CIFAR10_URL: `http://127.0.0.1:${port}/cifar-10-binary.tar.gz` };

    await assert.rejects(ensureCifar10({}, { env, download: { progress: null } }), /ECONNREFUSED[\s\S]*Without network access, copy data_batch_1\.bin/);
  });
});

describe('tar extraction', () => {
  test('unpacks only the batch folder', async () => {
    const dir = await temporaryDir('unpack');
    const path = join(dir, 'cifar.tar.gz');
    writeFileSync(path, await fixtureArchive());

    const folder = await unpackCifar10Archive(path, dir);

    assert.equal(existsSync(join(folder, 'readme.html')), false);
    assert.equal(existsSync(join(folder, 'test_batch.bin')), true);
  });

  test('pax long names are applied', async () => {
    const dir = await temporaryDir('tar-pax');
    const longName = `${'d'.repeat(120)}/file.bin`;
    const archive = tarArchive([[longName, Buffer.from('hello')]]);
    const seen: string[] = [];

    await extractTar([archive], (entry) => {
      seen.push(entry.name);
      return join(dir, 'out.bin');
    });

    assert.deepEqual(seen, [longName]);
    assert.equal(readFileSync(join(dir, 'out.bin'), 'utf8'), 'hello');
  });

  test('chunks split anywhere give the same files', async () => {
    const dir = await temporaryDir('tar-chunks');
    const data = Buffer.alloc(1500, 7);
    const archive = tarArchive([['a.bin', data], ['b.bin', Buffer.from('xyz')]]);
    const chunks = [archive.subarray(0, 100), archive.subarray(100, 700), archive.subarray(700, 701), archive.subarray(701)];

    await extractTar(chunks, (entry) => join(dir, entry.name));

    assert.deepEqual(readFileSync(join(dir, 'a.bin')), data);
    assert.equal(readFileSync(join(dir, 'b.bin'), 'utf8'), 'xyz');
  });

  test('truncated archive is an error', async () => {
    const dir = await temporaryDir('tar-truncated');
    const archive = tarArchive([['a.bin', Buffer.alloc(2000, 1)]]);

    await assert.rejects(extractTar([archive.subarray(0, 1200)], (entry) => join(dir, entry.name)), /ends inside "a\.bin" .*truncated/);
  });

  test('corrupt header is an error', async () => {
    const archive = tarArchive([['a.bin', Buffer.from('abc')]]);
    archive[10] ^= 0xff;

    await assert.rejects(extractTar([archive], () => undefined), /invalid tar header at byte 0: checksum/);
  });
});
