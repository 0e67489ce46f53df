import { createHash } from 'node:crypto';

const WORDS_PER_SLOT = 4; // a 16-byte digest as four 32-bit words
const MAX_LOAD = 0.75;

/**
 * A set of keys that keeps only a 16-byte digest of each (the first half of its SHA-256),
 * in an open-addressed table of typed memory rather than one JS string per key.
 *
 * Memory: 16 bytes per slot, with the table between 3/8 and 3/4 full, so 21 to 43 bytes
 * per distinct key (about 32 MB per million keys at worst), plus a transient second
 * table while it doubles. Two distinct keys are taken for equal only if their digests
 * collide, which for 2^128 values and any realistic key count does not happen.
 */
export class KeyDigestSet {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialSlots = 1024) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(16, initialSlots)));
    this.slots = new Uint32Array(capacity * WORDS_PER_SLOT);
    this.mask = capacity - 1;
  }

  /** Adds a key; returns false when it was there already. */
  add(key: string): boolean {
    const digest = createHash('sha256').update(key).digest();
    // An all-zero slot marks "empty", so the (astronomically unlikely) zero digest is nudged.
    const a = digest.readUInt32LE(0) || 1;
    const b = digest.readUInt32LE(4);
    const c = digest.readUInt32LE(8);
    const d = digest.readUInt32LE(12);
    if (!this.insert(this.slots, this.mask, a, b, c, d)) return false;
    this.count++;
    if (this.count > (this.mask + 1) * MAX_LOAD) this.grow();
    return true;
  }

  private insert(slots: Uint32Array, mask: number, a: number, b: number, c: number, d: number): boolean {
    for (let slot = a & mask; ; slot = (slot + 1) & mask) {
      const at = slot * WORDS_PER_SLOT;
      const first = slots[at];
      if (first === 0) {
        slots[at] = a;
        slots[at + 1] = b;
        slots[at + 2] = c;
        slots[at + 3] = d;
        return true;
      }
      if (first === a && slots[at + 1] === b && slots[at + 2] === c && slots[at + 3] === d) return false;
    }
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    const slots = new Uint32Array(capacity * WORDS_PER_SLOT);
    const mask = capacity - 1;
    for (let at = 0; at < old.length; at += WORDS_PER_SLOT) {
      const a = old[at]!;
      if (a !== 0) this.insert(slots, mask, a, old[at + 1]!, old[at + 2]!, old[at + 3]!);
    }
    this.slots = slots;
    this.mask = mask;
  }
}
