// Runs a tiny sweep on the real CIFAR-10 and MobileNetV2 weights through the
// whole stack, as a user runs it. It covers the sweep file, the planner, the
// worker pool, the trainer, the embedded PostgreSQL, an S3-compatible server on
// loopback, `sweep sql`, `sweep report` and `sweep artifacts`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startS3Server, type S3TestServer } from '../helpers/s3.ts';

const binPath = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
const dataDir = fileURLToPath(new URL('../../../shared/data/cifar-10-batches-bin', import.meta.url));
const weightsDir = fileURLToPath(new URL('../../../shared/data/mobilenet_v2', import.meta.url));

const SWEEP_FILE = `
name: e2e-real
dataset:
  name: cifar10
  limits: { train: 400, test: 200 }
  validation_split: 0.2
model:
  type: transfer
  base: { name: mobilenet_v2, alpha: 0.35, input_size: 32, weights: imagenet }
  head: { dense_units: "\${dense_units}", dropout: 0.2 }
training:
  batch_size: 64
  seed: 7
  head: { optimizer: adam, learning_rate: 1e-3, max_epochs: 1 }
  fine_tune: { unfreeze_layers: "\${unfreeze_layers}", optimizer: adam, learning_rate: 1e-4, max_epochs: 1 }
parameters:
  dense_units: [32]
  unfreeze_layers: [0, 5]
baseline:
  model: { type: simple-cnn, dropout: 0.5 }
  training:
    head: { optimizer: adam, learning_rate: 1e-3, max_epochs: 1 }
resources:
  workers: 2
`;

let home: string;
let s3: S3TestServer;
let env: NodeJS.ProcessEnv;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sweep(args: string[], timeoutMs = 600_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'sweep-e2e-'));
  // mkdtemp makes the folder 0700; as root the server runs as `postgres`, which must enter it.
  await chmod(home, 0o755);
  s3 = await startS3Server({ bucket: 'e2e-artifacts' });
  env = {
    ...process.env,
    SWEEP_HOME: join(home, '.sweep'),
    SWEEP_CACHE_DIR: join(home, 'cache'),
    SWEEP_DATA_DIR: dataDir,
    SWEEP_WEIGHTS_DIR: weightsDir,
    SWEEP_ARTIFACTS: `s3://${s3.bucket}/runs`,
    SWEEP_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_REGION: s3.region,
    DATABASE_URL: '',
  };
  await writeFile(join(home, 'e2e.yaml'), SWEEP_FILE);
});

after(async () => {
  await sweep(['db', 'stop'], 60_000);
  await s3.stop();
  await rm(home, { recursive: true, force: true });
});

test('real-data sweep runs end to end', async () => {
  const start = await sweep(['start', 'e2e.yaml', '--no-tui']);
  assert.equal(start.code, 0, `sweep start failed:\n${start.stdout}\n${start.stderr}`);
  assert.match(start.stdout, /trial 1 started/);

  const sql = await sweep(['sql', '--json', "SELECT number, state, rank, is_baseline, test_accuracy, overfitting_gap, backend FROM leaderboard WHERE sweep = 'e2e-real' ORDER BY rank"]);
  assert.equal(sql.code, 0, sql.stderr);
  const rows = JSON.parse(sql.stdout) as { number: number; state: string; rank: number; is_baseline: boolean; test_accuracy: number; overfitting_gap: number; backend: string }[];
  assert.equal(rows.length, 3);
  for (const row of rows) {
    assert.equal(row.state, 'COMPLETE', `trial ${row.number}`);
    assert.ok(row.test_accuracy >= 0, `trial ${row.number} accuracy ${row.test_accuracy}`);
    assert.ok(row.test_accuracy <= 1, `trial ${row.number} accuracy ${row.test_accuracy}`);
    assert.ok(Number.isFinite(row.overfitting_gap), `trial ${row.number} gap ${row.overfitting_gap}`);
    assert.ok(row.backend.length > 0, `trial ${row.number} backend`);
  }
  assert.deepEqual(rows.map((row) => row.rank), [1, 2, 3]);
  const accuracies = rows.map((row) => row.test_accuracy);
  assert.deepEqual(accuracies, [...accuracies].sort((a, b) => b - a));
  assert.equal(rows.filter((row) => row.is_baseline).length, 1);

  const epochs = await sweep(['sql', '--json', "SELECT count(*)::int AS n FROM epoch_metrics e JOIN trials t ON t.id = e.trial_id JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = 'e2e-real'"]);
  // Baseline: 1 epoch; unfreeze 0: head only, 1 epoch; unfreeze 5: 1 + 1 epochs.
  assert.equal(JSON.parse(epochs.stdout)[0].n, 4);

  const out = join(home, 'report');
  const report = await sweep(['report', 'e2e-real', '--out', out]);
  assert.equal(report.code, 0, report.stderr);
  for (const name of ['report.html', 'report.md', 'accuracy_vs_gap.svg', 'accuracy_vs_gap.png', 'confusion_best.png', 'confusion_baseline.png', 'top_curves.svg']) {
    assert.ok(existsSync(join(out, name)), `report file ${name}`);
  }
  const markdown = await readFile(join(out, 'report.md'), 'utf8');
  assert.match(markdown, /over the simple-CNN baseline #1/);
  assert.match(markdown, /## Leaderboard/);

  const listing = await sweep(['artifacts', 'ls', 'e2e-real/2']);
  assert.equal(listing.code, 0, listing.stderr);
  assert.match(listing.stdout, /model\.json/);
  assert.match(listing.stdout, /curves\.png/);
  assert.match(listing.stdout, /confusion_matrix\.png/);
  assert.match(listing.stdout, /classification-report\.md/);
  assert.match(listing.stdout, /s3:\/\/e2e-artifacts\/runs\//);
  assert.ok(existsSync(join(s3.directory, s3.bucket)), 'objects are in the S3 server');

  const reportListing = await sweep(['artifacts', 'ls', 'e2e-real/sweep']);
  assert.equal(reportListing.code, 0, reportListing.stderr);
  assert.match(reportListing.stdout, /report\.html/);
  assert.match(reportListing.stdout, /s3:\/\/e2e-artifacts\/runs\/e2e-real\/sweep\//);
});
