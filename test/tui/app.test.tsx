import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { render } from 'ink-testing-library';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/storage/schema.ts';
import { App, type TuiExitAction } from '../../src/tui/app.tsx';
import { cancelTrial } from '../../src/tui/cancel-trial.ts';
import { loadSnapshot } from '../../src/tui/load-snapshot.ts';
import { loadTrialDetail } from '../../src/tui/load-trial-detail.ts';
import type { SweepSnapshot } from '../../src/tui/snapshot.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { fixtureSweepName, insertFixtureSweep } from './fixtures.ts';
import { keys, rowNumbers, waitForFrame } from './frames.ts';
import { snapshotOf, trialRow } from './rows.ts';

let server: TestPostgres;
let db: Kysely<Database>;
let snapshot: SweepSnapshot;
let trialIds: Map<number, string>;

// One server for the file, started in a root hook: the suites below only read.
before(async () => {
  server = await startTestPostgres();
  ({ db } = await server.freshDatabase());
  ({ trialIds } = await insertFixtureSweep(db));
  snapshot = await loadSnapshot(db, fixtureSweepName);
});

after(async () => {
  await server?.stop();
});

async function renderApp(options: { snapshot?: SweepSnapshot; mode?: 'start' | 'watch'; exits?: TuiExitAction[]; cancels?: string[] } = {}) {
  const exits = options.exits ?? [];
  const app = render(
    <App
      snapshot={options.snapshot ?? snapshot}
      sweepName={fixtureSweepName}
      mode={options.mode ?? 'watch'}
      listening
      feedError={null}
      loadDetail={(trialId) => loadTrialDetail(db, trialId)}
      cancelTrial={async (trialId) => {
        options.cancels?.push(trialId);
        return 'requested';
      }}
      onExit={(action) => exits.push(action)}
      color={false}
      now={snapshot.loadedAt.getTime()}
    />,
  );
  // useInput subscribes in an effect; keys written before that are lost.
  await delay(30);
  return app;
}

