// Orchestration cost of the sweep runner on tiny trials, and the speedup of two
// workers over one. Each configuration runs the real runner against an
// embedded PostgreSQL and a local artifact folder, with simple-CNN trials of
// 30 training images and one epoch, or five epochs for the second throughput
// run (`npm run bench -- scheduler`).
import { mkdtemp, rm } from 'node:fs/promises';
import { sql } from 'kysely';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArtifactStore } from '../../src/artifacts/open-artifact-store.ts';
import { usesSingleThreadedGc } from '../../src/garbage-collector.ts';
import { planDevices } from '../../src/scheduler/devices.ts';
import { SweepEventEmitter } from '../../src/scheduler/events.ts';
import { SweepRunner, type OverheadStep, type SweepRunSummary } from '../../src/scheduler/sweep-runner.ts';
import { startTestPostgres } from '../helpers/postgres.ts';
import { insertSweep, writeTinyCifar } from '../scheduler/fixtures.ts';

const overheadTrials = Number(process.env.BENCH_OVERHEAD_TRIALS ?? 8);
const throughputTrials = Number(process.env.BENCH_THROUGHPUT_TRIALS ?? 12);
const throughputEpochs = Number(process.env.BENCH_THROUGHPUT_EPOCHS ?? 5);

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

  /** Runs a sweep of `trials` tiny trials. `finishedMs` lists when each trial completed, from the start of the run. */
  async function runSweep(trials: number, workers: number, epochs = 1): Promise<{ summary: SweepRunSummary; wallMs: number; finishedMs: number[] }> {
    sweepCount += 1;
    const name = `bench-${sweepCount}`;
    const { db } = await postgres.freshDatabase();
    const sweepId = await insertSweep(db, name, trials, { datasetPath: dataDir, epochs });
    const store = openArtifactStore(join(work, `artifacts-${sweepCount}`));
    const start = performance.now();
    const events = new SweepEventEmitter();
    const finishedMs: number[] = [];
    events.on('trial-finished', () => finishedMs.push(performance.now() - start));
    const runner = new SweepRunner({
      db,
      sweepId,
      sweepName: name,
      plan: planDevices({ workers, gpus: [], nativeBackend: false, isolation: 'thread' }),
      events,
      artifacts: store,
      stateDir: join(work, `state-${sweepCount}`),
    });
    const summary = await runner.run();
    const wallMs = performance.now() - start;
    store.close();
    if (summary.completed !== trials) {
      throw new Error(`${name}: ${summary.completed} of ${trials} trials completed`);
    }
    return { summary, wallMs, finishedMs };
  }

  /**
   * Computes trials per minute once every worker has finished its first trial.
   * Starting the worker threads (loading TensorFlow.js) is left out because a real sweep pays it once.
   */
  function steadyRate(finishedMs: readonly number[], workers: number): number {
    const first = finishedMs[workers - 1] as number;
    const last = finishedMs[finishedMs.length - 1] as number;
    return ((finishedMs.length - workers) * 60_000) / (last - first);
  }

  console.log(`machine: ${availableParallelism()} cores, load average before ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
  const collector = usesSingleThreadedGc() ? 'single-threaded, as `sweep` runs' : 'V8 default, concurrent';
  console.log(`garbage collector: ${collector}`);

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
  console.log(`\norchestration per trial (claim, database writes, files, upload), ${overheadTrials} trials, 1 worker:`);
  console.log(`  median ${median(overhead).toFixed(1)} ms, min ${Math.min(...overhead).toFixed(1)} ms, max ${Math.max(...overhead).toFixed(1)} ms`);
  console.log(`  median share of trial wall time ${(100 * median(shares)).toFixed(2)} % (median trial ${(median(summary.trialMs) / 1000).toFixed(2)} s)`);
  const idleShares = summary.slotIdleMs.map((ms, index) => ms / (summary.trialMs[index] as number));
  console.log(`  of which the device slot waited: median ${median(summary.slotIdleMs).toFixed(1)} ms, ${(100 * median(idleShares)).toFixed(2)} % of trial wall time (the rest overlaps the next trial)`);
  const steps: OverheadStep[] = ['claim', 'prepare', 'epochs', 'files', 'upload', 'commit', 'charts'];
  for (const step of steps) {
    const values = summary.overheadSteps.map((entry) => entry[step] ?? 0);
    const note = step === 'charts' ? '  (render thread, overlaps the next trial; not in the figures above)' : '';
    console.log(`  ${step.padEnd(8)} median ${median(values).toFixed(1)} ms${note}`);
  }

  // Throughput: the same trials with one worker, then with two, for tiny
  // one-epoch trials and for trials of several epochs.
  for (const epochs of [1, throughputEpochs]) {
    const oneWorker = await runSweep(throughputTrials, 1, epochs);
    const twoWorkers = await runSweep(throughputTrials, 2, epochs);
    const oneRate = steadyRate(oneWorker.finishedMs, 1);
    const twoRate = steadyRate(twoWorkers.finishedMs, 2);
    console.log(`\nthroughput, ${throughputTrials} trials of ${epochs} epoch${epochs === 1 ? '' : 's'} (median trial ${(median(oneWorker.summary.trialMs) / 1000).toFixed(2)} s with 1 worker):`);
    console.log(`  1 worker  ${(oneWorker.wallMs / 1000).toFixed(1)} s in all, ${oneRate.toFixed(1)} trials/min after the first trial`);
    console.log(`  2 workers ${(twoWorkers.wallMs / 1000).toFixed(1)} s in all, ${twoRate.toFixed(1)} trials/min after each worker's first trial`);
    console.log(`  speedup ${(twoRate / oneRate).toFixed(2)}x after start-up, ${(oneWorker.wallMs / twoWorkers.wallMs).toFixed(2)}x over the whole run (start-up of the worker threads included)`);
  }
  console.log(`load average after ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
} finally {
  await postgres.stop();
  await rm(work, { recursive: true, force: true });
}
