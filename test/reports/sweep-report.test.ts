import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import type { SweepReportData, ReportTrial } from '../../src/reports/sweep-report-data.ts';
import { formatParameter, parameterEffects, sweptParameters, writeSweepReport } from '../../src/reports/sweep-report.ts';
import { toCurvePoints } from '../../src/reports/trial-report.ts';
import { CLASS_NAMES, makeConfusion, makeEpochs } from './fixtures.ts';
import { countColours, decodePng } from './png.ts';

let dir: string;

function trial(number: number, params: ReportTrial['params'], accuracy: number, gap: number, extra: Partial<ReportTrial> = {}): ReportTrial {
  return {
    id: String(number), number, params, is_baseline: false, state: 'COMPLETE', test_accuracy: accuracy, test_loss: 1,
    best_val_accuracy: accuracy - 0.01, max_train_accuracy: accuracy + gap, overfitting_gap: gap, duration_seconds: 12.5,
    backend: 'cpu', error: null, pruned_at_epoch: null, ...extra,
  };
}

/** Builds a tiny stored sweep: four transfer trials, a baseline, a failed, a diverged and a pruned trial. */
function sweepData(): SweepReportData {
  const best = trial(3, { unfrozen: 20, dense: 256 }, 0.8275, 0.06);
  const baseline = trial(1, {}, 0.7312, 0.123, { is_baseline: true });
  const trials = [
    best,
    trial(2, { unfrozen: 0, dense: 256 }, 0.8012, 0.031),
    trial(4, { unfrozen: 20, dense: 128 }, 0.8012, 0.045),
    trial(5, { unfrozen: 0, dense: 128 }, 0.79, 0.02),
    baseline,
    trial(6, { unfrozen: 40, dense: 128 }, Number.NaN, Number.NaN),
    trial(7, { unfrozen: 40, dense: 256 }, null as unknown as number, null as unknown as number, { state: 'FAIL', error: 'Error: out of memory\n  at train' }),
    trial(8, { unfrozen: 0, dense: 64 }, null as unknown as number, null as unknown as number, {
      state: 'PRUNED', best_val_accuracy: 0.31, pruned_at_epoch: 2, error: 'pruned at rung 1 (epoch 2): not in the top 1 of 4',
    }),
  ];
  const detail = (correct: number, catDog: number) => ({
    classNames: CLASS_NAMES,
    perClass: CLASS_NAMES.map((name) => ({ class_name: name, precision: 0.8, recall: 0.8, f1: 0.8, support: 100 })),
    confusion: makeConfusion(correct, catDog),
  });
  return {
    sweepId: '1',
    name: 'finetune-test',
    status: 'COMPLETE',
    createdAt: new Date('2026-12-01T10:00:00Z'),
    ranking: [{ metric: 'test_accuracy', order: 'desc' }, { metric: 'overfitting_gap', order: 'asc' }],
    trials,
    curves: new Map([
      [3, toCurvePoints(3, makeEpochs(3, 2))],
      [2, toCurvePoints(2, makeEpochs(4, 0, 0.25))],
      [1, toCurvePoints(1, makeEpochs(5, 0, 0.2))],
    ]),
    best,
    baseline,
    bestDetail: detail(83, 7),
    baselineDetail: detail(73, 14),
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sweep-report-'));
  await writeSweepReport(sweepData(), dir);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('formatParameter shows augmentation compactly', () => {
  assert.equal(formatParameter({ horizontal_flip: true, translation: 0.1, zoom: 0, rotation: 0.05 }), 'horizontal_flip, translation 0.1, rotation 0.05');
  assert.equal(formatParameter({ horizontal_flip: false, translation: 0, zoom: 0, rotation: 0 }), 'none');
  assert.equal(formatParameter(1e-5), '0.00001');
});

test('parameter effects average per value', () => {
  const data = sweepData();
  const parameters = sweptParameters(data.trials);
  assert.deepEqual(parameters, ['dense', 'unfrozen']);
  const effects = parameterEffects(data.trials, parameters);
  const dense256 = effects.find((row) => row.parameter === 'dense' && row.value === '256');
  assert.ok(dense256);
  assert.equal(dense256.trials, 2);
  assert.ok(Math.abs((dense256.mean_accuracy ?? 0) - (0.8275 + 0.8012) / 2) < 1e-12);
  assert.equal(dense256.max_accuracy, 0.8275);
});

test('markdown report has sections and numbers', async () => {
  const markdown = await readFile(join(dir, 'report.md'), 'utf8');
  for (const heading of ['## Best trial against the baseline', '## Leaderboard', '## Effect of each swept parameter', '## Accuracy against overfitting gap', '## Curves of the top trials', '## Confusion matrices']) {
    assert.ok(markdown.includes(heading), `missing ${heading}`);
  }
  assert.match(markdown, /82\.75% test accuracy, \+9\.63 points over the simple-CNN baseline #1 \(73\.12%\)/);
  assert.match(markdown, /Overfitting gap: 0\.060 against the baseline's 0\.123/);
  assert.match(markdown, /Most confused pairs of trial #3: cat vs dog \(14: 7 \+ 7\)/);
  assert.match(markdown, /Most confused pairs of trial #1: cat vs dog \(28: 14 \+ 14\)/);
  assert.match(markdown, /\| 1 \| #3 \| 256 \| 20 \| 82\.75% \| 0\.0600 \|/);
});

test('leaderboard ranks NaN after numbers and failures last', async () => {
  const markdown = await readFile(join(dir, 'report.md'), 'utf8');
  const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && line.includes(' | #'));
  const order = rows.map((line) => line.split('|')[2].trim());
  assert.deepEqual(order.slice(-2), ['#6', '#7']);
  assert.match(rows.at(-1) ?? '', /FAIL \| Error: out of memory \|$/);
});

test('pruned trials are listed apart', async () => {
  const markdown = await readFile(join(dir, 'report.md'), 'utf8');
  const leaderboard = markdown.slice(markdown.indexOf('## Leaderboard'), markdown.indexOf('## Pruned trials'));
  assert.doesNotMatch(leaderboard, /#8/);
  assert.match(markdown, /## Pruned trials\n\n1 trial was stopped early/);
  assert.match(markdown, /\| #8 \| 64 \| 0 \| 31\.00% \| 2 \| pruned at rung 1 \(epoch 2\): not in the top 1 of 4 \|/);
});

test('every chart renders to SVG and PNG', async () => {
  for (const name of ['parameter_effects', 'accuracy_vs_gap', 'top_curves', 'confusion_best', 'confusion_baseline']) {
    const svg = await readFile(join(dir, `${name}.svg`), 'utf8');
    assert.match(svg, /^<svg /, `${name}.svg`);
    const rendered = new Resvg(svg).render();
    assert.ok(rendered.width > 100, `${name}.svg renders`);
    const png = await stat(join(dir, `${name}.png`));
    assert.ok(png.size > 5_000, `${name}.png is ${png.size} bytes`);
  }
});

const BROWSER_SERVICE_HOSTS = /^(GET|POST|CONNECT) (https?:\/\/)?[a-z0-9.-]+\.(google\.com|googleapis\.com|gvt1\.com)[:/]/;

/** Starts an HTTP proxy on loopback that records every request sent to it. */
async function startRecordingProxy(): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(502).end();
  });
  server.on('connect', (request, socket) => {
    requests.push(`CONNECT ${request.url}`);
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

test('HTML report references no external resource', async () => {
  const html = await readFile(join(dir, 'report.html'), 'utf8');
  assert.doesNotMatch(html, /<(script|link|img|iframe)\b/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.ok(html.includes('<svg'), 'charts are inline SVG');
});

test('HTML report opens offline in headless Chromium', async () => {
  const proxy = await startRecordingProxy();
  const profile = await mkdtemp(join(tmpdir(), 'sweep-chromium-'));
  const screenshot = join(dir, 'screenshot.png');
  try {
    const args = [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-domain-reliability',
      '--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter', `--user-data-dir=${profile}`,
      // Every request the page makes goes through the recording proxy, loopback included.
      `--proxy-server=http://127.0.0.1:${proxy.port}`, '--proxy-bypass-list=<-loopback>',
      '--window-size=1200,2000', `--screenshot=${screenshot}`, `file://${join(dir, 'report.html')}`,
    ];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('chromium', args, { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    assert.equal(code, 0, 'chromium exits cleanly');
    // Chromium itself still calls Google's update, time and sign-in services in the
    // background whatever the flags, so only requests to other hosts count as the page's.
    const pageRequests = proxy.requests.filter((request) => !BROWSER_SERVICE_HOSTS.test(request));
    assert.deepEqual(pageRequests, []);

    const image = decodePng(await readFile(screenshot));
    assert.equal(image.width, 1200);
    assert.ok(countColours(image) > 10, 'screenshot is not blank');
  } finally {
    proxy.server.close();
    await rm(profile, { recursive: true, force: true });
  }
});
