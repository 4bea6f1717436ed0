import { Errno, WasiError } from '../../abi/errno.js';
import { Superblock, MIN_SHIFT, SIZES, TAG_ALLOC, TAG_FREE, TAG_ORDER, orderFor } from './layout.js';
import { JournaledBuffer } from './journal.js';

/**
 * The binary buddy allocator of the data region (blocks of 64 B .. 4 GiB): one tag byte per 64-byte unit
 * in the side table, a free list per order whose links live in the free blocks' first 8 bytes (layout.ts).
 * Every method expects the caller to hold the lock.
 */
export class BlockAllocator extends JournaledBuffer {
  tagOf(off: number): number {
    return this.u8[this.sideOff + ((off - this.dataOff) >>> MIN_SHIFT)]!;
  }

  protected setTag(off: number, tag: number): void {
    const b = this.sideOff + ((off - this.dataOff) >>> MIN_SHIFT);
    if (this.u8[b] === tag) return;
    this.jlog(b >>> 2);
    this.u8[b] = tag;
  }

  blockCap(off: number): number {
    return SIZES[this.tagOf(off) & TAG_ORDER]!;
  }

  private pushFree(off: number, k: number): void {
    const head = this.u32[Superblock.HEADS + k]!;
    this.set(off >>> 2, head);
    this.set((off >>> 2) + 1, 0);
    if (head) this.set((head >>> 2) + 1, off);
    this.set(Superblock.HEADS + k, off);
    this.set(Superblock.FREE_MASK, (this.u32[Superblock.FREE_MASK]! | (1 << k)) >>> 0);
    this.setTag(off, TAG_FREE | k);
  }

  private unlinkFree(off: number, k: number): void {
    const u32 = this.u32;
    const next = u32[off >>> 2]!;
    const prev = u32[(off >>> 2) + 1]!;
    if (prev) this.set(prev >>> 2, next);
    else {
      this.set(Superblock.HEADS + k, next);
      if (!next) this.set(Superblock.FREE_MASK, (u32[Superblock.FREE_MASK]! & ~(1 << k)) >>> 0);
    }
    if (next) this.set((next >>> 2) + 1, prev);
  }

  /**
   * Allocates a block of at least n bytes (a power of two, >= 64); ENOSPC when nothing fits. The
   * caller may write the block without journaling until the next checkpoint.
   */
  alloc(n: number, zero: boolean): number {
    const k = orderFor(n);
    if (k > this.maxOrder) throw new WasiError(Errno.NOSPC);
    const m = this.u32[Superblock.FREE_MASK]! >>> k;
    if (m === 0) throw new WasiError(Errno.NOSPC);
    let j = k + 31 - Math.clz32(m & -m);
    const off = this.u32[Superblock.HEADS + j]!;
    this.unlinkFree(off, j);
    this.jlog(off >>> 2); // the caller will overwrite the free-list links
    this.jlog((off >>> 2) + 1);
    while (j > k) {
      j--;
      this.pushFree(off + SIZES[j]!, j);
    }
    this.setTag(off, TAG_ALLOC | k);
    const sz = SIZES[k]!;
    this.set(Superblock.FREE_BYTES, this.u32[Superblock.FREE_BYTES]! - sz);
    if (zero) this.u8.fill(0, off, off + sz);
    return off;
  }

  free(off: number): void {
    const tag = this.tagOf(off);
    if ((tag & TAG_ALLOC) === 0) throw new Error(`memfs: freeing a block that is not allocated (${off})`);
    let k = tag & TAG_ORDER;
    this.set(Superblock.FREE_BYTES, this.u32[Superblock.FREE_BYTES]! + SIZES[k]!);
    let rel = off - this.dataOff;
    while (k < this.maxOrder) {
      const sz = SIZES[k]!;
      const bRel = Math.floor(rel / sz) % 2 === 0 ? rel + sz : rel - sz;
      if (bRel + sz > this.dataSize) break;
      const bOff = this.dataOff + bRel;
      if (this.tagOf(bOff) !== (TAG_FREE | k)) break;
      this.unlinkFree(bOff, k);
      this.setTag(this.dataOff + Math.max(rel, bRel), 0);
      rel = Math.min(rel, bRel);
      k++;
    }
    this.pushFree(this.dataOff + rel, k);
  }
}
