import assert from 'node:assert/strict';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { EnvironmentError } from '../../src/errors.ts';
import { imageBatch, labelBatch } from '../../src/trainer/batches.ts';
import { CIFAR10_IMAGE_BYTES, CIFAR10_RECORD_BYTES, encodeCifar10Records, readCifar10Records } from '../../src/trainer/datasets/cifar10-binary.ts';
import { CIFAR10_CLASS_NAMES, ensureCifar10, loadCifar10, locateCifar10, readClassNames } from '../../src/trainer/datasets/cifar10.ts';
import { temporaryDir, writeCifar10Fixture } from './fixtures.ts';

describe('CIFAR-10 binary reader', () => {
  test('reads labels and planar pixels', async () => {
    const dir = await temporaryDir('cifar-read');
    const images = new Uint8Array(2 * CIFAR10_IMAGE_BYTES);
    images[0] = 11; // image 0, red plane, pixel (0, 0)
    images[1024 + 1] = 22; // image 0, green plane, pixel (0, 1)
    images[CIFAR10_IMAGE_BYTES + 2048 + 1023] = 33; // image 1, blue plane, last pixel
    writeFileSync(join(dir, 'a.bin'), encodeCifar10Records(images, new Uint8Array([3, 9])));

    const records = readCifar10Records([join(dir, 'a.bin')]);

    assert.equal(records.count, 2);
    assert.deepEqual([...records.labels], [3, 9]);
    assert.deepEqual(records.images, images);
  });

  test('image batch converts to NHWC floats in [0, 1]', async () => {
    const dir = await temporaryDir('cifar-batch');
    const images = new Uint8Array(2 * CIFAR10_IMAGE_BYTES);
    images[0] = 255;
    images[1024 + 1] = 51;
    images[CIFAR10_IMAGE_BYTES + 2048 + 1023] = 102;
    writeFileSync(join(dir, 'a.bin'), encodeCifar10Records(images, new Uint8Array([3, 9])));
    const records = readCifar10Records([join(dir, 'a.bin')]);
    const split = { records, indices: new Uint32Array([0, 1]) };

    const batch = imageBatch(split, [1, 0]);
    const values = await batch.array();
    batch.dispose();

    assert.deepEqual(batch.shape, [2, 32, 32, 3]);
    assert.equal(values[1][0][0][0], 1);
    assert.ok(Math.abs(values[1][0][1][1] - 0.2) < 1e-6);
    assert.ok(Math.abs(values[0][31][31][2] - 0.4) < 1e-6);
    assert.deepEqual([...labelBatch(split, [1, 0])], [9, 3]);
  });

  test('truncated file names the file and record', async () => {
    const dir = await temporaryDir('cifar-truncated');
    writeCifar10Fixture(dir, 5, 5);
    const path = join(dir, 'data_batch_3.bin');
    truncateSync(path, 4 * CIFAR10_RECORD_BYTES + 1000);

    assert.throws(
      () => readCifar10Records([join(dir, 'data_batch_1.bin'), path]),
      (error: Error) => error instanceof EnvironmentError && error.message.includes(path) && error.message.includes('record 4 (0-based) is truncated after 1000'),
    );
  });

  test('empty file is rejected', async () => {
    const dir = await temporaryDir('cifar-empty');
    writeFileSync(join(dir, 'data_batch_1.bin'), '');

    assert.throws(() => readCifar10Records([join(dir, 'data_batch_1.bin')]), /data_batch_1\.bin is empty/);
  });

  test('label above 9 names the record', async () => {
    const dir = await temporaryDir('cifar-label');
    const bytes = encodeCifar10Records(new Uint8Array(3 * CIFAR10_IMAGE_BYTES), new Uint8Array([1, 2, 3]));
    bytes[2 * CIFAR10_RECORD_BYTES] = 12;
    writeFileSync(join(dir, 'test_batch.bin'), bytes);

    assert.throws(() => readCifar10Records([join(dir, 'test_batch.bin')]), /test_batch\.bin: record 2 \(0-based\) has label 12/);
  });

  test('limit reads only the first records across files', async () => {
    const dir = await temporaryDir('cifar-limit');
    writeCifar10Fixture(dir, 6, 4);
    const paths = ['data_batch_1.bin', 'data_batch_2.bin'].map((name) => join(dir, name));

    const records = readCifar10Records(paths, 8);
    const all = readCifar10Records(paths);

    assert.equal(records.count, 8);
    assert.deepEqual(records.images, all.images.subarray(0, 8 * CIFAR10_IMAGE_BYTES));
  });
});

