import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { EnvironmentError, InputError } from '../../errors.ts';
import { installCpuKernels } from './cpu-kernels/index.ts';
import { listGpus } from './gpus.ts';

/** The backends sweep can train on, fastest first. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'cpu'];

/** The npm package that provides each backend. */
export const BACKEND_PACKAGES: Readonly<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  cpu: '@tensorflow/tfjs',
};

/** The backend the process trains on. */
export interface SelectedBackend {
  name: BackendName;
  /** Device that runs the kernels, for example `GPU 0 (NVIDIA H200)` or `CPU (pure JavaScript)`. */
  device: string;
  /** Faster cpu kernels registered by installCpuKernels(); empty for the native backends. */
  cpuKernels: string[];
  /** Faster backends that were passed over, each with the reason, for the trial log. */
  skipped: { name: BackendName; reason: string }[];
}

/** Whether one backend's package loads in this process. */
export interface BackendProbe {
  name: BackendName;
  package: string;
  available: boolean;
  version?: string;
  /** The import error when the package does not load. */
  error?: string;
}

let selection: Promise<SelectedBackend> | undefined;

/**
 * Selects the TensorFlow.js backend once per process and returns it; later calls
 * return the same selection. `SWEEP_BACKEND` (auto, tensorflow-gpu, tensorflow
 * or cpu; default auto) forces one. Auto prefers @tensorflow/tfjs-node-gpu, then
 * @tensorflow/tfjs-node, then the pure-JS cpu backend of @tensorflow/tfjs. On the
 * cpu backend, installCpuKernels() registers faster kernels.
 */
export function selectBackend(env: NodeJS.ProcessEnv = process.env): Promise<SelectedBackend> {
  selection ??= chooseBackend(parseBackendChoice(env.SWEEP_BACKEND)).catch((error: unknown) => {
    selection = undefined;
    throw error;
  });
  return selection;
}

/** Parses the value of `SWEEP_BACKEND`; empty or absent means auto. */
export function parseBackendChoice(value: string | undefined): BackendChoice {
  if (value === undefined || value.trim() === '') {
    return 'auto';
  }
  const choice = value.trim().toLowerCase();
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new InputError(`SWEEP_BACKEND must be one of ${BACKEND_CHOICES.join(', ')}, got "${value}"`);
  }
  return choice as BackendChoice;
}

/**
 * Tries to import a backend's package and reports the result without switching
 * to it. Importing a native package registers its backend as a side effect.
 */
export async function probeBackend(name: BackendName): Promise<BackendProbe> {
  const packageName = BACKEND_PACKAGES[name];
  try {
    await importPackage(packageName);
  } catch (error) {
    return { name, package: packageName, available: false, error: describeImportError(error) };
  }
  return { name, package: packageName, available: true, version: packageVersion(packageName) };
}

async function chooseBackend(choice: BackendChoice): Promise<SelectedBackend> {
  const order: BackendName[] = choice === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'cpu'] : [choice];
  const skipped: SelectedBackend['skipped'] = [];

  for (const name of order) {
    if (name === 'cpu') {
      return useCpu(skipped);
    }
    const probe = await probeBackend(name);
    if (probe.available) {
      await switchTo('tensorflow', probe.package);
      return { name, device: nativeDevice(name), cpuKernels: [], skipped };
    }
    if (choice !== 'auto') {
      throw new EnvironmentError(
        `SWEEP_BACKEND=${name} needs ${probe.package}, which does not load: ${probe.error}. ` +
          `Install it with npm install ${probe.package} (it downloads libtensorflow), or set SWEEP_BACKEND=auto. Run sweep doctor for details.`,
      );
    }
    skipped.push({ name, reason: probe.error ?? 'not available' });
  }
  return useCpu(skipped);
}

async function useCpu(skipped: SelectedBackend['skipped']): Promise<SelectedBackend> {
  await switchTo('cpu', BACKEND_PACKAGES.cpu);
  // The cpu backend prints a banner recommending tfjs-node on its first tensor.
  // sweep doctor reports that instead, and the banner would draw over the terminal UI.
  const backend = tf.backend() as { firstUse?: boolean };
  backend.firstUse = false;
  const { installed } = installCpuKernels();
  return { name: 'cpu', device: 'CPU (pure JavaScript)', cpuKernels: installed, skipped };
}

async function switchTo(backend: string, packageName: string): Promise<void> {
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) {
    throw new EnvironmentError(`TensorFlow.js could not initialize the ${backend} backend of ${packageName}; run sweep doctor to see what loads`);
  }
  await tf.ready();
}

function nativeDevice(name: BackendName): string {
  if (name !== 'tensorflow-gpu') {
    return 'CPU (libtensorflow)';
  }
  const listing = listGpus();
  const visible = process.env.CUDA_VISIBLE_DEVICES?.split(',')[0]?.trim();
  const index = visible !== undefined && /^\d+$/.test(visible) ? Number(visible) : 0;
  const gpu = listing.gpus.find((candidate) => candidate.index === index);
  return gpu === undefined ? `GPU ${index}` : `GPU ${gpu.index} (${gpu.name})`;
}

// The specifier is a variable so that the type checker does not require the
// optional native packages, which are not installed everywhere.
async function importPackage(packageName: string): Promise<unknown> {
  const specifier: string = packageName;
  return import(specifier);
}

function packageVersion(packageName: string): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${packageName}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function describeImportError(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const code = (error as NodeJS.ErrnoException).code;
  const firstLine = error.message.split('\n')[0];
  return code === undefined ? firstLine : `${code}: ${firstLine}`;
}
