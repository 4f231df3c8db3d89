// Measures the live screen on a sweep of 10,000 trials (9,000 complete with 10
// epochs each, 8 running, 200 failed, the rest waiting) in an embedded
// PostgreSQL: the full and per-trial reads, the CPU the mounted screen uses
// while nothing changes, and the frames written during a burst of epochs.
// Targets: the idle screen under 5% of one core; at most 10 frames a second.
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import { loadSnapshot, refreshTrials } from '../../src/tui/load-snapshot.ts';
import { runTui } from '../../src/tui/run-tui.tsx';
import { startTestPostgres } from '../helpers/postgres.ts';

const trialCount = 10_000;
// The screen sends console output to the log file while it is up; figures go to stdout directly.
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const sweepName = 'bench-10k';
// 65 s covers one of the 60 s safety reloads the screen does while listening.
const idleSeconds = Number(process.env.TUI_BENCH_IDLE_SECONDS ?? 65);

/** A stream that looks like a 160×50 terminal and counts what is written to it. */
class FakeTerminal extends Writable {
  isTTY = true;
  columns = 160;
  rows = 50;
  writes = 0;
  bytes = 0;
  last = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.writes += 1;
    this.last = chunk.toString();
    this.bytes += chunk.length;
    callback();
  }
}

function fakeKeyboard(): NodeJS.ReadStream {
  const stream = new PassThrough() as unknown as NodeJS.ReadStream;
  stream.isTTY = true;
  stream.setRawMode = () => stream;
  stream.ref = () => stream;
  stream.unref = () => stream;
  return stream;
}

function cpuPercent(usage: NodeJS.CpuUsage, wallMs: number): number {
  return ((usage.user + usage.system) / 1000 / wallMs) * 100;
}

const server = await startTestPostgres();
try {
  const { db, url } = await server.freshDatabase({ poolSize: 4 });
  const sweep = await sql<{ id: string }>`
    INSERT INTO sweeps (name, spec, spec_hash, search_space_hash) VALUES (${sweepName}, '{}', 's', 's') RETURNING id
  `.execute(db);
  const sweepId = sweep.rows[0].id;
  await sql`
    INSERT INTO trials (sweep_id, number, config, config_hash, params, state, test_accuracy, overfitting_gap,
                        duration_seconds, device, backend, current_phase, error, started_at, finished_at)
    SELECT ${sweepId}, n, '{"training":{"head":{"max_epochs":10}}}'::jsonb, 'hash-' || n,
           jsonb_build_object('lr', (n % 7 + 1) * 0.0001, 'dense_units', 64 * (1 + n % 4), 'unfreeze_layers', (n % 5) * 10),
           CASE WHEN n <= 8 THEN 'RUNNING' WHEN n <= 9008 THEN 'COMPLETE' WHEN n <= 9208 THEN 'FAIL' ELSE 'WAITING' END,
           CASE WHEN n > 8 AND n <= 9008 THEN 0.6 + (n % 1000) / 5000.0 END,
           CASE WHEN n > 8 AND n <= 9008 THEN (n % 97) / 1000.0 END,
           CASE WHEN n > 8 AND n <= 9008 THEN 300 + n % 600 END,
           'cpu:' || (n % 8), 'cpu', 'head',
           CASE WHEN n > 9008 AND n <= 9208 THEN 'Error: out of memory' END,
           CASE WHEN n <= 9208 THEN now() - interval '1 hour' END,
           CASE WHEN n > 8 AND n <= 9208 THEN now() END
    FROM generate_series(1, ${trialCount}) AS n
  `.execute(db);
  await sql`
    INSERT INTO epoch_metrics (trial_id, phase, epoch, loss, accuracy, val_loss, val_accuracy)
    SELECT t.id, 'head', e, 1.0 / e, 0.5 + e / 25.0, 1.1 / e, 0.5 + e / 30.0
    FROM trials t, generate_series(1, 10) AS e
    WHERE t.state = 'COMPLETE' OR (t.state = 'RUNNING' AND e <= 5)
  `.execute(db);
  await sql`ANALYZE`.execute(db);

  const fullReads: number[] = [];
  let snapshot = await loadSnapshot(db, sweepName);
  const readCpuStart = process.cpuUsage();
  for (let i = 0; i < 5; i += 1) {
    const start = performance.now();
    snapshot = await loadSnapshot(db, sweepName);
    fullReads.push(performance.now() - start);
  }
  const readCpu = process.cpuUsage(readCpuStart);
  const partialReads: number[] = [];
  const runningId = snapshot.trials[0].id;
  for (let i = 0; i < 20; i += 1) {
    const start = performance.now();
    await refreshTrials(db, snapshot, [runningId]);
    partialReads.push(performance.now() - start);
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  print(`full read of ${trialCount} trials          ${median(fullReads).toFixed(0).padStart(6)} ms (median of 5), ` +
      `${((readCpu.user + readCpu.system) / 1000 / 5).toFixed(0)} ms CPU in this process (mean)`);
  print(`read of 1 changed trial + merge         ${median(partialReads).toFixed(1).padStart(6)} ms (median of 20)`);

  const terminal = new FakeTerminal();
  const session = await runTui({
    db,
    url,
    sweepName,
    mode: 'watch',
    stdout: terminal as unknown as NodeJS.WriteStream,
    stdin: fakeKeyboard(),
    color: true,
  });
  // Let the first read, the reload after LISTEN connects and the first frames
  // settle (a few seconds on a loaded 2-vCPU machine).
  await delay(8000);
  // The first write is the switch to the alternate screen; a frame follows it.
  if (terminal.writes < 3) {
    throw new Error(`the screen drew no frame in 8 s; last write: ${JSON.stringify(terminal.last)}`);
  }
  if (process.env.TUI_BENCH_DEBUG !== undefined) {
    print(JSON.stringify(terminal.last).slice(0, 2000));
  }

  const idleStart = process.cpuUsage();
  const idleWrites = terminal.writes;
  const idleWall = performance.now();
  await delay(idleSeconds * 1000);
  const idleUsage = process.cpuUsage(idleStart);
  const idleMs = performance.now() - idleWall;
  print(
    `idle screen, ${idleSeconds} s (1 clock frame/s, one full reload)  ${cpuPercent(idleUsage, idleMs).toFixed(2).padStart(6)} % of one core, ` +
      `${terminal.writes - idleWrites} writes`,
  );

  // A burst: 8 running trials report an epoch every 100 ms for 5 s (80 notifications a second).
  const burstStart = process.cpuUsage();
  const burstWrites = terminal.writes;
  const burstWall = performance.now();
  let epoch = 6;
  while (performance.now() - burstWall < 5000) {
    for (const trial of snapshot.trials.slice(0, 8)) {
      const payload = JSON.stringify({ type: 'epoch', sweep: sweepName, sweep_id: sweepId, trial_id: trial.id, epoch });
      await sql`SELECT pg_notify('sweep_events', ${payload})`.execute(db);
    }
    epoch += 1;
    await delay(100);
  }
  await delay(300);
  const burstUsage = process.cpuUsage(burstStart);
  const burstMs = performance.now() - burstWall;
  const frames = terminal.writes - burstWrites;
  print(
    `burst of 80 notifications/s for 5 s      ${cpuPercent(burstUsage, burstMs).toFixed(1).padStart(6)} % of one core, ` +
      `${(frames / (burstMs / 1000)).toFixed(1)} writes/s (synchronized-update markers count as writes)`,
  );

  session.close();
  await session.exited;
} finally {
  await server.stop();
}
