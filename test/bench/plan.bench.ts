// Plans a 10^6-point grid and reports the time and peak memory.
// Target: under 2 s and under 100 MB peak. Run: npm run bench -- plan
import { planTrials } from '../../src/planner/plan-trials.ts';
import { parseSpec } from '../../src/spec/parse-spec.ts';

const range = (count: number, map: (i: number) => number): number[] => Array.from({ length: count }, (_, i) => map(i));

// 100 x 10 x 10 x 10 x 10 = 10^6 points; with 0 unfrozen layers the fine-tune
// learning rate does not matter, so 9 of every 10 of those points collapse.
const text = `
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

globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
const maxRssBeforeKb = process.resourceUsage().maxRSS;

const started = performance.now();
const cpuBefore = process.cpuUsage();
const spec = parseSpec(text, 'bench-grid.yaml');
const plan = planTrials(spec);
let count = 0;
let peakHeap = 0;
let checksum = 0;
for (const trial of plan) {
  count += 1;
  checksum ^= trial.config_hash.charCodeAt(0);
  if ((count & 0x3fff) === 0) {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
const maxRssKb = process.resourceUsage().maxRSS;

const summary = plan.summary;
console.log(`grid points:            ${summary.grid_points?.toLocaleString('en-US')}`);
console.log(`trials planned:         ${count.toLocaleString('en-US')} (collapsed ${summary.collapsed.toLocaleString('en-US')}; checksum ${checksum})`);
console.log(`wall time:              ${seconds.toFixed(2)} s (${((seconds / (summary.grid_points ?? 1)) * 1e6).toFixed(2)} µs per point), target < 2 s`);
console.log(`CPU time (user+system): ${cpuSeconds.toFixed(2)} s; on a loaded machine this is closer to the unloaded wall time`);
console.log(`peak RSS of process:    ${megabytes(maxRssKb * 1024)} MB (${megabytes(maxRssBeforeKb * 1024)} MB before planning, RSS then ${megabytes(rssBefore)} MB), target < 100 MB`);
console.log(`peak heap used:         ${megabytes(peakHeap)} MB (${megabytes(heapBefore)} MB before planning, sampled every 16,384 trials)`);
