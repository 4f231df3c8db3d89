import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { usePostgres } from '../helpers/postgres.ts';
import { startCli } from './cli-helpers.ts';
import { writeTinyCifar } from './fixtures.ts';

const postgres = usePostgres();
let home: string;
let dataDir: string;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'sweep-retry-test-'));
  dataDir = await writeTinyCifar(join(home, 'cifar'), 12);
});

after(async () => {
  await rm(home, { recursive: true, force: true });
});

test('failed trials retry on the next start', async () => {
  const { db, url } = await postgres.freshDatabase();
  // The data folder comes from SWEEP_DATA_DIR, so the sweep file stays the same between runs.
  const file = join(home, 'retry.yaml');
  await writeFile(file, `name: retry
dataset:
  name: cifar10
  limits: { train: 16, test: 10 }
  validation_split: 0.25
model:
  type: simple-cnn
  dropout: 0.5
training:
  batch_size: 16
  seed: \${seed}
  head: { optimizer: adam, learning_rate: 1e-3, max_epochs: 1 }
parameters:
  seed: [1, 2]
`);
  const options = { databaseUrl: url, home };

  const first = startCli(['start', file, '--no-tui', '--workers', '1'], { ...options, env: { SWEEP_DATA_DIR: join(home, 'missing') } });
  assert.equal(await first.exited, 1, first.output());
  assert.match(first.output(), /2 trials of sweep retry failed \(trial 1: .*missing/);
  assert.match(first.output(), /run sweep start with the same file again: it retries failed trials/);
  const failed = await db.selectFrom('trials').select(['state']).execute();
  assert.deepEqual(failed.map((trial) => trial.state), ['FAIL', 'FAIL']);

  const second = startCli(['start', file, '--no-tui', '--workers', '1'], { ...options, env: { SWEEP_DATA_DIR: dataDir } });
  assert.equal(await second.exited, 0, second.output());
  assert.match(second.output(), /0 new trials, 2 failed trials requeued/);
  const retried = await db.selectFrom('trials').select(['state', 'error']).orderBy('number').execute();
  assert.deepEqual(retried.map((trial) => trial.state), ['COMPLETE', 'COMPLETE']);
  assert.deepEqual(retried.map((trial) => trial.error), [null, null]);
});
