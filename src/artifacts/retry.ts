import { setTimeout as sleep } from 'node:timers/promises';
import { isTransientError } from './artifact-errors.ts';

/** How store operations retry transient errors. */
export interface RetryOptions {
  /** Total tries, the first included; default 4. 1 disables retrying. */
  attempts?: number;
  /** Delay before the first retry in milliseconds; each later delay doubles, default 200. */
  baseDelayMs?: number;
  /** Upper bound of one delay in milliseconds, default 5000. */
  maxDelayMs?: number;
  /** Called before each retry with the error, the 1-based number of the failed try and the delay. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void | Promise<void>;
}

export const defaultRetryOptions = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5000 } as const;

/** Checks retry options once, with messages that name the option. */
export function validateRetryOptions(options: RetryOptions): void {
  if (options.attempts !== undefined && (!Number.isInteger(options.attempts) || options.attempts < 1)) {
    throw new TypeError(`options.retry.attempts must be a positive integer, got ${String(options.attempts)}`);
  }
  for (const name of ['baseDelayMs', 'maxDelayMs'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new TypeError(`options.retry.${name} must be a number of milliseconds >= 0, got ${String(value)}`);
    }
  }
}

/**
 * Runs an operation, retrying it after transient errors (see
 * `isTransientError`) with exponential backoff and jitter: the delay before
 * retry n is drawn from [d/2, d] with d = min(maxDelayMs, baseDelayMs * 2^(n-1)).
 * Other errors, and the last transient one, are thrown as they are.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  const attempts = options.attempts ?? defaultRetryOptions.attempts;
  const baseDelayMs = options.baseDelayMs ?? defaultRetryOptions.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? defaultRetryOptions.maxDelayMs;

  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= attempts || !isTransientError(error) || signal?.aborted === true) {
        throw error;
      }
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      await options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, undefined, signal === undefined ? undefined : { signal });
    }
  }
}
