#!/usr/bin/env node
// Entry point of the `sweep` command. The sources are TypeScript and run through
// tsx's loader, so a fresh `npm ci` is enough: there is no build step.
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
