/**
 * The Node.js flag for V8's single-threaded garbage collector, which the
 * `sweep` command starts with (src/cli/bin.js explains why). V8 reads it only
 * from the command line, and a worker thread cannot see it in its own execArgv.
 */
export const singleThreadedGcFlag = '--single-threaded-gc';

/** Returns true when this process was started with {@link singleThreadedGcFlag}. Call it from the main thread. */
export function usesSingleThreadedGc(): boolean {
  return process.execArgv.includes(singleThreadedGcFlag);
}
