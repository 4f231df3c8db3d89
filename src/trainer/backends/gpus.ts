import { spawnSync } from 'node:child_process';

/** One NVIDIA GPU as nvidia-smi lists it. */
export interface GpuInfo {
  index: number;
  name: string;
  memoryMiB: number;
  driver: string;
}

export type GpuListing = { gpus: GpuInfo[] } | { gpus: []; error: string };

/**
 * Lists NVIDIA GPUs with `nvidia-smi --query-gpu`. Returns an empty list and the
 * reason when nvidia-smi is missing or fails.
 */
export function listGpus(): GpuListing {
  const result = spawnSync('nvidia-smi', ['--query-gpu=index,name,memory.total,driver_version', '--format=csv,noheader,nounits'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'nvidia-smi not found on PATH' : `nvidia-smi failed: ${result.error.message}`;
    return { gpus: [], error: reason };
  }
  if (result.status !== 0) {
    return { gpus: [], error: `nvidia-smi exited with status ${result.status}: ${result.stderr.trim() || result.stdout.trim()}` };
  }

  const gpus: GpuInfo[] = [];
  for (const line of result.stdout.split('\n')) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length < 4 || fields[0] === '') {
      continue;
    }
    gpus.push({ index: Number(fields[0]), name: fields[1], memoryMiB: Number(fields[2]), driver: fields[3] });
  }
  return { gpus };
}
