import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Makes the id that a process writes into `trials.claimed_by`:
 * `<host>:<pid>:<random>`. The random part keeps ids unique when a pid is reused.
 */
export function makeWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Returns true when a worker id names a process on this host that no longer
 * exists, so its trials can be requeued at once instead of after the lease.
 * Returns false for ids of other hosts and for ids it cannot parse.
 *
 * NOTE: hosts are distinguished by host name only. Two containers with the same
 * host name and separate pid namespaces would take each other's live workers
 * for dead; the guarded writes keep the data consistent, but the requeued
 * trial is trained twice.
 */
export function isDeadLocalWorker(workerId: string, host: string = hostname()): boolean {
  const parts = workerId.split(':');
  if (parts.length < 3) {
    return false;
  }
  const pid = Number(parts[parts.length - 2]);
  const workerHost = parts.slice(0, -2).join(':');
  if (workerHost !== host || !Number.isInteger(pid) || pid <= 0) {
    return false;
  }
  if (pid === process.pid) {
    return false;
  }

  try {
    // Signal 0 checks that the process exists without touching it.
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
