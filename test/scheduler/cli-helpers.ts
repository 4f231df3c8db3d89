import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

/** A `sweep` command started as a child process, with its output collected. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Settles with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts `sweep ARGS` against a database, with its state folder in `home`. */
export function startCli(args: readonly string[], options: { databaseUrl: string; home: string; env?: NodeJS.ProcessEnv }): CliProcess {
  const child = spawn(process.execPath, [bin, '--database-url', options.databaseUrl, ...args], {
    cwd: options.home,
    env: { ...process.env, SWEEP_HOME: join(options.home, '.sweep'), NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Writes a sweep file of simple-CNN trials on a tiny data set: one trial per seed. */
export async function writeTinySweepFile(dir: string, options: { name: string; dataDir: string; seeds: number; epochs: number }): Promise<string> {
  const seeds = Array.from({ length: options.seeds }, (_, index) => index + 1).join(', ');
  const text = `name: ${options.name}
dataset:
  name: cifar10
  path: ${options.dataDir}
  limits:
    train: 16
    test: 10
  validation_split: 0.25
model:
  type: simple-cnn
  dropout: 0.5
training:
  batch_size: 16
  seed: \${seed}
  head:
    optimizer: adam
    learning_rate: 1e-3
    max_epochs: ${options.epochs}
parameters:
  seed: [${seeds}]
search:
  method: grid
`;
  const file = join(dir, `${options.name}.yaml`);
  await writeFile(file, text);
  return file;
}

/** Polls `check` every 200 ms until it returns true, or throws after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
