import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { InputError } from '../errors.ts';

/** Where trials run: in a Piscina worker thread, or in a child process started by the worker. */
export type TrialIsolation = 'thread' | 'process';

/** One place a trial can run. */
export interface DeviceSlot {
  /** Shown to the user and stored in `trials.device`: `gpu:0`, `cpu:1`. */
  name: string;
  /** Value of `CUDA_VISIBLE_DEVICES` for the trial's child process; undefined on CPU slots. */
  cudaVisibleDevices?: string;
}

export interface DevicePlan {
  slots: DeviceSlot[];
  isolation: TrialIsolation;
}

export interface DevicePlanOptions {
  /** `auto`, or a number from `--workers` or the sweep file's `resources.workers`. */
  workers: number | 'auto';
  /** GPU indexes visible to this process (see `detectGpus`). */
  gpus: readonly string[];
  /** True when the trainer will use a native TensorFlow backend (tfjs-node or tfjs-node-gpu). */
  nativeBackend: boolean;
  cores?: number;
  /** Overrides the isolation chosen from the backend (`SWEEP_TRIAL_ISOLATION` in the CLI). */
  isolation?: TrialIsolation;
}

/**
 * Decides how many trials run at once and where.
 *
 * With GPUs, `auto` is one trial per GPU; more workers than GPUs share them
 * round-robin. Without a GPU, `auto` is one trial per core for the pure-JS
 * backend, whose kernels run on one thread per trial, and max(1, cores / 2) for
 * the native CPU backend, which spreads one trial over several threads itself.
 *
 * A native backend needs a child process per trial: tfjs-node cannot be loaded
 * by a second worker thread of one process, and CUDA picks its devices per
 * process. The pure-JS backend trains inside the worker thread.
 */
export function planDevices(options: DevicePlanOptions): DevicePlan {
  const cores = options.cores ?? availableParallelism();
  const useGpus = options.nativeBackend && options.gpus.length > 0;
  let workers: number;
  if (options.workers === 'auto') {
    if (useGpus) {
      workers = options.gpus.length;
    } else if (options.nativeBackend) {
      workers = Math.max(1, Math.floor(cores / 2));
    } else {
      workers = Math.max(1, cores);
    }
  } else {
    workers = options.workers;
  }
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new InputError(`workers must be a positive integer or "auto", got ${String(options.workers)}`);
  }

  const slots: DeviceSlot[] = [];
  for (let index = 0; index < workers; index += 1) {
    if (useGpus) {
      const gpu = options.gpus[index % options.gpus.length] as string;
      slots.push({ name: `gpu:${gpu}`, cudaVisibleDevices: gpu });
    } else {
      slots.push({ name: `cpu:${index}` });
    }
  }
  const isolation = options.isolation ?? (options.nativeBackend ? 'process' : 'thread');
  return { slots, isolation };
}

/**
 * Returns the indexes of the GPUs this process may use: those listed in
 * `CUDA_VISIBLE_DEVICES` when it is set, otherwise those that `nvidia-smi -L`
 * lists, otherwise none.
 */
export function detectGpus(env: NodeJS.ProcessEnv = process.env): string[] {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined) {
    return visible
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '' && entry !== '-1');
  }

  let listing: string;
  try {
    listing = execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch {
    return [];
  }
  const gpus: string[] = [];
  for (const line of listing.split('\n')) {
    const match = /^GPU (\d+):/.exec(line);
    if (match !== null) {
      gpus.push(match[1] as string);
    }
  }
  return gpus;
}

/** Parses the `--workers` flag: `auto` or a positive integer. */
export function parseWorkers(value: string, where: string): number | 'auto' {
  if (value === 'auto') {
    return 'auto';
  }
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(count) || count < 1) {
    throw new InputError(`${where} must be a positive integer or "auto", got ${JSON.stringify(value)}`);
  }
  return count;
}
