// Runs the benchmarks (`npm run bench`): every test/bench/*.bench.ts(x) file, or
// the names given (`npm run bench -- plan storage`), each in its own process so
// that one benchmark's memory and JIT state do not skew the next.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { singleThreadedGcFlag } from '../../src/garbage-collector.ts';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((name) => /\.bench\.tsx?$/.test(name))
  .filter((name) => wanted.length === 0 || wanted.some((w) => name.startsWith(`${w}.`)))
  .sort();

if (files.length === 0) {
  console.error(`bench: no benchmark matches ${wanted.join(', ') || 'test/bench/*.bench.ts'}`);
  process.exit(1);
}

let failed = 0;
for (const name of files) {
  console.log(`\n=== ${name}`);
  // Benchmarks run with the garbage collector that the `sweep` command uses.
  const result = spawnSync(process.execPath, ['--expose-gc', singleThreadedGcFlag, '--import', 'tsx', `${benchDir}${name}`], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    console.error(`bench: ${name} exited with ${result.status ?? result.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
