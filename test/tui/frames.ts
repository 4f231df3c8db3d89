import { setTimeout as delay } from 'node:timers/promises';

/** Key sequences as a terminal sends them. */
export const keys = {
  up: '\u001b[A',
  down: '\u001b[B',
  enter: '\r',
  escape: '\u001b',
  ctrlC: '\u0003',
};

/**
 * Waits until `frame()` satisfies `condition`, checking every 10 ms, and
 * returns that frame. Fails with the last frame after `timeoutMs`.
 */
export async function waitForFrame(
  frame: () => string | undefined,
  condition: (text: string) => boolean,
  timeoutMs = 3000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = frame() ?? '';
    if (condition(text)) {
      return text;
    }
    if (Date.now() > deadline) {
      throw new Error(`frame did not match within ${timeoutMs} ms; last frame:\n${text}`);
    }
    await delay(10);
  }
}

/** Returns the trial numbers of the leaderboard rows in a frame, top to bottom. */
export function rowNumbers(frame: string): number[] {
  const numbers: number[] = [];
  for (const line of frame.split('\n')) {
    const match = /^[★ ][B ]\s+(\d+) /.exec(line);
    if (match !== null) {
      numbers.push(Number(match[1]));
    }
  }
  return numbers;
}
