import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { usesSingleThreadedGc } from '../../garbage-collector.ts';
import { cacheDir } from '../../paths.ts';
import { locateCifar10, missingCifar10Files } from '../datasets/cifar10.ts';
import { listGpus, type GpuListing } from './gpus.ts';
import { parseBackendChoice, probeBackend, selectBackend, type BackendProbe, type SelectedBackend } from './select-backend.ts';

/** Report on the training environment, as `sweep doctor` prints it. */
export interface Diagnosis {
  node: string;
  platform: string;
  cpus: number;
  /** The raw `SWEEP_BACKEND` value, or `auto` when unset. */
  requestedBackend: string;
  backends: BackendProbe[];
  /** The backend a trial would use now, or why none could be selected. */
  selected: SelectedBackend | { error: string };
  gpus: GpuListing;
  cifar10: { dir: string; source: string; missing: string[] };
  /** Folders that `weights: imagenet` searches, in order, with the MobileNetV2 weight files in each. */
  weights: WeightsFolder[];
  /** `single-threaded` when Node.js was started with --single-threaded-gc, as the `sweep` command is. */
  garbageCollector: 'single-threaded' | 'concurrent';
}

/** A folder that MobileNetV2's ImageNet weights are looked for in. */
export interface WeightsFolder {
  dir: string;
  source: 'SWEEP_WEIGHTS_DIR' | 'download cache';
  /** Keras `.h5` files and TensorFlow.js model folders (with a model.json) whose names start with `mobilenet_v2_`. */
  found: string[];
}

/**
 * Probes every backend package, selects the backend as a trial would, lists the
 * GPUs and checks where CIFAR-10 would be read from. Importing a native package
 * registers its backend, so this is meant for a process that trains nothing else.
 */
export async function diagnose(env: NodeJS.ProcessEnv = process.env): Promise<Diagnosis> {
  const backends = [await probeBackend('tensorflow-gpu'), await probeBackend('tensorflow'), await probeBackend('cpu')];

  let selected: Diagnosis['selected'];
  try {
    parseBackendChoice(env.SWEEP_BACKEND);
    selected = await selectBackend(env);
  } catch (error) {
    selected = { error: (error as Error).message };
  }

  const location = locateCifar10({}, env);
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    requestedBackend: env.SWEEP_BACKEND === undefined || env.SWEEP_BACKEND === '' ? 'auto' : env.SWEEP_BACKEND,
    backends,
    selected,
    gpus: listGpus(),
    cifar10: { dir: location.dir, source: location.source, missing: missingCifar10Files(location.dir) },
    weights: weightsFolders(env),
    garbageCollector: usesSingleThreadedGc() ? 'single-threaded' : 'concurrent',
  };
}

/** Lists the MobileNetV2 weights in the folders that resolveImagenetWeights searches, in its order. */
function weightsFolders(env: NodeJS.ProcessEnv): WeightsFolder[] {
  const folders: Omit<WeightsFolder, 'found'>[] = [];
  if (env.SWEEP_WEIGHTS_DIR !== undefined && env.SWEEP_WEIGHTS_DIR !== '') {
    folders.push({ dir: resolve(env.SWEEP_WEIGHTS_DIR), source: 'SWEEP_WEIGHTS_DIR' });
  }
  folders.push({ dir: join(cacheDir(env), 'models'), source: 'download cache' });
  return folders.map((folder) => ({ ...folder, found: mobileNetV2Files(folder.dir) }));
}

function mobileNetV2Files(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.name.startsWith('mobilenet_v2_'))
      .filter((entry) => (entry.isDirectory() ? existsSync(join(dir, entry.name, 'model.json')) : entry.name.endsWith('.h5')))
      .map((entry) => entry.name)
      .sort();
  } catch {
    // A missing folder (not created yet) contains no weights.
    return [];
  }
}