describe('leaderboard frame', () => {
  test('header shows counts and best versus baseline', async () => {
    const app = await renderApp();
    const frame = app.lastFrame() ?? '';
    app.unmount();

    assert.match(frame, /sweep finetune-demo RUNNING/);
    assert.match(frame, /backend cpu {2}devices cpu:0/);
    assert.match(frame, /trials 7: 3 done {2}1 running {2}1 waiting {2}1 failed {2}1 pruned/);
    assert.match(frame, /elapsed 40m0\ds/);
    assert.match(frame, /★ best #2 82\.75% gap 0\.060/);
    assert.match(frame, /B baseline #1 73\.12%/);
    assert.match(frame, /best − baseline \+9\.63 pts/);
  });

  test('rows rank finished trials by accuracy', async () => {
    const app = await renderApp();
    const frame = app.lastFrame() ?? '';
    app.unmount();

    assert.deepEqual(rowNumbers(frame), [2, 3, 1, 4, 6, 5, 7]);
  });

  test('rows show progress, errors and marks', async () => {
    const app = await renderApp();
    const lines = (app.lastFrame() ?? '').split('\n');
    app.unmount();
    const line = (number: number): string => lines.find((text) => rowNumbers(text)[0] === number) ?? '';

    assert.match(line(2), /^★ /);
    assert.match(line(1), /^ B/);
    assert.match(line(4), /RUNNING .*█.* 3\/10 fine_tune val 81\.20%/);
    assert.match(line(5), /FAIL .*Error: loss became NaN at ep/);
    assert.doesNotMatch(line(5), /Trainer\.fit/);
    assert.match(line(2), /COMPLETE\s+▁▅▇█\s+22m00s/);
    assert.match(line(6), /pruned at epoch 2/);
  });

  test('columns name the varied parameters', async () => {
    const app = await renderApp();
    const frame = app.lastFrame() ?? '';
    app.unmount();

    assert.match(frame, /dense_u\S*\s+fine_tu\S*\s+unfreez/);
  });
});

describe('keys', () => {
  test('j and Enter open the second row', async () => {
    const app = await renderApp();
    app.stdin.write('j');
    await delay(20);
    app.stdin.write(keys.enter);
    const frame = await waitForFrame(app.lastFrame, (text) => text.includes('accuracy per epoch'));
    app.unmount();

    assert.match(frame, /trial #3 COMPLETE/);
    assert.match(frame, /accuracy per epoch/);
  });

  test('keys in one read apply in order', async () => {
    const app = await renderApp();
    app.stdin.write('jj\r');
    const frame = await waitForFrame(app.lastFrame, (text) => text.includes('accuracy per epoch'));
    app.unmount();

    assert.match(frame, /trial #1 COMPLETE \(baseline\)/);
  });

  test('detail shows curves and epoch table', async () => {
    const app = await renderApp();
    app.stdin.write(keys.enter);
    const frame = await waitForFrame(app.lastFrame, (text) => text.includes('phase     epoch'));
    app.unmount();

    assert.match(frame, /trial #2 COMPLETE/);
    assert.match(frame, /[●○◆]/);
    assert.match(frame, /head\s+1\s+0\.3000\s+70\.00%/);
  });

  test('detail scrolls to the classification report', async () => {
    const app = await renderApp();
    app.stdin.write(keys.enter);
    await waitForFrame(app.lastFrame, (text) => text.includes('phase     epoch'));
    for (let i = 0; i < 30; i += 1) {
      app.stdin.write('j');
      await delay(5);
    }
    const frame = await waitForFrame(app.lastFrame, (text) => text.includes('weighted avg'));
    app.unmount();

    assert.match(frame, /airplane\s+0\.828\s+0\.828/);
    assert.match(frame, /macro avg/);
  });

  test('Escape returns to the leaderboard', async () => {
    const app = await renderApp();
    app.stdin.write(keys.enter);
    await waitForFrame(app.lastFrame, (text) => text.includes('trial #2'));
    app.stdin.write(keys.escape);
    const frame = await waitForFrame(app.lastFrame, (text) => text.includes('s sort'));
    app.unmount();

    assert.deepEqual(rowNumbers(frame), [2, 3, 1, 4, 6, 5, 7]);
  });

  test('down then up selects the first row again', async () => {
    const app = await renderApp();
    app.stdin.write(keys.down);
    await delay(20);
    app.stdin.write(keys.down);
    await delay(20);
    app.stdin.write(keys.up);
    await delay(20);
    app.stdin.write(keys.enter);
    const frame = await waitForFrame(app.lastFrame, (text) => text.includes('trial #'));
    app.unmount();

    assert.match(frame, /trial #3 /);
  });

  test('s cycles the sort', async () => {
    const app = await renderApp();
    app.stdin.write('s');
    const byGap = await waitForFrame(app.lastFrame, (text) => text.includes('sort: gap'));
    app.stdin.write('s');
    const byDuration = await waitForFrame(app.lastFrame, (text) => text.includes('sort: duration'));
    app.stdin.write('s');
    const byAccuracy = await waitForFrame(app.lastFrame, (text) => text.includes('sort: accuracy'));
    app.unmount();

    assert.deepEqual(rowNumbers(byGap).slice(0, 3), [2, 3, 1]);
    // Durations: pruned 200 s, baseline 610 s, trial 3 1100 s, trial 2 1320 s, running 300 s so far.
    assert.deepEqual(rowNumbers(byDuration).slice(0, 5), [6, 4, 1, 3, 2]);
    assert.deepEqual(rowNumbers(byAccuracy), [2, 3, 1, 4, 6, 5, 7]);
  });

  test('f filters by state', async () => {
    const app = await renderApp();
    app.stdin.write('f');
    const running = await waitForFrame(app.lastFrame, (text) => text.includes('filter: RUNNING'));
    app.stdin.write('f');
    const complete = await waitForFrame(app.lastFrame, (text) => text.includes('filter: COMPLETE'));
    app.stdin.write('f');
    const failed = await waitForFrame(app.lastFrame, (text) => text.includes('filter: FAIL'));
    app.unmount();

    assert.deepEqual(rowNumbers(running), [4]);
    assert.deepEqual(rowNumbers(complete), [2, 3, 1]);
    assert.deepEqual(rowNumbers(failed), [5]);
    assert.match(running, /rows 1-1 of 1/);
  });

  test('c asks before cancelling', async () => {
    const cancels: string[] = [];
    const app = await renderApp({ cancels });
    app.stdin.write('G');
    await delay(20);
    app.stdin.write('c');
    const prompt = await waitForFrame(app.lastFrame, (text) => text.includes('Cancel trial'));
    app.stdin.write('y');
    const done = await waitForFrame(app.lastFrame, (text) => text.includes('cancel requested'));
    app.unmount();

    assert.match(prompt, /Cancel trial #7 \(WAITING, it will not run\)\? y\/n/);
    assert.deepEqual(cancels, [trialIds.get(7)]);
    assert.match(done, /trial #7: cancel requested/);
  });

  test('n declines the cancel', async () => {
    const cancels: string[] = [];
    const app = await renderApp({ cancels });
    app.stdin.write('c');
    const refused = await waitForFrame(app.lastFrame, (text) => text.includes('only waiting or running'));
    app.stdin.write('f');
    await waitForFrame(app.lastFrame, (text) => text.includes('filter: RUNNING'));
    app.stdin.write('c');
    await waitForFrame(app.lastFrame, (text) => text.includes('Cancel trial #4'));
    app.stdin.write('n');
    const after = await waitForFrame(app.lastFrame, (text) => !text.includes('Cancel trial'));
    app.unmount();

    assert.match(refused, /trial #2 is COMPLETE; only waiting or running trials can be cancelled/);
    assert.deepEqual(cancels, []);
    assert.match(after, /filter: RUNNING/);
  });

  test('q leaves watch at once', async () => {
    const exits: TuiExitAction[] = [];
    const app = await renderApp({ exits });
    app.stdin.write('q');
    await delay(20);
    app.unmount();

    assert.deepEqual(exits, ['detach']);
  });

  test('q in start asks stop or background', async () => {
    const exits: TuiExitAction[] = [];
    const app = await renderApp({ mode: 'start', exits });
    app.stdin.write('q');
    const prompt = await waitForFrame(app.lastFrame, (text) => text.includes('Leave the screen'));
    app.stdin.write('b');
    await delay(20);
    app.unmount();

    assert.match(prompt, /s stops the sweep, b keeps it running in the background/);
    assert.deepEqual(exits, ['background']);
  });

  test('Ctrl+C exits with interrupt', async () => {
    const exits: TuiExitAction[] = [];
    const app = await renderApp({ exits });
    app.stdin.write(keys.ctrlC);
    await delay(20);
    app.unmount();

    assert.deepEqual(exits, ['interrupt']);
  });
});

describe('long leaderboard', () => {
  const many = snapshotOf(
    Array.from({ length: 200 }, (_, index) =>
      trialRow({ number: index + 1, state: 'COMPLETE', testAccuracy: 0.5 + index / 1000, overfittingGap: 0.05, params: { lr: index } }),
    ),
  );

  test('renders only the rows that fit', async () => {
    const app = await renderApp({ snapshot: many });
    const frame = app.lastFrame() ?? '';
    app.unmount();

    // 24 rows by default: the frame keeps 2 free, 6 go to header and footer.
    assert.equal(rowNumbers(frame).length, 16);
    assert.ok(frame.split('\n').length <= 22);
    assert.match(frame, /rows 1-16 of 200/);
  });

  test('selection scrolls the window', async () => {
    const app = await renderApp({ snapshot: many });
    app.stdin.write('G');
    const bottom = await waitForFrame(app.lastFrame, (text) => text.includes('rows 185-200 of 200'));
    app.stdin.write('g');
    const top = await waitForFrame(app.lastFrame, (text) => text.includes('rows 1-16 of 200'));
    app.unmount();

    assert.equal(rowNumbers(bottom).at(-1), 1);
    assert.equal(rowNumbers(top)[0], 200);
  });

  test('resize reflows the columns', async () => {
    const app = await renderApp();
    Object.defineProperty(app.stdout, 'columns', { value: 70, configurable: true });
    app.stdout.emit('resize');
    const frame = await waitForFrame(app.lastFrame, (text) => !text.includes('val acc'));
    app.unmount();

    for (const line of frame.split('\n')) {
      assert.ok([...line].length <= 70, `line longer than 70 cells: ${line}`);
    }
  });
});
