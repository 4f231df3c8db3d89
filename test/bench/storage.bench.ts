// Storage benchmarks against a real embedded PostgreSQL in a temporary folder:
//  1. batched upsert of 100,000 epoch rows through recordEpochs (target ≥ 20,000 rows/s)
//  2. readLeaderboard of a sweep with 10,000 finished trials (target < 50 ms)
// Each figure is the median of several runs; the first leaderboard reads warm the caches.
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { readLeaderboard } from '../../src/storage/leaderboard.ts';
import { createOrGetSweep } from '../../src/storage/sweep-repository.ts';
import { insertPlannedTrials, recordEpochs, type EpochRow } from '../../src/storage/trial-repository.ts';
import { startTestPostgres } from '../helpers/postgres.ts';
import { epochMetrics, newSweep, plannedGrid } from '../storage/fixtures.ts';

const epochRows = 100_000;
const epochTrials = 1_000;
const leaderboardTrials = 10_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const server = await startTestPostgres();
try {
  // 1. Epoch inserts: 1,000 trials × (50 head + 50 fine-tune epochs).
  const rates: number[] = [];
  for (let run = 0; run < 3; run++) {
    const { db, close } = await server.freshDatabase({ poolSize: 2 });
    try {
      const { sweep } = await createOrGetSweep(db, newSweep('epochs'));
      const { inserted } = await insertPlannedTrials(db, sweep.id, plannedGrid(epochTrials));
      const rows: EpochRow[] = [];
      for (const trial of inserted) {
        for (let epoch = 1; epoch <= epochRows / epochTrials / 2; epoch++) {
          rows.push({ trialId: trial.id, metrics: epochMetrics('head', epoch, 0.5 + epoch / 1000) });
          rows.push({ trialId: trial.id, metrics: epochMetrics('fine_tune', epoch, 0.6 + epoch / 1000) });
        }
      }

      const start = performance.now();
      await recordEpochs(db, rows);
      const seconds = (performance.now() - start) / 1000;

      const stored = await sql<{ count: string }>`SELECT count(*) AS count FROM epoch_metrics`.execute(db);
      if (Number(stored.rows[0].count) !== epochRows) {
        throw new Error(`expected ${epochRows} epoch rows, found ${stored.rows[0].count}`);
      }
      rates.push(epochRows / seconds);
      console.log(`epoch insert run ${run + 1}: ${epochRows} rows in ${seconds.toFixed(2)} s = ${Math.round(epochRows / seconds)} rows/s`);
    } finally {
      await close();
    }
  }
  console.log(`epoch insert: median ${Math.round(median(rates))} rows/s (target ≥ 20000)`);

  // 2. Leaderboard of 10,000 finished trials, 1% of them with NaN accuracy.
  const { db, close } = await server.freshDatabase({ poolSize: 2 });
  try {
    const { sweep } = await createOrGetSweep(db, newSweep('large'));
    await insertPlannedTrials(db, sweep.id, plannedGrid(leaderboardTrials));
    await sql`
      UPDATE trials SET state = 'COMPLETE',
        test_accuracy = CASE WHEN number % 100 = 0 THEN 'NaN'::float8 ELSE 0.6 + (number * 7919 % 1000) / 4000.0 END,
        overfitting_gap = (number * 104729 % 1000) / 5000.0,
        total_params = 2257984, duration_seconds = 600, backend = 'cpu', device = 'cpu'
      WHERE sweep_id = ${sweep.id}
    `.execute(db);
    await sql`ANALYZE`.execute(db);

    const times: number[] = [];
    let rowCount = 0;
    for (let run = 0; run < 25; run++) {
      const start = performance.now();
      const board = await readLeaderboard(db, 'large');
      const elapsed = performance.now() - start;
      rowCount = board.rows.length;
      if (run >= 5) {
        times.push(elapsed);
      }
    }
    const topOnly: number[] = [];
    for (let run = 0; run < 25; run++) {
      const start = performance.now();
      await readLeaderboard(db, 'large', { limit: 20 });
      if (run >= 5) {
        topOnly.push(performance.now() - start);
      }
    }
    console.log(`leaderboard, ${rowCount} trials, all rows: median ${median(times).toFixed(1)} ms (target < 50), max ${Math.max(...times).toFixed(1)} ms`);
    console.log(`leaderboard, ${leaderboardTrials} trials, top 20: median ${median(topOnly).toFixed(1)} ms`);
  } finally {
    await close();
  }
} finally {
  await server.stop();
}
