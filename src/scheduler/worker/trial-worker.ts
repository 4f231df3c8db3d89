import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { executeTrial } from './trial-execution.ts';
import type { ChildInbound, ChildOutbound, ControlMessage, TrialChannel, TrialOutcome, TrialSpecifics, TrialTask } from './trial-protocol.ts';

/** Lines of a child's stderr kept for the error message when it dies. */
const stderrLinesKept = 20;

/**
 * The Piscina task: trains one trial in this worker thread, or in a child
 * process pinned to its GPU when the task sets process isolation.
 */
export default async function runTrialTask(task: TrialTask): Promise<TrialOutcome> {
  const { port, isolation, cudaVisibleDevices, nodeFlags, ...trial } = task;
  try {
    if (isolation === 'thread') {
      return await executeTrial(trial, portChannel(port));
    }
    return await runInChildProcess(trial, port, cudaVisibleDevices, nodeFlags);
  } finally {
    port.close();
  }
}

function portChannel(port: MessagePort): TrialChannel {
  return {
    send: (message) => port.postMessage(message),
    onControl: (listener) => port.on('message', listener),
  };
}

/**
 * Starts `trial-child.ts` with an IPC channel and relays messages both ways.
 * A child that exits without sending its outcome (crash, out of memory,
 * `process.exit`, a signal) gives a `failed` outcome with `crashed: true`.
 */
function runInChildProcess(trial: TrialSpecifics, port: MessagePort, cudaVisibleDevices: string | undefined, nodeFlags: readonly string[]): Promise<TrialOutcome> {
  const tsxUrl = import.meta.resolve('tsx');
  const entry = fileURLToPath(new URL('./trial-child.ts', import.meta.url));
  const env = { ...process.env };
  if (cudaVisibleDevices !== undefined) {
    env.CUDA_VISIBLE_DEVICES = cudaVisibleDevices;
  }
  const child = spawn(process.execPath, [...nodeFlags, '--import', tsxUrl, entry], { env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });

  return new Promise((resolve) => {
    let outcome: TrialOutcome | undefined;
    const stderr: string[] = [];
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      process.stderr.write(chunk);
      stderr.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
      stderr.splice(0, Math.max(0, stderr.length - stderrLinesKept));
    });

    const relayControl = (message: ControlMessage): void => {
      if (child.connected) {
        child.send(message satisfies ChildInbound);
      }
    };
    port.on('message', relayControl);

    child.on('message', (message: ChildOutbound) => {
      if (message.type === 'outcome') {
        outcome = message.outcome;
        return;
      }
      port.postMessage(message);
    });
    child.on('spawn', () => {
      if (child.pid !== undefined) {
        port.postMessage({ type: 'child', pid: child.pid });
      }
      child.send({ type: 'start', trial } satisfies ChildInbound);
    });
    child.on('error', (error) => {
      outcome ??= { status: 'failed', error: `could not start the trial process: ${error.message}`, crashed: true };
    });
    child.on('close', (code, signal) => {
      port.off('message', relayControl);
      if (outcome !== undefined) {
        resolve(outcome);
        return;
      }
      const ending = signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      const hint = signal === 'SIGKILL' ? ' (out of memory, or killed from outside)' : '';
      const tail = stderr.length > 0 ? `\n${stderr.join('\n')}` : '';
      resolve({ status: 'failed', error: `trial process ${ending}${hint} before it finished${tail}`, crashed: true });
    });
  });
}
