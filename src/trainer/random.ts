/**
 * Seeded pseudo-random numbers for everything the trainer shuffles or samples
 * itself (validation split, batch order, augmentation parameters), so a trial
 * repeats exactly for a seed.
 */

/** A generator of uniform floats in [0, 1). */
export type Random = () => number;

/**
 * Creates a mulberry32 generator: 32 bits of state, period 2^32, fast and good
 * enough for shuffling and augmentation (not for cryptography).
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derives an independent 32-bit seed from a base seed and a path of integers
 * (for example phase, epoch and batch), mixing each part with the murmur3 finalizer.
 * Equal inputs give equal seeds, so a resumed epoch draws what the first run drew.
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let hash = mix32(seed >>> 0);
  for (const part of parts) {
    hash = mix32((hash ^ mix32((part >>> 0) + 0x9e3779b9)) >>> 0);
  }
  return hash;
}

function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Shuffles an array in place with the Fisher–Yates algorithm and returns it. */
export function shuffleInPlace<T extends { length: number; [index: number]: number }>(values: T, random: Random): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = values[i];
    values[i] = values[j];
    values[j] = swap;
  }
  return values;
}
