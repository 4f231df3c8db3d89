import { mkdir } from 'node:fs/promises';
import { train } from '../../trainer/train.ts';
import { applyInjectedFailure } from './failure-injection.ts';
import type { ControlMessage, TrialChannel, TrialOutcome, TrialSpecifics } from './trial-protocol.ts';

/**
 * Trains one trial in this thread or process and reports through the channel.
 * Each epoch waits for the main process to acknowledge it; an `ack` with
 * `stop`, or an `abort`, stops training through the trainer's AbortSignal.
 * Errors become a `failed` outcome instead of a rejection, so the caller always
 * gets plain data back.
 */
export async function executeTrial(trial: TrialSpecifics, channel: TrialChannel): Promise<TrialOutcome> {
  const controller = new AbortController();
  const pendingAcks = new Map<number, (message: Extract<ControlMessage, { type: 'ack' }>) => void>();
  channel.onControl((message) => {
    if (message.type === 'abort') {
      controller.abort(message.reason);
      return;
    }
    const resolve = pendingAcks.get(message.seq);
    pendingAcks.delete(message.seq);
    resolve?.(message);
  });

  let seq = 0;
  try {
    applyInjectedFailure(trial.number);
    await mkdir(trial.outputDir, { recursive: true });
    await mkdir(trial.checkpointDir, { recursive: true });

    const result = await train({
      config: trial.config,
      outputDir: trial.outputDir,
      checkpoint: { dir: trial.checkpointDir },
      signal: controller.signal,
      onLog: (message) => channel.send({ type: 'log', message }),
      onEpoch: async (metrics) => {
        seq += 1;
        const acknowledged = new Promise<Extract<ControlMessage, { type: 'ack' }>>((resolve) => pendingAcks.set(seq, resolve));
        channel.send({ type: 'epoch', seq, metrics });
        const ack = await Promise.race([acknowledged, abortedPromise(controller.signal)]);
        if (ack !== undefined && ack.stop) {
          controller.abort('stop requested after the epoch was saved');
        }
      },
    });
    return { status: 'complete', result };
  } catch (error) {
    if (controller.signal.aborted) {
      return { status: 'aborted', reason: String(controller.signal.reason) };
    }
    return { status: 'failed', error: describeError(error), crashed: false };
  }
}

/** Resolves with undefined once the signal aborts, so a wait for an ack cannot outlive an abort. */
function abortedPromise(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(undefined);
      return;
    }
    signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}

/** Formats an error for the trial's `error` column: the message, then the first stack frames. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const stack = error.stack ?? '';
  const frames = stack
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, 5)
    .map((line) => line.trim());
  const head = `${error.name}: ${error.message}`;
  return frames.length === 0 ? head : `${head}\n${frames.join('\n')}`;
}
