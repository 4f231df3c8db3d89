/**
 * Grow-only Float32Array work buffers, one per slot, reused across kernel calls so that the
 * hot loops allocate nothing. A buffer can be longer than requested and holds stale values,
 * so every user writes the whole range it reads. Kernels run one at a time on a thread,
 * and each kernel uses distinct slots.
 */
const buffers: Float32Array[] = [];

/** The work buffer slots: packed left-hand panels, packed right-hand panels, and im2col columns. */
export const ScratchSlot = { LhsPanels: 0, RhsPanels: 1, Columns: 2 } as const;
export type ScratchSlot = (typeof ScratchSlot)[keyof typeof ScratchSlot];

/** Returns the work buffer of `slot`, at least `length` floats long. */
export function scratch(slot: ScratchSlot, length: number): Float32Array {
  const current = buffers[slot];
  if (current !== undefined && current.length >= length) {
    return current;
  }
  const grown = new Float32Array(Math.max(length, Math.ceil((current?.length ?? 0) * 1.5)));
  buffers[slot] = grown;
  return grown;
}

/** Drops every work buffer, so that their memory can be collected. */
export function releaseScratch(): void {
  buffers.length = 0;
}
