#!/usr/bin/env node
// Entry point of the `sweep` command. The sources are TypeScript and run through
// tsx's loader, so a fresh `npm ci` is enough: there is no build step.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// tsx looks for tsconfig.json in the working folder by default; outside the
// repository it would miss `"jsx": "react-jsx"` and the terminal UI would fail
// with "React is not defined".
register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
