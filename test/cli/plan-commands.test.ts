import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));
let home: string;

before(async () => {
  // The CLI's log file goes to a temporary SWEEP_HOME, not the repository.
  home = await mkdtemp(join(tmpdir(), 'sweep-plan-cli-'));
});

after(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Runs the `sweep` bin as a user would and returns its exit code and output. */
function sweep(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/cli/bin.js', ...args],
      { cwd: root, env: { ...process.env, SWEEP_HOME: home }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        let code = 0;
        if (error !== null) {
          code = typeof error.code === 'number' ? error.code : 1;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('sweep validate', () => {
  it('accepts the shipped sweeps', async () => {
    const result = await sweep('validate', 'sweeps/finetune.yaml', 'sweeps/quickstart.yaml');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^sweeps\/finetune\.yaml: valid: sweep cifar10-finetune, 4 parameters, grid of 24 points, plus the baseline$/m);
    assert.match(result.stdout, /^sweeps\/quickstart\.yaml: valid: /m);
  });

  it('exits 2 and lists every problem', async () => {
    const file = join(home, 'bad.yaml');
    await writeFile(
      file,
      'name: bad\ndataset: { name: cifar10 }\nmodel: { type: simple-cnn }\ntraining:\n  head: { learning_rate: 0, max_epochs: 1, optimiser: adam }\n',
    );
    const result = await sweep('validate', file);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /2 problems found:/);
    assert.ok(result.stderr.includes(`${file}:5:26: training.head.learning_rate: must be greater than 0, got 0`), result.stderr);
    assert.ok(result.stderr.includes(`${file}:5:44: training.head.optimiser: unknown key; did you mean optimizer?`), result.stderr);
  });

  it('exits 2 for a missing file', async () => {
    const result = await sweep('validate', 'sweeps/missing.yaml');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot read sweep file sweeps\/missing\.yaml: file not found/);
  });
});

describe('sweep plan', () => {
  it('prints the trials as JSON with the summary', async () => {
    const result = await sweep('plan', 'sweeps/finetune.yaml', '--json');
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as { sweep: string; trials: { number: number; config_hash: string; is_baseline: boolean }[]; summary: Record<string, unknown> };
    assert.equal(output.sweep, 'cifar10-finetune');
    assert.equal(output.trials.length, 21);
    assert.equal(output.trials[0].is_baseline, true);
    assert.equal(output.summary.collapsed, 4);
    assert.equal(output.summary.grid_points, 24);
    assert.deepEqual(
      output.trials.map((trial) => trial.number),
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
  });

  it('prints a table with the count and the collapsed points', async () => {
    const result = await sweep('plan', 'sweeps/finetune.yaml');
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.match(lines[0], /^\s+#\s+config hash\s+unfreeze_layers\s+dense_units\s+fine_tune_lr\s+augmentation$/);
    assert.match(lines[1], /^\s+1\s+[0-9a-f]{12}\s+baseline \(simple-cnn\)$/);
    assert.ok(lines.includes('21 trials (the baseline included) from a grid of 24 points.'), result.stdout);
    assert.ok(lines.includes('4 points collapsed into an earlier trial with the same config:'), result.stdout);
  });

  it('limits the rows but counts every trial', async () => {
    const result = await sweep('plan', 'sweeps/finetune.yaml', '--limit', '3');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\.\.\. 18 more trials \(--limit 3\)$/m);
    assert.match(result.stdout, /^21 trials/m);
  });

  it('rejects an invalid limit', async () => {
    const result = await sweep('plan', 'sweeps/finetune.yaml', '--limit', 'ten');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--limit must be a whole number of trials, got "ten"/);
  });
});

describe('sweep schema', () => {
  it('prints the committed JSON Schema', async () => {
    const result = await sweep('schema');
    assert.equal(result.code, 0, result.stderr);
    const committed = await readFile(join(root, 'sweeps/sweep.schema.json'), 'utf8');
    assert.equal(result.stdout, committed);
  });
});

describe('sweep --version', () => {
  it('prints the package version', async () => {
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };

    const { code, stdout } = await sweep('--version');

    assert.equal(code, 0);
    assert.equal(stdout.trim(), manifest.version);
  });
});
