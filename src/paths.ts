import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Returns the project's state folder: the embedded PostgreSQL data, local
 * artifacts, the artifact spool and logs. `SWEEP_HOME` overrides the default `./.sweep`.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SWEEP_HOME ?? '.sweep');
}

/**
 * Returns the download cache for data sets and pretrained weights, shared by all
 * projects of a user like Keras' `~/.keras`. `SWEEP_CACHE_DIR` overrides the default `~/.sweep`.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SWEEP_CACHE_DIR ?? join(homedir(), '.sweep'));
}

/** Returns the folder of the log file that receives everything while the terminal UI is up. */
export function logDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'logs');
}
