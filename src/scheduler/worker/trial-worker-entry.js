// Entry of the Piscina worker threads. It registers tsx's loader in this thread
// and then loads the TypeScript task. Passing `--import tsx` in the pool's
// execArgv alone was not enough here (tsx 4 on Node 20): the task file and the
// modules that the trainer imports on demand failed at random with
// "Unknown file extension .ts".
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
const task = await import('./trial-worker.ts');

export default task.default;
