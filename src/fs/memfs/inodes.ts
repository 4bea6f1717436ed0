import { Errno, WasiError } from '../../abi/errno.js';
import { GEN_MASK, Superblock, Inode, INODE_WORDS, T_DIR, T_FILE, T_FREE } from './layout.js';
import { BlockAllocator } from './allocator.js';

type Perf = { timeOrigin: number; now(): number };
// Looked up on first use: in Node the first read of globalThis.performance loads perf_hooks (2-6 ms),
// which importing weft must not pay.
let perf: Perf | null | undefined;

function nowMs(): number {
  if (perf === undefined) perf = (globalThis as unknown as { performance?: Perf }).performance ?? null;
  return perf ? perf.timeOrigin + perf.now() : Date.now();
}

/**
 * The inode table: records of INODE_WORDS words (layout.ts `Inode`), allocated from a free list, with their
 * timestamps and sizes. A file's data is freed by the layer above (file-data.ts). Every method expects
 * the caller to hold the lock.
 */
export abstract class InodeTable extends BlockAllocator {
  private tLo = 0;
  private tHi = 0;

  /** Frees a file's storage (file-data.ts). */
  abstract fileFreeData(r: number): void;

  /** Samples the clock once for the current operation (see setNow). */
  stamp(): void {
    const ns = Math.round(nowMs() * 1e6);
    const hi = Math.floor(ns / 4294967296);
    this.tLo = ns - hi * 4294967296;
    this.tHi = hi;
  }

  /** Stores the last stamp() into the timestamp at word w. */
  setNow(w: number): void {
    this.set(w, this.tLo);
    this.set(w + 1, this.tHi);
  }

  setTime(w: number, ns: bigint): void {
    this.set(w, Number(BigInt.asUintN(32, ns)));
    this.set(w + 1, Number(BigInt.asUintN(32, ns >> 32n)));
  }

  getTime(w: number): bigint {
    return BigInt.asIntN(64, (BigInt(this.u32[w + 1]!) << 32n) | BigInt(this.u32[w]!));
  }

  // ---- records -------------------------------------------------------------------------------------

  rec(ino: number): number {
    return this.itabW + ino * INODE_WORDS;
  }

  /** Record word index of a live inode, or -1 when ino is out of range or free. */
  recIfLive(ino: number): number {
    if (ino < 1 || ino >= this.u32[Superblock.HWM]!) return -1;
    const r = this.itabW + ino * INODE_WORDS;
    return this.u32[r + Inode.TYPE] === T_FREE ? -1 : r;
  }

  allocInode(type: number): number {
    const u32 = this.u32;
    let ino = u32[Superblock.IFREE]!;
    if (ino) {
      this.set(Superblock.IFREE, u32[this.rec(ino) + Inode.NEXT_FREE]!);
    } else {
      ino = u32[Superblock.HWM]!;
      if (ino > this.nInodes) throw new WasiError(Errno.NOSPC);
      this.set(Superblock.HWM, ino + 1);
    }
    const r = this.rec(ino);
    for (let i = 0; i < INODE_WORDS; i++) if (i !== Inode.GEN) this.set(r + i, 0);
    this.set(r + Inode.TYPE, type);
    this.setNow(r + Inode.ATIM);
    this.setNow(r + Inode.MTIM);
    this.setNow(r + Inode.CTIM);
    this.set(Superblock.IUSED, u32[Superblock.IUSED]! + 1);
    return ino;
  }

  /** Frees an inode and everything it owns. */
  freeInode(ino: number): void {
    const u32 = this.u32;
    const r = this.rec(ino);
    const type = u32[r + Inode.TYPE];
    if (type === T_DIR) {
      if (u32[r + Inode.DATA]) this.free(u32[r + Inode.DATA]!);
      if (u32[r + Inode.D_HASH]) this.free(u32[r + Inode.D_HASH]!);
    } else if (type === T_FILE) {
      this.fileFreeData(r);
    } else if (u32[r + Inode.DATA]) {
      this.free(u32[r + Inode.DATA]!);
    }
    for (let i = 0; i < INODE_WORDS; i++) if (i !== Inode.GEN) this.set(r + i, 0);
    this.set(r + Inode.GEN, (u32[r + Inode.GEN]! + 1) & GEN_MASK);
    this.set(r + Inode.NEXT_FREE, u32[Superblock.IFREE]!);
    this.set(Superblock.IFREE, ino);
    this.set(Superblock.IUSED, u32[Superblock.IUSED]! - 1);
  }

  /** Frees the inode if nothing refers to it any more. */
  release(ino: number): void {
    const r = this.rec(ino);
    if (this.u32[r + Inode.NLINK] === 0 && this.u32[r + Inode.OPEN] === 0) this.freeInode(ino);
  }

  getSize(r: number): number {
    return this.u32[r + Inode.SIZE_LO]! + this.u32[r + Inode.SIZE_HI]! * 4294967296;
  }

  setSize(r: number, n: number): void {
    const hi = Math.floor(n / 4294967296);
    this.set(r + Inode.SIZE_LO, n - hi * 4294967296);
    this.set(r + Inode.SIZE_HI, hi);
  }
}
