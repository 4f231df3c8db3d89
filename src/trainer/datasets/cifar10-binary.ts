import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { EnvironmentError } from '../../errors.ts';

/**
 * The official CIFAR-10 binary format (cifar-10-batches-bin): each record is one
 * label byte followed by 3,072 image bytes, the 1,024 red, 1,024 green and 1,024
 * blue values of a 32×32 image, each plane row-major.
 */
export const CIFAR10_IMAGE_SIZE = 32;
export const CIFAR10_CHANNELS = 3;
export const CIFAR10_IMAGE_BYTES = CIFAR10_IMAGE_SIZE * CIFAR10_IMAGE_SIZE * CIFAR10_CHANNELS;
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_IMAGE_BYTES;
export const CIFAR10_CLASSES = 10;

/** The training files in the order their records are numbered. */
export const CIFAR10_TRAIN_FILES: readonly string[] = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_META_FILE = 'batches.meta.txt';

/** Images in the file layout (planar RGB per image, 3,072 bytes each) and their labels, as bytes. */
export interface ImageRecords {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/**
 * Reads the records of several files in order, stopping after `limit` records
 * (all of them when absent). Every file's size is checked before anything is
 * read, so a truncated file fails fast; a label outside 0–9 names its record.
 */
export function readCifar10Records(paths: readonly string[], limit?: number): ImageRecords {
  const counts = paths.map(recordCount);
  const available = counts.reduce((sum, count) => sum + count, 0);
  const count = limit === undefined ? available : Math.min(limit, available);
  const images = new Uint8Array(count * CIFAR10_IMAGE_BYTES);
  const labels = new Uint8Array(count);

  let filled = 0;
  for (let fileIndex = 0; fileIndex < paths.length && filled < count; fileIndex++) {
    const take = Math.min(counts[fileIndex], count - filled);
    readRecordsInto(paths[fileIndex], take, images, labels, filled);
    filled += take;
  }
  return { images, labels, count };
}

/** Returns the number of records in a file, or throws when its size is not a whole number of records. */
export function recordCount(path: string): number {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }

  const whole = Math.floor(size / CIFAR10_RECORD_BYTES);
  const rest = size % CIFAR10_RECORD_BYTES;
  if (size === 0) {
    throw new EnvironmentError(`${path} is empty, but a CIFAR-10 batch file contains records of ${CIFAR10_RECORD_BYTES} bytes. Replace it with a fresh copy from cifar-10-binary.tar.gz.`);
  }
  if (rest !== 0) {
    throw new EnvironmentError(
      `${path} has the wrong size (${size} bytes, not a multiple of the ${CIFAR10_RECORD_BYTES}-byte record): ` +
        `record ${whole} (0-based) is truncated after ${rest} of its ${CIFAR10_RECORD_BYTES} bytes. ` +
        'Replace the file with a fresh copy from cifar-10-binary.tar.gz.',
    );
  }
  return whole;
}

function readRecordsInto(path: string, count: number, images: Uint8Array, labels: Uint8Array, offset: number): void {
  const bytes = Buffer.allocUnsafe(count * CIFAR10_RECORD_BYTES);
  const fd = openSync(path, 'r');
  try {
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) {
        throw new EnvironmentError(`${path} ended while reading record ${Math.floor(read / CIFAR10_RECORD_BYTES)} (0-based); the file changed or is truncated.`);
      }
      read += n;
    }
  } finally {
    closeSync(fd);
  }

  for (let record = 0; record < count; record++) {
    const start = record * CIFAR10_RECORD_BYTES;
    const label = bytes[start];
    if (label >= CIFAR10_CLASSES) {
      throw new EnvironmentError(`${path}: record ${record} (0-based) has label ${label}, but CIFAR-10 labels are 0 to ${CIFAR10_CLASSES - 1}; the file is not a CIFAR-10 batch or is corrupt.`);
    }
    labels[offset + record] = label;
    images.set(bytes.subarray(start + 1, start + CIFAR10_RECORD_BYTES), (offset + record) * CIFAR10_IMAGE_BYTES);
  }
}

/** Encodes records in the official binary format; used to write test fixtures and by tools. */
export function encodeCifar10Records(images: Uint8Array, labels: Uint8Array): Buffer {
  const count = labels.length;
  if (images.length !== count * CIFAR10_IMAGE_BYTES) {
    throw new Error(`encodeCifar10Records: ${images.length} image bytes do not match ${count} labels × ${CIFAR10_IMAGE_BYTES} bytes`);
  }
  const out = Buffer.alloc(count * CIFAR10_RECORD_BYTES);
  for (let record = 0; record < count; record++) {
    out[record * CIFAR10_RECORD_BYTES] = labels[record];
    out.set(images.subarray(record * CIFAR10_IMAGE_BYTES, (record + 1) * CIFAR10_IMAGE_BYTES), record * CIFAR10_RECORD_BYTES + 1);
  }
  return out;
}

