#!/usr/bin/env node
// The test command (`npm test`). It installs the system tools that some tests
// drive (tmux, Chromium) when they are missing, type-checks the sources, then
// runs every test/**/*.test.ts(x) file with Node's test runner, each file in
// its own process. Pass file paths to run only those files.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      found.push(...findTests(path));
    } else if (/\.test\.tsx?$/.test(name)) {
      found.push(relative(root, path));
    }
  }
  return found;
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

// Debian package names of the tools that end-to-end tests drive.
const systemTools = { tmux: 'tmux', chromium: 'chromium' };

function installSystemTools() {
  const missing = Object.entries(systemTools).filter(([command]) => !hasCommand(command));
  if (missing.length === 0) {
    return;
  }
  const packages = missing.map(([, pkg]) => pkg);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !hasCommand('apt-get')) {
    console.warn(`test: missing ${packages.join(', ')}; install them (Debian: apt-get install ${packages.join(' ')}) or the tests that need them fail.`);
    return;
  }
  console.log(`test: installing ${packages.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  if (result.status !== 0) {
    console.warn(`test: apt-get install ${packages.join(' ')} failed (exit ${result.status}); the tests that need them will fail.`);
  }
}

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

const files = args.length > 0 ? args : findTests(join(root, 'test'));
if (args.length === 0) {
  installSystemTools();
  const typecheck = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.']);
  if (typecheck !== 0) {
    console.error('test: type check failed (npx tsc --noEmit -p . shows the errors)');
    process.exit(typecheck);
  }
}
if (files.length === 0) {
  console.error('test: no test files found under test/');
  process.exit(1);
}
const concurrency = process.env.SWEEP_TEST_CONCURRENCY ?? '2';
process.exit(run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files]));
