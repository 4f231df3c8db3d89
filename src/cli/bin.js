#!/usr/bin/env -S node --single-threaded-gc
// Entry point of the `sweep` command. The sources are TypeScript and run through
// tsx's loader, so a fresh `npm ci` is enough: there is no build step.
//
// The first line starts Node.js with V8's single-threaded garbage collector.
// Training on the pure-JS backend frees tensors of many megabytes at every
// step. V8's default collector marks and sweeps for them on four helper
// threads, which on a 2-core machine used about a third as much CPU as the
// training itself, so a second trial worker had less of the machine. Collecting
// on the worker's own thread costs less CPU in total (docs/benchmarks.md,
// "Scheduler"). V8 takes the flag only on the command line, not in
// NODE_OPTIONS. Run as `node src/cli/bin.js`, without it, sweep works the same, a little slower.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// tsx looks for tsconfig.json in the working folder by default; outside the
// repository it would miss `"jsx": "react-jsx"` and the terminal UI would fail
// with "React is not defined".
// The AWS SDK warns on stderr, over the terminal UI, that its releases after
// January 2027 will need Node 22; the version that package-lock.json pins runs on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
