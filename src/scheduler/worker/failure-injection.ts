/**
 * Failures injected on purpose by tests, read only where the trial trains (the
 * worker thread or the child process). `SWEEP_TEST_FAIL_TRIAL` lists
 * `<trial number>:<mode>` entries separated by commas, for example `2:throw,5:exit`:
 *
 * - `throw`: the trial raises an error before training;
 * - `exit`: the process (or the worker thread, under thread isolation) exits with code 70 before training.
 */
export type InjectedFailure = 'throw' | 'exit';

export const failureVariable = 'SWEEP_TEST_FAIL_TRIAL';

/** Returns the failure injected for a trial number, or undefined when none is. */
export function injectedFailure(trialNumber: number, env: NodeJS.ProcessEnv = process.env): InjectedFailure | undefined {
  const value = env[failureVariable];
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  for (const entry of value.split(',')) {
    const [number, mode] = entry.trim().split(':');
    if (Number(number) !== trialNumber) {
      continue;
    }
    if (mode === 'throw' || mode === 'exit') {
      return mode;
    }
    throw new Error(`${failureVariable}: invalid mode ${JSON.stringify(mode)} in ${JSON.stringify(entry)}; use <trial number>:throw or <trial number>:exit`);
  }
  return undefined;
}

/** Runs the failure injected for a trial, if any: raises, or ends the process or thread. */
export function applyInjectedFailure(trialNumber: number): void {
  const failure = injectedFailure(trialNumber);
  if (failure === 'throw') {
    throw new Error(`injected failure for trial ${trialNumber} (${failureVariable})`);
  }
  if (failure === 'exit') {
    process.exit(70);
  }
}
