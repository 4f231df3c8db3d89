import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/storage/schema.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { insertFixtureSweep } from '../tui/fixtures.ts';

// Drives the real `sweep watch` and `sweep start` in tmux panes against an
// embedded PostgreSQL: keys go in with send-keys, the screen comes back with
// capture-pane.

const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = fileURLToPath(new URL('../../../shared/data/cifar-10-batches-bin', import.meta.url));
const socket = `sweep-tui-test-${process.pid}`;
let server: TestPostgres;
let db: Kysely<Database>;
let url: string;
let home: string;

function tmux(...args: string[]): string {
  const result = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  if (result.error !== undefined) {
    throw new Error(`tmux could not run (${result.error.message}); install it with apt-get install -y tmux`);
  }
  if (result.status !== 0) {
    throw new Error(`tmux ${args.join(' ')} failed: ${result.stderr}`);
  }
  return result.stdout;
}

function capture(session: string, history = false): string {
  return tmux('capture-pane', '-p', '-t', session, ...(history ? ['-S', '-'] : []));
}

async function waitForPane(session: string, condition: (screen: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const screen = capture(session);
    if (condition(screen)) {
      return screen;
    }
    if (Date.now() > deadline) {
      throw new Error(`pane did not match within ${timeoutMs} ms; screen:\n${screen}`);
    }
    await delay(100);
  }
}

// Ink draws only the last frame when CI or CONTINUOUS_INTEGRATION is set (its
// is-in-ci check), and CI runs this file with CI=true. The pane is a real
// terminal, so the sessions run as a person's terminal would.
const notCi = ['-e', 'CI=false', '-e', 'CONTINUOUS_INTEGRATION=false'];

/** Starts `sweep watch` in a new tmux session after printing marker lines, and keeps the pane open after it exits. */
function startWatch(session: string, sweepName: string): void {
  const command = [
    'printf "marker-%s\\n" 1 2 3',
    `node src/cli/bin.js watch ${sweepName}`,
    'echo "watch-exit=$?"',
    'sleep 600',
  ].join('; ');
  tmux(
    'new-session', '-d', '-s', session, '-x', '120', '-y', '32', '-c', root,
    '-e', `DATABASE_URL=${url}`, '-e', `SWEEP_HOME=${home}`, '-e', 'NO_COLOR=', ...notCi,
    command,
  );
}

before(async () => {
  server = await startTestPostgres();
  ({ db, url } = await server.freshDatabase());
  home = await mkdtemp(join(tmpdir(), 'sweep-tui-e2e-'));
});

after(async () => {
  spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  await server?.stop();
  await rm(home, { recursive: true, force: true });
});

