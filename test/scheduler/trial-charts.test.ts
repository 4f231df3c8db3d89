import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TrialReportRenderer } from '../../src/reports/trial-report-renderer.ts';
import { renderTrialCharts } from '../../src/scheduler/trial-files.ts';
import { makeConfusion, makeEpochs, makeResult } from '../reports/fixtures.ts';

let dir: string;
const renderer = new TrialReportRenderer();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sweep-trial-charts-'));
});

after(async () => {
  await renderer.close();
  await rm(dir, { recursive: true, force: true });
});

test('render thread writes chart files', async () => {
  const result = makeResult(0.8, 0.06, makeConfusion(80, 9));
  const files = await renderTrialCharts(dir, result, { number: 3, label: 'dense_units=128', epochs: makeEpochs(2, 1), renderer });

  assert.deepEqual(
    files.map((file) => `${file.name}:${file.kind}`).sort(),
    ['classification-report.md:report', 'confusion_matrix.png:plot', 'confusion_matrix.svg:plot', 'curves.png:plot', 'curves.svg:plot'],
  );
  assert.match(await readFile(join(dir, 'curves.svg'), 'utf8'), /Trial 3: dense_units=128/);
});

test('failed rendering gives no files', async () => {
  // The output "folder" is a file, so the render thread cannot write into it.
  const notAFolder = join(dir, 'not-a-folder');
  await writeFile(notAFolder, 'x');
  const result = makeResult(0.5, 0.1, makeConfusion(40, 5));

  const files = await renderTrialCharts(notAFolder, result, { number: 4, label: '', epochs: makeEpochs(1, 0), renderer });

  assert.deepEqual(files, []);
});
