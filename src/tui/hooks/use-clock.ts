import { useEffect, useState } from 'react';

/**
 * Returns the current time in milliseconds, re-rendering the caller every
 * `intervalMs`. An interval of 0 stops the clock (for fixed-time tests).
 */
export function useClock(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (intervalMs <= 0) {
      return undefined;
    }
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