test('watch screen follows the sweep and handles keys', { timeout: 180_000 }, async () => {
  const { sweepId, trialIds } = await insertFixtureSweep(db, { name: 'tmux-demo' });
  startWatch('keys', 'tmux-demo');

  const first = await waitForPane('keys', (screen) => screen.includes('rows 1-7 of 7'));
  assert.match(first, /sweep tmux-demo RUNNING/);
  assert.match(first, /★ best #2 82\.75%/);
  assert.match(first, /RUNNING .* 3\/10 fine_tune val 81\.20%/);
  assert.match(first, /FAIL .*Error: loss became NaN at epoch 2/);
  assert.doesNotMatch(first, /marker-1/);

  // A new epoch with its notification shows up without a keypress, and only
  // changed lines are written: the raw output never repeats a finished row.
  const rawOutput = join(home, 'keys-output.raw');
  tmux('pipe-pane', '-o', '-t', 'keys', `cat >> ${rawOutput}`);
  const running = trialIds.get(4)!;
  await sql`INSERT INTO epoch_metrics (trial_id, phase, epoch, accuracy, val_accuracy) VALUES (${running}, 'fine_tune', 4, 0.86, 0.833)`.execute(db);
  await sql`SELECT pg_notify('sweep_events', ${JSON.stringify({ type: 'epoch', sweep: 'tmux-demo', sweep_id: sweepId, trial_id: running })})`.execute(db);
  await waitForPane('keys', (screen) => screen.includes('4/10 fine_tune val 83.30%'), 5000);
  await delay(500);
  tmux('pipe-pane', '-t', 'keys');
  const raw = await readFile(rawOutput, 'utf8');
  assert.match(raw, /4\/10 fine_tune val 83\.30%/);
  assert.doesNotMatch(raw, /22m00s/);
  assert.doesNotMatch(raw, /Error: loss became NaN/);

  tmux('send-keys', '-t', 'keys', 'j', 'Enter');
  const detail = await waitForPane('keys', (screen) => screen.includes('accuracy per epoch'));
  assert.match(detail, /trial #3 COMPLETE/);
  tmux('send-keys', '-t', 'keys', 'Escape');
  await waitForPane('keys', (screen) => screen.includes('rows 1-7 of 7'));

  tmux('send-keys', '-t', 'keys', 'f');
  await waitForPane('keys', (screen) => screen.includes('filter: RUNNING'));
  tmux('send-keys', '-t', 'keys', 'c');
  await waitForPane('keys', (screen) => screen.includes('Cancel trial #4'));
  tmux('send-keys', '-t', 'keys', 'y');
  await waitForPane('keys', (screen) => screen.includes('cancel requested'));
  const row = await db.selectFrom('trials').select('cancel_requested').where('id', '=', running).executeTakeFirstOrThrow();
  assert.equal(row.cancel_requested, true);

  tmux('send-keys', '-t', 'keys', 'q');
  const afterQuit = await waitForPane('keys', (screen) => screen.includes('watch-exit='));
  assert.match(afterQuit, /watch-exit=0/);
  // Leaving the alternate screen brings back what the shell printed before.
  assert.match(afterQuit, /marker-1\nmarker-2\nmarker-3/);
  assert.doesNotMatch(afterQuit, /rows 1-7 of 7/);
  assert.match(afterQuit, /^sweep tmux-demo RUNNING: backend cpu, devices cpu:0; 7 trials: 3 done/m);
  assert.match(afterQuit, /^best trial 2: test accuracy 82\.75%/m);
  assert.match(capture('keys', true), /marker-1/);
});

test('Ctrl+C restores the terminal', { timeout: 120_000 }, async () => {
  await insertFixtureSweep(db, { name: 'tmux-interrupt' });
  startWatch('interrupt', 'tmux-interrupt');
  await waitForPane('interrupt', (screen) => screen.includes('rows 1-7 of 7'));

  tmux('send-keys', '-t', 'interrupt', 'C-c');
  const screen = await waitForPane('interrupt', (text) => text.includes('watch-exit='));

  assert.match(screen, /watch-exit=130/);
  assert.match(screen, /marker-3/);
  const mode = spawnSync('tmux', ['-L', socket, 'display-message', '-p', '-t', 'interrupt', '#{alternate_on} #{cursor_flag}'], { encoding: 'utf8' });
  assert.equal(mode.stdout.trim(), '0 1');
});

test('long leaderboard scrolls inside the screen', { timeout: 120_000 }, async () => {
  const trials = Array.from({ length: 60 }, (_, index) => ({
    number: index + 1,
    params: { lr: index },
    state: 'COMPLETE' as const,
    testAccuracy: 0.5 + index / 200,
    gap: 0.05,
    durationSeconds: 100,
    device: 'cpu:0',
  }));
  await insertFixtureSweep(db, { name: 'tmux-long', trials });
  startWatch('long', 'tmux-long');
  const top = await waitForPane('long', (screen) => screen.includes('of 60'));
  const lines = top.trimEnd().split('\n');
  assert.ok(lines.length <= 32, `pane has ${lines.length} lines`);
  assert.match(top, /rows 1-24 of 60/);

  tmux('send-keys', '-t', 'long', 'G');
  await waitForPane('long', (screen) => screen.includes('rows 37-60 of 60'));
  tmux('send-keys', '-t', 'long', 'q');
  const afterQuit = await waitForPane('long', (screen) => screen.includes('watch-exit='));
  assert.match(capture('long', true), /marker-1\nmarker-2\nmarker-3/);
  assert.doesNotMatch(afterQuit, /rows 37-60/);
});

test('piped watch prints plain lines', { timeout: 120_000 }, async () => {
  const { sweepId } = await insertFixtureSweep(db, { name: 'pipe-demo' });
  const child = spawn(process.execPath, ['src/cli/bin.js', 'watch', 'pipe-demo', '--poll-interval', '0.2'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, SWEEP_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + 30_000;
  while (!output.includes('sweep pipe-demo RUNNING') && Date.now() < deadline) {
    await delay(100);
  }
  await sql`UPDATE trials SET state = 'COMPLETE', test_accuracy = 0.8, overfitting_gap = 0.03, duration_seconds = 90 WHERE sweep_id = ${sweepId} AND number = 4`.execute(db);
  await sql`UPDATE sweeps SET status = 'COMPLETE' WHERE id = ${sweepId}`.execute(db);
  const code = await exited;

  assert.equal(code, 0, output);
  assert.match(output, /^sweep pipe-demo RUNNING: backend cpu/m);
  assert.match(output, /^trial 4 finished: test accuracy 80\.00%, gap 0\.030, 1m30s$/m);
  assert.doesNotMatch(output, /\u001b\[/);
});

// Two simple-CNN trials on 640 real CIFAR-10 images, three epochs each: long
// enough (tens of seconds per trial on 2 vCPUs) to see the screen of a running
// sweep, short enough for CI.
const tinySweep = `
name: tmux-start
dataset:
  name: cifar10
  limits: { train: 640, test: 64 }
  validation_split: 0.25
model:
  type: simple-cnn
  dropout: \${dropout}
training:
  batch_size: 32
  seed: 1
  head: { optimizer: adam, learning_rate: 1e-3, max_epochs: 3 }
parameters:
  dropout: [0.3, 0.5]
resources:
  workers: 1
`;

test('start shows the screen and keeps running in the background', { timeout: 600_000 }, async () => {
  const file = join(home, 'tiny.yaml');
  await writeFile(file, tinySweep);
  const command = ['printf "marker-%s\\n" 1 2 3', `node src/cli/bin.js start ${file}`, 'echo "start-exit=$?"', 'sleep 600'].join('; ');
  tmux(
    'new-session', '-d', '-s', 'start', '-x', '120', '-y', '32', '-c', root,
    '-e', `DATABASE_URL=${url}`, '-e', `SWEEP_HOME=${home}`, '-e', `SWEEP_DATA_DIR=${dataDir}`, ...notCi,
    command,
  );

  const screen = await waitForPane('start', (text) => text.includes('sweep tmux-start') && text.includes('of 2'), 180_000);
  assert.match(screen, /trials 2: /);
  assert.match(screen, /dropout/);

  tmux('send-keys', '-t', 'start', 'q');
  await waitForPane('start', (text) => text.includes('Leave the screen'));
  tmux('send-keys', '-t', 'start', 'b');
  const done = await waitForPane('start', (text) => text.includes('start-exit='), 480_000);

  assert.match(done, /start-exit=0/);
  assert.match(done, /marker-3/);
  const states = await db.selectFrom('trials').innerJoin('sweeps', 'sweeps.id', 'trials.sweep_id').select('trials.state').where('sweeps.name', '=', 'tmux-start').execute();
  assert.deepEqual(states.map((row) => row.state), ['COMPLETE', 'COMPLETE']);
});
