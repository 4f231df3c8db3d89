import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/storage/schema.ts';
import { useSweep, type UseSweepOptions } from '../../src/tui/hooks/use-sweep.ts';
import type { SweepSnapshot } from '../../src/tui/snapshot.ts';
import { SweepFeed } from '../../src/tui/sweep-feed.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { insertFixtureSweep } from './fixtures.ts';
import { waitForFrame } from './frames.ts';

let server: TestPostgres;
let db: Kysely<Database>;
let url: string;

// One database for the file; each test inserts a sweep of its own name.
before(async () => {
  server = await startTestPostgres();
  ({ db, url } = await server.freshDatabase());
});

after(async () => {
  await server?.stop();
});

function Probe(props: UseSweepOptions) {
  const { snapshot, listening, error } = useSweep(props);
  if (snapshot === null) {
    return <Text>loading {error ?? ''}</Text>;
  }
  const { counts } = snapshot;
  return (
    <Text>
      complete={counts.COMPLETE} running={counts.RUNNING} listening={String(listening)} error={error ?? 'none'}
    </Text>
  );
}

async function finishTrial(sweepName: string, trialId: string, notify: boolean): Promise<void> {
  await sql`UPDATE trials SET state = 'COMPLETE', test_accuracy = 0.85, overfitting_gap = 0.02 WHERE id = ${trialId}`.execute(db);
  if (notify) {
    const payload = JSON.stringify({ type: 'trial-state', sweep: sweepName, sweep_id: '1', trial_id: trialId, state: 'COMPLETE' });
    await sql`SELECT pg_notify('sweep_events', ${payload})`.execute(db);
  }
}

test('notification refreshes the hook at once', async () => {
  const sweepName = 'notify';
  const { trialIds } = await insertFixtureSweep(db, { name: sweepName });
  // Polling every minute: only the notification can bring the change in time.
  const app = render(<Probe db={db} url={url} sweepName={sweepName} pollMs={60_000} />);
  try {
    await waitForFrame(app.lastFrame, (text) => text.includes('listening=true'));

    await finishTrial(sweepName, trialIds.get(4)!, true);
    const frame = await waitForFrame(app.lastFrame, (text) => text.includes('complete=4'), 2000);

    assert.match(frame, /running=0/);
  } finally {
    app.unmount();
  }
});

test('without a URL the hook polls', async () => {
  const sweepName = 'poll';
  const { trialIds } = await insertFixtureSweep(db, { name: sweepName });
  const app = render(<Probe db={db} sweepName={sweepName} pollMs={100} />);
  try {
    await waitForFrame(app.lastFrame, (text) => text.includes('complete=3'));

    await finishTrial(sweepName, trialIds.get(4)!, false);
    const frame = await waitForFrame(app.lastFrame, (text) => text.includes('complete=4'), 2000);

    assert.match(frame, /listening=false/);
  } finally {
    app.unmount();
  }
});

test('unknown sweep shows the error', async () => {
  const app = render(<Probe db={db} sweepName="missing" pollMs={100} />);
  try {
    const frame = await waitForFrame(app.lastFrame, (text) => text.includes('not found'));

    assert.match(frame, /sweep "missing" not found/);
  } finally {
    app.unmount();
  }
});

test('feed coalesces a burst of notifications', async () => {
  const sweepName = 'burst';
  const { trialIds } = await insertFixtureSweep(db, { name: sweepName });
  const snapshots: SweepSnapshot[] = [];
  const feed = new SweepFeed({ db, url, sweepName, pollMs: 60_000, minIntervalMs: 200, onSnapshot: (next) => snapshots.push(next) });
  try {
    await feed.start();
    await delay(300);
    const before = snapshots.length;

    for (let i = 0; i < 50; i += 1) {
      const payload = JSON.stringify({ type: 'epoch', sweep: sweepName, sweep_id: '1', trial_id: trialIds.get(4), epoch: i });
      await sql`SELECT pg_notify('sweep_events', ${payload})`.execute(db);
    }
    await delay(800);

    const reads = snapshots.length - before;
    assert.ok(reads >= 1, 'no read after the notifications');
    assert.ok(reads <= 5, `${reads} reads for 50 notifications`);
  } finally {
    await feed.close();
  }
});

test('feed ignores other sweeps', async () => {
  const sweepName = 'others';
  await insertFixtureSweep(db, { name: sweepName });
  let reads = 0;
  const feed = new SweepFeed({ db, url, sweepName, pollMs: 60_000, onSnapshot: () => (reads += 1) });
  try {
    await feed.start();
    await delay(300);
    const before = reads;

    await sql`SELECT pg_notify('sweep_events', ${JSON.stringify({ type: 'trial-state', sweep: 'other', sweep_id: '9', trial_id: '99' })})`.execute(db);
    await delay(300);

    assert.equal(reads, before);
  } finally {
    await feed.close();
  }
});

test('feed reconnects after the LISTEN connection drops', async () => {
  const sweepName = 'reconnect';
  const { trialIds } = await insertFixtureSweep(db, { name: sweepName });
  const changes: boolean[] = [];
  let latest: SweepSnapshot | null = null;
  const feed = new SweepFeed({
    db,
    url,
    sweepName,
    pollMs: 100,
    onSnapshot: (next) => (latest = next),
    onListeningChange: (listening) => changes.push(listening),
  });
  try {
    await feed.start();
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sweep-watch' AND datname = current_database()`.execute(db);
    const deadline = Date.now() + 5000;
    while (!(changes.length >= 3 && feed.listening) && Date.now() < deadline) {
      await delay(50);
    }

    assert.deepEqual(changes.slice(0, 3), [true, false, true]);
    await finishTrial(sweepName, trialIds.get(4)!, false);
    await delay(400);
    assert.equal((latest as SweepSnapshot | null)?.counts.COMPLETE, 4);
  } finally {
    await feed.close();
  }
});
