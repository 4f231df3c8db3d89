import { createHash, type Hash } from 'node:crypto';
import type { ImageRecords } from '../datasets/cifar10-binary.ts';
import type { CutPoint } from './cut-point.ts';

/**
 * Version of what an entry contains. Raise it when the input conversion
 * (`imageBatch`: uint8 CIFAR-10 planes → float32 NHWC in [0, 1]) or the entry
 * layout changes, so that older entries stop matching.
 */
const FORMAT = 'sweep-feature-cache/1 cifar10-uint8/255-nhwc float32';

/** Layer config keys that do not change what a layer computes once its weights are set. */
const IGNORED_CONFIG_KEY = /(Initializer|Regularizer|Constraint)$|^(name|trainable)$/;

const recordHashes = new WeakMap<ImageRecords, string>();

/**
 * Hashes the frozen part of a model with sha256. For each frozen layer call in
 * order it hashes the class, the config (without names, initializers and the
 * trainable flag), the sources of the inputs and every weight value, and at the
 * end which tensors form the cut. Two models with the same hash compute the
 * same cut activations from the same images, whatever their heads or training settings.
 */
export function hashFrozenPart(cut: CutPoint): string {
  const hash = createHash('sha256').update(FORMAT);
  const position = new Map<unknown, string>();
  for (const [index, op] of cut.frozen.entries()) {
    const inputs = op.inputs.map((tensor) => position.get(tensor) ?? 'external');
    hash.update(`\n${op.layer.getClassName()} ${stableJson(withoutIgnoredKeys(op.layer.getConfig()))} <- ${inputs.join(',')}`);
    for (const weight of op.layer.weights) {
      hash.update(`\n${weight.dtype} [${weight.shape.join(',')}]`);
      hashTensorValues(hash, weight.read().dataSync());
    }
    op.outputs.forEach((tensor, output) => position.set(tensor, `${index}.${output}`));
  }
  hash.update(`\ncut ${cut.tensors.map((tensor) => position.get(tensor) ?? 'external').join(',')}`);
  return hash.digest('hex');
}

/**
 * Hashes a record set's images with sha256 (count, then the bytes in file
 * order). Splits index into the records, so every split of the same files
 * shares one entry. Memoized per records object, because the training and
 * validation splits share theirs.
 */
export function hashImageRecords(records: ImageRecords): string {
  const known = recordHashes.get(records);
  if (known !== undefined) {
    return known;
  }
  const digest = createHash('sha256').update(`${records.count}\n`).update(records.images).digest('hex');
  recordHashes.set(records, digest);
  return digest;
}

/** Combines the frozen part's hash and the images' hash into an entry key. */
export function featureKey(frozenPartHash: string, recordsHash: string): string {
  return createHash('sha256').update(`${frozenPartHash}\n${recordsHash}`).digest('hex');
}

function hashTensorValues(hash: Hash, values: ArrayLike<number> | string[] | Uint8Array[]): void {
  if (ArrayBuffer.isView(values)) {
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return;
  }
  hash.update(JSON.stringify(values));
}

function withoutIgnoredKeys(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([key]) => !IGNORED_CONFIG_KEY.test(key)));
}

/** JSON with object keys sorted, so that equal configs hash equally. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => stableJson(item)).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareStrings(a, b));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function compareStrings(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}
