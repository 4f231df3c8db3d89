// Plans a 10^6-point grid and reports time and peak memory; target: under 2 s and
// under 100 MB peak. Each measurement runs in a fresh process: under tsx, as
// `sweep plan` runs, and as a plain Node.js bundle, whose figures leave out the
// memory of tsx's loader thread. Run: npm run bench -- plan
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planTrials } from '../../src/planner/plan-trials.ts';
import { parseSpec } from '../../src/spec/parse-spec.ts';

const range = (count: number, map: (i: number) => number): number[] => Array.from({ length: count }, (_, i) => map(i));

// 100 x 10 x 10 x 10 x 5 x 2 = 10^6 points. With 0 unfrozen layers the fine-tune
// learning rate does not matter, so 9 of the 10 rates collapse there (9,000 points).
const SPEC = `
name: bench-grid
dataset: { name: cifar10 }
model:
  type: transfer
  head:
    dense_units: \${dense_units}
    dropout: \${dropout}
training:
  augmentation:
    translation: \${translation}
  head: { learning_rate: "\${head_lr}", max_epochs: 10 }
  fine_tune:
    unfreeze_layers: \${unfreeze_layers}
    learning_rate: \${fine_tune_lr}
    max_epochs: 5
parameters:
  unfreeze_layers: { distribution: integer, low: 0, high: 99 }
  dense_units: [${range(10, (i) => 32 * (i + 1)).join(', ')}]
  fine_tune_lr: [${range(10, (i) => (i + 1) * 1e-5).join(', ')}]
  head_lr: [${range(10, (i) => (i + 1) * 1e-4).join(', ')}]
  dropout: [${range(5, (i) => i * 0.1).join(', ')}]
  translation: [0, 0.1]
`;

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function measure(label: string): void {
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;

  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const plan = planTrials(parseSpec(SPEC, 'bench-grid.yaml'));
  let count = 0;
  let peakHeap = 0;
  let checksum = 0;
  for (const trial of plan) {
    count += 1;
    // Reads every hash, so no part of the planned trial can be skipped.
    checksum ^= trial.config_hash.charCodeAt(63);
    if ((count & 0x3fff) === 0) {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  // maxRSS is the peak resident set of the whole process (all threads), in KiB.
  const peakRss = process.resourceUsage().maxRSS * 1024;

  const summary = plan.summary;
  const points = summary.grid_points ?? 1;
  console.log(`--- ${label}`);
  console.log(`grid points:            ${points.toLocaleString('en-US')}`);
  console.log(`trials planned:         ${count.toLocaleString('en-US')} (collapsed ${summary.collapsed.toLocaleString('en-US')}; checksum ${checksum})`);
  console.log(`wall time:              ${seconds.toFixed(2)} s (${((seconds / points) * 1e6).toFixed(2)} µs per point), target < 2 s`);
  console.log(`CPU time (user+system): ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (all threads; on a shared machine closer to the unloaded wall time)`);
  console.log(`peak RSS of process:    ${megabytes(peakRss)} MB, ${megabytes(rssBefore)} MB of it before planning; target < 100 MB`);
  console.log(`peak heap used:         ${megabytes(peakHeap)} MB, ${megabytes(heapBefore)} MB before planning (sampled every 16,384 trials)`);
}

function run(label: string, args: string[]): boolean {
  const result = spawnSync(process.execPath, ['--expose-gc', ...args], {
    stdio: 'inherit',
    env: { ...process.env, PLAN_BENCH_MEASURE: label },
  });
  return result.status === 0;
}

if (process.env.PLAN_BENCH_MEASURE !== undefined) {
  measure(process.env.PLAN_BENCH_MEASURE);
} else {
  const self = fileURLToPath(import.meta.url);
  let ok = run('under tsx (as the sweep command runs)', ['--import', 'tsx', self]);

  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'sweep-plan-bench-'));
  try {
    const bundle = join(dir, 'plan.bench.mjs');
    await build({
      entryPoints: [self],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      external: ['esbuild'],
      // The yaml package is CommonJS and calls require; an ESM bundle needs one made for it.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      logLevel: 'error',
    });
    ok = run('plain Node.js (esbuild bundle, no tsx loader)', [bundle]) && ok;
    // A diagnostic, not the target figure: with V8's young generation capped, the peak
    // shows what the planner retains rather than how far V8 lets garbage accumulate.
    ok = run('plain Node.js, --max-semi-space-size=2 (diagnostic)', ['--max-semi-space-size=2', bundle]) && ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = ok ? 0 : 1;
}
