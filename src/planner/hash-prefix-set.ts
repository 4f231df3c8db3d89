/**
 * A set of config hashes that keeps only the first 64 bits of each, in typed
 * arrays, so that deduplicating a million-point grid costs 16 MB, where a Set
 * of a million 64-character strings would take an estimated 100 MB.
 *
 * NOTE: two different configs whose sha256 share the first 64 bits would be
 * taken as duplicates. For n configs the chance is about n² / 2^65, which is
 * 3e-8 for a million.
 */
export class HashPrefixSet {
  private high: Uint32Array;
  private low: Uint32Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) {
      capacity *= 2;
    }
    this.high = new Uint32Array(capacity);
    this.low = new Uint32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the hash (hex, at least 16 digits); returns false when it was already present. */
  add(hexHash: string): boolean {
    const high = hexWord(hexHash, 0);
    // The low word is never 0, so 0 can mark an empty slot.
    const low = (hexWord(hexHash, 8) | 1) >>> 0;
    if (!this.insert(high, low)) {
      return false;
    }
    this.count += 1;
    if (this.count * 2 > this.high.length) {
      this.grow();
    }
    return true;
  }

  has(hexHash: string): boolean {
    const high = hexWord(hexHash, 0);
    const low = (hexWord(hexHash, 8) | 1) >>> 0;
    const mask = this.high.length - 1;
    for (let slot = (high ^ low) & mask; ; slot = (slot + 1) & mask) {
      if (this.low[slot] === 0) {
        return false;
      }
      if (this.low[slot] === low && this.high[slot] === high) {
        return true;
      }
    }
  }

  private insert(high: number, low: number): boolean {
    const mask = this.high.length - 1;
    for (let slot = (high ^ low) & mask; ; slot = (slot + 1) & mask) {
      if (this.low[slot] === 0) {
        this.high[slot] = high;
        this.low[slot] = low;
        return true;
      }
      if (this.low[slot] === low && this.high[slot] === high) {
        return false;
      }
    }
  }

  private grow(): void {
    const oldHigh = this.high;
    const oldLow = this.low;
    this.high = new Uint32Array(oldHigh.length * 2);
    this.low = new Uint32Array(oldLow.length * 2);
    for (let i = 0; i < oldLow.length; i++) {
      if (oldLow[i] !== 0) {
        this.insert(oldHigh[i], oldLow[i]);
      }
    }
  }
}

// Decodes 8 lowercase hex digits at `start` into an unsigned 32-bit word, without
// the substring that parseInt would need.
function hexWord(hex: string, start: number): number {
  let word = 0;
  for (let i = start; i < start + 8; i++) {
    const code = hex.charCodeAt(i);
    // '0'-'9' are 48-57, 'a'-'f' are 97-102.
    word = (word << 4) | (code <= 57 ? code - 48 : code - 87);
  }
  return word >>> 0;
}