describe('CIFAR-10 location', () => {
  test('dataset.path wins over SWEEP_DATA_DIR and the cache', () => {
    const env = { SWEEP_DATA_DIR: '/data/env', SWEEP_CACHE_DIR: '/cache' };

    assert.deepEqual(locateCifar10({ path: '/data/config' }, env), { dir: '/data/config', source: 'dataset.path' });
    assert.deepEqual(locateCifar10({}, env), { dir: '/data/env', source: 'SWEEP_DATA_DIR' });
    assert.deepEqual(locateCifar10({}, { SWEEP_CACHE_DIR: '/cache' }), { dir: '/cache/datasets/cifar-10-batches-bin', source: 'cache' });
  });

  test('missing files message names folder, files and setting', async () => {
    const dir = await temporaryDir('cifar-missing');
    const empty = join(dir, 'nothing-here');
    mkdirSync(empty);

    await assert.rejects(ensureCifar10({}, { env: { SWEEP_DATA_DIR: empty } }), (error: Error) => {
      assert.ok(error instanceof EnvironmentError);
      assert.match(error.message, new RegExp(`missing from ${empty} \\(set by SWEEP_DATA_DIR\\)`));
      assert.match(error.message, /point SWEEP_DATA_DIR at the folder that holds them/);
      assert.match(error.message, /data_batch_1\.bin, data_batch_2\.bin, data_batch_3\.bin, data_batch_4\.bin, data_batch_5\.bin, test_batch\.bin/);
      return true;
    });
  });

  test('class names come from batches.meta.txt', async () => {
    const dir = await temporaryDir('cifar-meta');
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    writeFileSync(join(dir, 'batches.meta.txt'), `${names.join('\n')}\n\n`);

    assert.deepEqual(readClassNames(dir), names);
    assert.deepEqual(readClassNames(join(dir, 'absent')), [...CIFAR10_CLASS_NAMES]);
  });

  test('class names fall back when the meta file lists too few', async () => {
    const dir = await temporaryDir('cifar-meta-short');
    writeFileSync(join(dir, 'batches.meta.txt'), 'cat\ndog\n');
    const messages: string[] = [];

    assert.deepEqual(readClassNames(dir, (message) => messages.push(message)), [...CIFAR10_CLASS_NAMES]);
    assert.equal(messages.length, 1);
  });
});

describe('CIFAR-10 splits', () => {
  test('validation split repeats for a seed', async () => {
    const dir = await temporaryDir('cifar-split');
    writeCifar10Fixture(dir, 20, 10);
    const dataset = { name: 'cifar10' as const, path: dir, validation_split: 0.25 };

    const first = await loadCifar10(dataset, 1);
    const again = await loadCifar10(dataset, 1);
    const other = await loadCifar10(dataset, 2);

    assert.equal(first.train.indices.length, 75);
    assert.equal(first.validation.indices.length, 25);
    assert.deepEqual(first.validation.indices, again.validation.indices);
    assert.notDeepEqual(first.validation.indices, other.validation.indices);
    const union = new Set([...first.train.indices, ...first.validation.indices]);
    assert.equal(union.size, 100);
  });

  test('limits keep the first records of each split', async () => {
    const dir = await temporaryDir('cifar-limits');
    writeCifar10Fixture(dir, 20, 10);

    const data = await loadCifar10({ name: 'cifar10', path: dir, validation_split: 0.5, limits: { train: 30, test: 4 } }, 3);

    assert.equal(data.train.records.count, 30);
    assert.equal(data.train.indices.length + data.validation.indices.length, 30);
    assert.equal(data.test.indices.length, 4);
  });

  test('invalid validation_split is rejected', async () => {
    const dir = await temporaryDir('cifar-bad-split');
    writeCifar10Fixture(dir, 2, 2);

    await assert.rejects(loadCifar10({ name: 'cifar10', path: dir, validation_split: 1 }, 1), /validation_split must be at least 0 and below 1, got 1/);
  });
});

test('image batch leaks no tensors', async () => {
  const dir = await temporaryDir('cifar-leak');
  writeCifar10Fixture(dir, 4, 4);
  const records = readCifar10Records([join(dir, 'data_batch_1.bin')]);
  const before = tf.memory().numTensors;

  imageBatch({ records, indices: new Uint32Array([0, 1, 2]) }, [0, 2]).dispose();

  assert.equal(tf.memory().numTensors, before);
});
