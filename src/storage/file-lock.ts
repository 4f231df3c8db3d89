import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvironmentError } from '../errors.ts';

/** Options of {@link withFileLock}. */
export interface FileLockProps {
  /** Milliseconds to wait for another holder before giving up. Default 120000. */
  timeoutMs?: number;
  /** Milliseconds between attempts. Default 50. */
  retryMs?: number;
}

/**
 * Runs `action` while holding an exclusive lock file at `path`, so that
 * processes on this machine never run it at the same time. The lock file holds
 * the owner's pid; a lock left behind by a process that no longer exists is
 * taken over.
 */
export async function withFileLock<T>(path: string, action: () => Promise<T>, props: FileLockProps = {}): Promise<T> {
  const timeoutMs = props.timeoutMs ?? 120_000;
  const retryMs = props.retryMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  const token = `${process.pid}@${hostname()}`;

  for (;;) {
    if (await tryCreateLock(path, token)) {
      break;
    }
    await removeIfStale(path);
    if (Date.now() > deadline) {
      const owner = await readOwner(path);
      throw new EnvironmentError(
        `timed out after ${timeoutMs} ms waiting for the lock ${path}, held by ${owner ?? 'an unknown process'}; ` +
          'if no sweep command is running, delete that file and retry',
      );
    }
    await sleep(retryMs);
  }

  try {
    return await action();
  } finally {
    // Only remove the lock if it is still ours: a stale-lock takeover by another
    // process would otherwise be undone.
    if ((await readOwner(path)) === token) {
      await rm(path, { force: true });
    }
  }
}

async function tryCreateLock(path: string, token: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o600);
    await handle.writeFile(token);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw error;
  }
}

async function readOwner(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function removeIfStale(path: string): Promise<void> {
  const owner = await readOwner(path);
  // An empty file is a lock whose owner has not written its pid yet.
  if (owner === undefined || owner === '') {
    return;
  }
  const [pidText, host] = owner.split('@');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || isProcessAlive(pid)) {
    return;
  }
  // NOTE: two processes that find the same stale lock at once may both remove
  // it, and the slower one can delete the lock the faster one just created.
  // This needs a crashed holder and a start within milliseconds of each other.
  await rm(path, { force: true });
}

/** Tells whether a process with this pid exists on this machine. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
