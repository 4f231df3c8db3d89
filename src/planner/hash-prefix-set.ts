/**
 * A set of config hashes that keeps only the first 64 bits of each, in one typed
 * array. Deduplicating a million-point grid then costs 16 MB, where a Set of a
 * million 64-character strings would take an estimated 100 MB.
 *
 * NOTE: two different configs whose sha256 share the first 64 bits would be
 * taken as duplicates. For n configs the chance is about n² / 2^65, which is
 * 3e-8 for a million.
 */
export class HashPrefixSet {
  // Slot i stores the high word at 2i and the low word at 2i + 1, so that one probe
  // touches one cache line.
  private words: Uint32Array;
  private slots: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let slots = 16;
    while (slots < initialCapacity * 2) {
      slots *= 2;
    }
    this.slots = slots;
    this.words = new Uint32Array(slots * 2);
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
    if (this.count * 2 > this.slots) {
      this.grow();
    }
    return true;
  }

  has(hexHash: string): boolean {
    const high = hexWord(hexHash, 0);
    const low = (hexWord(hexHash, 8) | 1) >>> 0;
    const words = this.words;
    const mask = this.slots - 1;
    for (let slot = (high ^ low) & mask; ; slot = (slot + 1) & mask) {
      const storedLow = words[slot * 2 + 1];
      if (storedLow === 0) {
        return false;
      }
      if (storedLow === low && words[slot * 2] === high) {
        return true;
      }
    }
  }

  private insert(high: number, low: number): boolean {
    const words = this.words;
    const mask = this.slots - 1;
    for (let slot = (high ^ low) & mask; ; slot = (slot + 1) & mask) {
      const storedLow = words[slot * 2 + 1];
      if (storedLow === 0) {
        words[slot * 2] = high;
        words[slot * 2 + 1] = low;
        return true;
      }
      if (storedLow === low && words[slot * 2] === high) {
        return false;
      }
    }
  }

  private grow(): void {
    const old = this.words;
    this.slots *= 2;
    this.words = new Uint32Array(this.slots * 2);
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] !== 0) {
        this.insert(old[i], old[i + 1]);
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
