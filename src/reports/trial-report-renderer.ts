import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { TrialReportInput } from './trial-report.ts';

/** Seconds the render thread waits for the next trial before it exits. */
const idleSeconds = 60;

/**
 * Renders trial charts in a thread of their own. Vega and resvg take about
 * 100 ms of CPU per trial. On the sweep's main thread that time would delay
 * claims and epoch acknowledgements, so trial workers would sit waiting.
 * The thread starts with the first trial and exits when idle.
 */
export class TrialReportRenderer {
  #pool: Piscina<{ input: TrialReportInput; dir: string }, string[]> | undefined;

  /** Writes the trial's charts and classification report into `dir` and returns the file names. */
  render(input: TrialReportInput, dir: string): Promise<string[]> {
    this.#pool ??= new Piscina({
      filename: fileURLToPath(new URL('./trial-report-worker-entry.js', import.meta.url)),
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: idleSeconds * 1000,
    });
    return this.#pool.run({ input, dir });
  }

  async close(): Promise<void> {
    await this.#pool?.close();
    this.#pool = undefined;
  }
}
