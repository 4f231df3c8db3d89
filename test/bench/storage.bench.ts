// Storage benchmarks against a real embedded PostgreSQL in a temporary folder:
//  1. batched upsert of 100,000 epoch rows through recordEpochs (target ≥ 20,000 rows/s)
//  2. readLeaderboard of a sweep with 10,000 finished trials (target < 50 ms)
// Each figure is the median of several runs; the first leaderboard reads warm the caches.
// On a shared machine wall times grow with the load, so the leaderboard also
// reports CPU time per read (server processes from /proc plus this process),
// which is close to the wall time on an idle machine.
import { readFileSync } from 'node:fs';
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

/**
 * CPU seconds (user + system) used so far by these PostgreSQL server processes,
 * from /proc/<pid>/stat (Linux; fields 14 and 15 in clock ticks of 1/100 s).
 */
function serverCpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

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
    // The steady state after autovacuum, which runs by itself once the UPDATE
    // above has left a dead version of every row.
    await sql`VACUUM ANALYZE trials`.execute(db);

    // Warm the pool (both connections) and the caches, then find the server processes.
    for (let run = 0; run < 5; run++) {
      await readLeaderboard(db, 'large');
    }
    const backends = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
    const pids = backends.rows.map((row) => row.pid);

    for (const [label, limit] of [['all rows', undefined], ['top 20', 20]] as const) {
      const times: number[] = [];
      const runs = 20;
      const serverBefore = serverCpuSeconds(pids);
      const clientBefore = process.cpuUsage();
      for (let run = 0; run < runs; run++) {
        const start = performance.now();
        await readLeaderboard(db, 'large', { limit });
        times.push(performance.now() - start);
      }
      const client = process.cpuUsage(clientBefore);
      const serverMs = ((serverCpuSeconds(pids) - serverBefore) * 1000) / runs;
      const clientMs = (client.user + client.system) / 1000 / runs;
      console.log(
        `leaderboard, ${leaderboardTrials} trials, ${label}: wall median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms; ` +
          `CPU per read: server ${serverMs.toFixed(1)} ms + client ${clientMs.toFixed(1)} ms (target < 50 ms)`,
      );
    }
  } finally {
    await close();
  }
} finally {
  await server.stop();
}
