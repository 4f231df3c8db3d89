#!/usr/bin/env node
// Entry point of the `sweep` command. The sources are TypeScript and run through
// tsx's loader, so a fresh `npm ci` is enough: there is no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
