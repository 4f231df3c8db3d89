import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { mostConfusedPairs, classificationReportMarkdown } from '../../src/reports/classification-report.ts';
import { keptSteps, toCurvePoints, writeTrialReport } from '../../src/reports/trial-report.ts';
import { CLASS_NAMES, makeConfusion, makeEpochs, makeResult } from './fixtures.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sweep-trial-report-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('curve points number epochs over both phases', () => {
  const points = toCurvePoints(1, makeEpochs(3, 2));
  assert.deepEqual(points.map((point) => point.step), [1, 2, 3, 4, 5]);
  assert.deepEqual(points.map((point) => point.phase), ['head', 'head', 'head', 'fine_tune', 'fine_tune']);
  assert.deepEqual(keptSteps(points, makeResult(0.8, 0.1, makeConfusion(80, 5)).phases), [2, 5]);
});

test('most confused pairs put cat and dog first', () => {
  const pairs = mostConfusedPairs(makeConfusion(80, 12), CLASS_NAMES, 3);
  assert.equal(pairs[0].first, 'cat');
  assert.equal(pairs[0].second, 'dog');
  assert.equal(pairs[0].total, 24);
  assert.equal(pairs.length, 3);
});

test('classification report lists classes and averages', () => {
  const markdown = classificationReportMarkdown(makeResult(0.8125, 0.1, makeConfusion(80, 5)));
  assert.match(markdown, /\| airplane \| 0\.8000 \| 0\.7000 \| 0\.7500 \| 100 \|/);
  assert.match(markdown, /\*\*accuracy\*\* \| \| \| 0\.8125 \| 1000 \|/);
  assert.match(markdown, /\*\*macro avg\*\*/);
  assert.match(markdown, /\*\*weighted avg\*\*/);
});

test('trial report skips non-finite points', async () => {
  const epochs = makeEpochs(3, 0);
  epochs[1] = { ...epochs[1], loss: Number.NaN, val_loss: Number.POSITIVE_INFINITY };
  const files = await writeTrialReport({ number: 8, label: 'diverged', epochs, result: makeResult(Number.NaN, Number.NaN, makeConfusion(10, 1)) }, join(dir, 'nan'));
  assert.ok(files.includes('curves.png'));
  const svg = await readFile(join(dir, 'nan', 'curves.svg'), 'utf8');
  assert.doesNotMatch(svg, /NaN|Infinity/);
});

test('trial report writes valid SVG and PNG files', async () => {
  const result = makeResult(0.8, 0.06, makeConfusion(80, 9));
  const files = await writeTrialReport({ number: 7, label: 'unfrozen=20 dense=256', epochs: makeEpochs(3, 2), result }, dir);

  assert.deepEqual(files.sort(), ['classification-report.md', 'confusion_matrix.png', 'confusion_matrix.svg', 'curves.png', 'curves.svg']);
  for (const name of ['curves.svg', 'confusion_matrix.svg']) {
    const svg = await readFile(join(dir, name), 'utf8');
    assert.match(svg, /^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, name);
    assert.match(svg, /<\/svg>$/, name);
  }
  for (const name of ['curves.png', 'confusion_matrix.png']) {
    const png = await readFile(join(dir, name));
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, name);
    assert.ok(png.length > 5_000, `${name} is only ${png.length} bytes`);
  }
  const confusionSvg = await readFile(join(dir, 'confusion_matrix.svg'), 'utf8');
  assert.match(confusionSvg, /automobile/);
  assert.match(confusionSvg, /truck/);
  const curvesSvg = await readFile(join(dir, 'curves.svg'), 'utf8');
  assert.match(curvesSvg, /Trial 7: unfrozen=20 dense=256/);
});
