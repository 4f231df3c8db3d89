import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FeatureStore, type FeatureEntry } from '../../src/trainer/feature-cache/feature-store.ts';
import { temporaryDir } from './fixtures.ts';

const keyA = 'a'.repeat(64);
const keyB = 'b'.repeat(64);
const keyC = 'c'.repeat(64);

/** Creates an entry of `count` images with two tensors, [2] and [2×3], with values derived from `seed`. */
function entryOf(count: number, seed: number): FeatureEntry {
  return {
    count,
    tensors: [
      { shape: [2], data: new Float32Array(count * 2).map((_, i) => seed + i) },
      { shape: [2, 3], data: new Float32Array(count * 6).map((_, i) => seed - i / 4) },
    ],
  };
}

/** Sets an entry's access time to `secondsAgo` seconds ago. */
function setAccessed(store: FeatureStore, key: string, secondsAgo: number): void {
  const path = store.entryPath(key);
  const when = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, when, statSync(path).mtime);
}

describe('feature store', () => {
  test('read of a missing key returns undefined', async () => {
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 1 << 20 });

    assert.equal(store.read(keyA), undefined);
  });

  test('write then read returns the same values', async () => {
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 1 << 20 });
    const entry = entryOf(5, 3);

    assert.equal(store.write(keyA, entry), true);
    const read = store.read(keyA);

    assert.equal(read?.count, 5);
    assert.deepEqual(read?.tensors.map((tensor) => tensor.shape), [[2], [2, 3]]);
    assert.deepEqual(Array.from(read?.tensors[0].data ?? []), Array.from(entry.tensors[0].data));
    assert.deepEqual(Array.from(read?.tensors[1].data ?? []), Array.from(entry.tensors[1].data));
  });

  test('second write of a key keeps the first entry', async () => {
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 1 << 20 });

    assert.equal(store.write(keyA, entryOf(2, 1)), true);
    assert.equal(store.write(keyA, entryOf(2, 100)), false);

    assert.equal(store.read(keyA)?.tensors[0].data[0], 1);
    assert.deepEqual(readdirSync(store.dir), [`${keyA}.features`]);
  });

  test('getOrCreate computes on a miss and reads on a hit', async () => {
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 1 << 20 });
    let calls = 0;
    const create = async (): Promise<FeatureEntry> => {
      calls++;
      return entryOf(4, 9);
    };

    const first = await store.getOrCreate(keyA, create);
    const second = await store.getOrCreate(keyA, create);

    assert.equal(first.outcome, 'miss');
    assert.equal(second.outcome, 'hit');
    assert.equal(calls, 1);
    assert.deepEqual(Array.from(second.entry.tensors[1].data), Array.from(first.entry.tensors[1].data));
    assert.deepEqual(readdirSync(store.dir), [`${keyA}.features`]);
  });

  test('truncated entry is deleted and read as a miss', async () => {
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 1 << 20 });
    store.write(keyA, entryOf(4, 1));
    truncateSync(store.entryPath(keyA), statSync(store.entryPath(keyA)).size - 4);

    assert.equal(store.read(keyA), undefined);
    assert.deepEqual(readdirSync(store.dir), []);
  });

  test('eviction deletes the least recently read entry', async () => {
    // Every entry below has the same size; measure it once.
    const probe = new FeatureStore({ dir: await temporaryDir('features-probe'), maxBytes: 1 << 20 });
    probe.write(keyA, entryOf(10, 0));
    const size = statSync(probe.entryPath(keyA)).size;
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 2 * size });
    store.write(keyA, entryOf(10, 1));
    store.write(keyB, entryOf(10, 2));
    setAccessed(store, keyA, 300);
    setAccessed(store, keyB, 200);
    store.read(keyA);

    store.write(keyC, entryOf(10, 3));

    assert.deepEqual(store.list().map((entry) => entry.key).sort(), [keyA, keyC]);
  });

  test('eviction never deletes the entry just written', async () => {
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 1 << 20 });
    store.write(keyA, entryOf(10, 1));
    const oneEntry = statSync(store.entryPath(keyA)).size;
    const small = new FeatureStore({ dir: store.dir, maxBytes: oneEntry });

    small.write(keyB, entryOf(10, 2));

    assert.deepEqual(small.list().map((entry) => entry.key), [keyB]);
  });

  test('entry above the size limit is not stored', async () => {
    const logs: string[] = [];
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 100, onLog: (message) => logs.push(message) });

    assert.equal(store.write(keyA, entryOf(10, 1)), false);
    assert.deepEqual(store.list(), []);
    assert.match(logs.join('\n'), /does not fit the limit/);
  });

  test('lock of a dead process is taken over', async () => {
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 1 << 20, pollMs: 10 });
    const { hostname } = await import('node:os');
    // PIDs are below 2^22 on Linux, so this one cannot be alive.
    writeFileSync(join(store.dir, `${keyA}.lock`), `${hostname()}\n${2 ** 22 + 1}\n`);

    const { outcome } = await store.getOrCreate(keyA, async () => entryOf(1, 1));

    assert.equal(outcome, 'miss');
    assert.deepEqual(readdirSync(store.dir), [`${keyA}.features`]);
  });

  test('lock without heartbeat is taken over', async () => {
    const store = new FeatureStore({ dir: await temporaryDir('features'), maxBytes: 1 << 20, pollMs: 10, staleLockMs: 1000 });
    const lockPath = join(store.dir, `${keyA}.lock`);
    const { hostname } = await import('node:os');
    // This process is alive, so only the old modification time makes the lock stale.
    writeFileSync(lockPath, `${hostname()}\n${process.pid}\n`);
    const old = new Date(Date.now() - 5000);
    utimesSync(lockPath, old, old);

    const { outcome } = await store.getOrCreate(keyA, async () => entryOf(1, 1));

    assert.equal(outcome, 'miss');
    assert.deepEqual(readdirSync(store.dir), [`${keyA}.features`]);
  });

  test('two processes filling one key end with one entry', async () => {
    const dir = await temporaryDir('features');
    const marker = join(dir, 'computed-by');
    const script = new URL('./feature-cache-fill.ts', import.meta.url).pathname;
    const run = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, join(dir, 'store'), keyA, marker], { stdio: ['ignore', 'pipe', 'inherit'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
        });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`the fill process exited with code ${code}`))));
      });

    const outputs = await Promise.all([run(), run()]);
    const results = outputs.map((output) => JSON.parse(output.trim()) as { outcome: string; count: number; values: number[] });

    assert.deepEqual(results.map((result) => result.outcome).sort(), ['filled-by-other', 'miss']);
    assert.deepEqual(results[0].values, results[1].values);
    assert.equal(readFileSync(marker, 'utf8').trim().split('\n').length, 1);
    assert.deepEqual(readdirSync(join(dir, 'store')), [`${keyA}.features`]);
    const stored = new FeatureStore({ dir: join(dir, 'store'), maxBytes: 1 << 20 }).read(keyA);
    assert.deepEqual(Array.from(stored?.tensors[0].data ?? []), results[0].values);
  });
});
