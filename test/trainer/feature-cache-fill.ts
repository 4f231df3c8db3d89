// A child process for the concurrent fill test: fills one key of a feature
// store after a pause (so that the other process starts waiting meanwhile),
// then prints what it got as one JSON line.
// Arguments: store folder, key, a marker file that the compute step appends to.
import { appendFileSync } from 'node:fs';
import { FeatureStore } from '../../src/trainer/feature-cache/feature-store.ts';

const [dir, key, marker] = process.argv.slice(2);
const store = new FeatureStore({ dir, maxBytes: 1024 ** 3, pollMs: 20 });

const { entry, outcome } = await store.getOrCreate(key, async () => {
  appendFileSync(marker, `${process.pid}\n`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const data = new Float32Array(3 * 4).map((_, i) => i * 0.5);
  return { count: 3, tensors: [{ shape: [4], data }] };
});
process.stdout.write(`${JSON.stringify({ outcome, count: entry.count, values: Array.from(entry.tensors[0].data) })}\n`);
