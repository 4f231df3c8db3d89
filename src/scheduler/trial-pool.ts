import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { singleThreadedGcFlag, usesSingleThreadedGc } from '../garbage-collector.ts';
import type { TrialIsolation } from './devices.ts';
import type { ControlMessage, TrialMessage, TrialOutcome, TrialSpecifics, TrialTask } from './worker/trial-protocol.ts';

export interface TrialPoolOptions {
  /** Trials that run at once: the pool's thread count. */
  size: number;
  isolation: TrialIsolation;
}

/** A trial handed to the pool. */
export interface RunningTrial {
  /** Settles when the trial ends; never rejects. */
  outcome: Promise<TrialOutcome>;
  /** Sends a message to the training code. */
  control(message: ControlMessage): void;
  /** Ends the trial now: kills its child process and terminates its worker thread. */
  terminate(reason: string): void;
}

/**
 * The Piscina pool that trains trials, one per thread. Workers load TypeScript
 * through tsx's loader. Each trial gets a MessageChannel of its own for epochs,
 * logs and control messages; the main process keeps the database work.
 */
export class TrialPool {
  readonly #piscina: Piscina<TrialTask, TrialOutcome>;
  readonly #isolation: TrialIsolation;

  constructor(options: TrialPoolOptions) {
    if (!Number.isSafeInteger(options.size) || options.size < 1) {
      throw new RangeError(`options.size must be a positive integer, got ${options.size}`);
    }
    this.#isolation = options.isolation;
    this.#piscina = new Piscina<TrialTask, TrialOutcome>({
      filename: fileURLToPath(new URL('./worker/trial-worker-entry.js', import.meta.url)),
      execArgv: ['--import', import.meta.resolve('tsx')],
      minThreads: options.size,
      maxThreads: options.size,
      concurrentTasksPerWorker: 1,
      // Threads stay up between trials so a trial does not pay for loading TensorFlow.js again.
      idleTimeout: 10 * 60 * 1000,
    });
  }

  /**
   * Starts a trial. `onMessage` receives its epochs and logs in order; the
   * caller acknowledges each epoch with an `ack` through `control`.
   */
  run(trial: TrialSpecifics, cudaVisibleDevices: string | undefined, onMessage: (message: TrialMessage) => void): RunningTrial {
    const { port1, port2 } = new MessageChannel();
    const termination = new AbortController();
    let childPid: number | undefined;

    port1.on('message', (message: TrialMessage) => {
      if (message.type === 'child') {
        childPid = message.pid;
        return;
      }
      onMessage(message);
    });

    const task: TrialTask = { ...trial, isolation: this.#isolation, nodeFlags: childNodeFlags, port: port2 };
    if (cudaVisibleDevices !== undefined) {
      task.cudaVisibleDevices = cudaVisibleDevices;
    }
    const outcome = this.#piscina
      .run(task, { transferList: [port2], signal: termination.signal })
      .catch((error: unknown): TrialOutcome => {
        if (termination.signal.aborted) {
          return { status: 'aborted', reason: String(termination.signal.reason) };
        }
        // A worker thread that exits (process.exit in a thread) rejects its task.
        const message = error instanceof Error ? error.message : String(error);
        return { status: 'failed', error: `trial worker thread ended before the trial finished: ${message}`, crashed: true };
      })
      .finally(() => port1.close());

    return {
      outcome,
      control: (message) => port1.postMessage(message),
      terminate: (reason) => {
        if (childPid !== undefined) {
          killQuietly(childPid);
        }
        termination.abort(reason);
      },
    };
  }

  /** Closes the pool; `force` terminates threads that still run a trial. */
  async close(force = false): Promise<void> {
    await this.#piscina.close({ force });
  }
}

/** Flags of this process that trial child processes get too: the choice of garbage collector. */
const childNodeFlags = usesSingleThreadedGc() ? [singleThreadedGcFlag] : [];

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // The child has already exited.
  }
}
