// Orchestration cost of the sweep runner on tiny trials, and the speedup of two
// workers over one. Each configuration runs the real runner against an
// embedded PostgreSQL and a local artifact folder, with simple-CNN trials of
// 16 training images and one epoch (`npm run bench -- scheduler`).
import { mkdtemp, rm } from 'node:fs/promises';
import { sql } from 'kysely';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArtifactStore } from '../../src/artifacts/open-artifact-store.ts';
import { planDevices } from '../../src/scheduler/devices.ts';
import { SweepEventEmitter } from '../../src/scheduler/events.ts';
import { SweepRunner, type OverheadStep, type SweepRunSummary } from '../../src/scheduler/sweep-runner.ts';
import { startTestPostgres } from '../helpers/postgres.ts';
import { insertSweep, writeTinyCifar } from '../scheduler/fixtures.ts';

const overheadTrials = Number(process.env.BENCH_OVERHEAD_TRIALS ?? 8);
const throughputTrials = Number(process.env.BENCH_THROUGHPUT_TRIALS ?? 6);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const work = await mkdtemp(join(tmpdir(), 'sweep-scheduler-bench-'));
const postgres = await startTestPostgres();
try {
  const dataDir = await writeTinyCifar(join(work, 'cifar'), 12);
  let sweepCount = 0;

  async function runSweep(trials: number, workers: number): Promise<{ summary: SweepRunSummary; wallMs: number }> {
    sweepCount += 1;
    const name = `bench-${sweepCount}`;
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, name, trials, { datasetPath: dataDir });
    const store = openArtifactStore(join(work, `artifacts-${sweepCount}`));
    const runner = new SweepRunner({
      db,
      sweepId,
      sweepName: name,
      plan: planDevices({ workers, gpus: [], nativeBackend: false, isolation: 'thread' }),
      events: new SweepEventEmitter(),
      artifacts: store,
      stateDir: join(work, `state-${sweepCount}`),
    });
    const start = performance.now();
    const summary = await runner.run();
    const wallMs = performance.now() - start;
    store.close();
    if (summary.completed !== trials) {
      throw new Error(`${name}: ${summary.completed} of ${trials} trials completed`);
    }
    return { summary, wallMs };
  }

  console.log(`machine: ${availableParallelism()} cores, load average before ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);

  // The round-trip time to PostgreSQL scales every database step below, so it is printed with them.
  const probe = await postgres.freshDatabase();
  const roundTrips: number[] = [];
  for (let index = 0; index < 50; index += 1) {
    const start = performance.now();
    await sql`SELECT 1`.execute(probe.db);
    roundTrips.push(performance.now() - start);
  }
  await probe.close();
  console.log(`PostgreSQL round trip (SELECT 1): median ${median(roundTrips).toFixed(2)} ms`);

  // Orchestration overhead: one worker, so steps do not overlap.
  const { summary } = await runSweep(overheadTrials, 1);
  const overhead = summary.overheadMs;
  const shares = overhead.map((ms, index) => ms / (summary.trialMs[index] as number));
  console.log(`\noverhead per trial, ${overheadTrials} trials, 1 worker (the first trial's thread start is included):`);
  console.log(`  median ${median(overhead).toFixed(1)} ms, min ${Math.min(...overhead).toFixed(1)} ms, max ${Math.max(...overhead).toFixed(1)} ms`);
  const idleShares = summary.slotIdleMs.map((ms, index) => ms / (summary.trialMs[index] as number));
  console.log(`  of which the device slot waited: median ${median(summary.slotIdleMs).toFixed(1)} ms, ${(100 * median(idleShares)).toFixed(2)} % of trial wall time (the rest overlaps the next trial)`);
  console.log(`  median share of trial wall time ${(100 * median(shares)).toFixed(2)} % (median trial ${(median(summary.trialMs) / 1000).toFixed(2)} s)`);
  const steps: OverheadStep[] = ['claim', 'prepare', 'epochs', 'files', 'upload', 'commit'];
  for (const step of steps) {
    const values = summary.overheadSteps.map((entry) => entry[step] ?? 0);
    console.log(`  ${step.padEnd(8)} median ${median(values).toFixed(1)} ms`);
  }

  // Throughput: the same trials with one worker, then with two.
  const one = await runSweep(throughputTrials, 1);
  const two = await runSweep(throughputTrials, 2);
  console.log(`\nthroughput, ${throughputTrials} trials:`);
  console.log(`  1 worker  ${(one.wallMs / 1000).toFixed(1)} s  (${((throughputTrials * 60_000) / one.wallMs).toFixed(1)} trials/min)`);
  console.log(`  2 workers ${(two.wallMs / 1000).toFixed(1)} s  (${((throughputTrials * 60_000) / two.wallMs).toFixed(1)} trials/min)`);
  console.log(`  speedup ${(one.wallMs / two.wallMs).toFixed(2)}x`);
  console.log(`load average after ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
} finally {
  await postgres.stop();
  await rm(work, { recursive: true, force: true });
}
