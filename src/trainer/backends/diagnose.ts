import { cpus } from 'node:os';
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
  };
}
