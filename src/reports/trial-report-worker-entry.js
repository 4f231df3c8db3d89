// Entry of the thread that renders trial charts for the sweep runner. Like the
// trial workers' entry, it registers tsx's loader in this thread before it
// loads the TypeScript module.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
const { writeTrialReport } = await import('./trial-report.ts');

/** @param {{ input: import('./trial-report.ts').TrialReportInput, dir: string }} task */
export default function renderTrialReport(task) {
  return writeTrialReport(task.input, task.dir);
}
