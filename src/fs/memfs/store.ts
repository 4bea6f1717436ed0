import { Errno, WasiError } from '../../abi/errno.js';
import {
  CHUNK, ENTRY_HEADER, GEN_MASK, Superblock, Inode, INODE_WORDS, MAGIC, MAX_FILE_SIZE, MIN_SHIFT, SIZES, T_DIR, T_FILE,
  T_FREE, TAG_ALLOC, TAG_FREE, TAG_ORDER, TOMB, VERSION, entryBytes, orderFor,
} from './layout.js';

type Perf = { timeOrigin: number; now(): number };
// Looked up on first use: in Node the first read of globalThis.performance loads perf_hooks (2-6 ms),
// which importing weft must not pay.
let perf: Perf | null | undefined;

function nowMs(): number {
  if (perf === undefined) perf = (globalThis as unknown as { performance?: Perf }).performance ?? null;
  return perf ? perf.timeOrigin + perf.now() : Date.now();
}

/** Whether this agent may call Atomics.wait (false on a browser page's main thread). */
function probeCanBlock(i32: Int32Array): boolean {
  try {
    Atomics.wait(i32, Superblock.PROBE, 1, 0); // the word is 0: returns "not-equal" at once where waiting is allowed
    return true;
  } catch {
    return false;
  }
}

function hashCapFor(live: number): number {
  let cap = 16;
  while (cap < live * 2) cap *= 2;
  return cap;
}

/** How long a thread waits for the lock before concluding its holder died (see Store.recover). */
export const LOCK_TIMEOUT_MS = 10_000;

/**
 * Low-level access to a formatted filesystem buffer: the mutex, the undo journal, the buddy allocator,
 * inode records, directories and file data. Every method except lock/unlock/recover expects the
 * caller to hold the lock. Structure words are written through set() (journaled); see layout.ts.
 */
export class Store {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  /** Word index of inode 0's record. */
  readonly itabW: number;
  readonly nInodes: number;
  readonly sideOff: number;
  readonly dataOff: number;
  readonly dataSize: number;
  readonly maxOrder: number;
  readonly dev: bigint;
  readonly canBlock: boolean;
  private readonly jw: number;
  private readonly jcap: number;
  /** Hash slot of the entry found by the last lookup(). */
  slot = 0;
  private tLo = 0;
  private tHi = 0;

  constructor(
    readonly sab: SharedArrayBuffer,
    canBlock?: boolean,
    private readonly lockTimeoutMs = LOCK_TIMEOUT_MS,
  ) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < 4096) throw new TypeError('memfs: not a SharedArrayBuffer');
    this.u8 = new Uint8Array(sab);
    this.u32 = new Uint32Array(sab);
    this.i32 = new Int32Array(sab);
    const u32 = this.u32;
    if (Atomics.load(u32, Superblock.MAGIC) !== MAGIC || u32[Superblock.VERSION] !== VERSION) throw new TypeError('memfs: buffer is not a formatted memfs');
    this.itabW = u32[Superblock.ITAB]! >>> 2;
    this.nInodes = u32[Superblock.NINODES]!;
    this.sideOff = u32[Superblock.SIDE]!;
    this.dataOff = u32[Superblock.DATA]!;
    this.dataSize = u32[Superblock.DATA_SIZE]!;
    this.maxOrder = u32[Superblock.MAX_ORDER]!;
    this.jw = u32[Superblock.JOURNAL]! >>> 2;
    this.jcap = u32[Superblock.JCAP]!;
    this.dev = BigInt(u32[Superblock.DEV]!);
    this.canBlock = canBlock ?? probeCanBlock(this.i32);
  }

  // ---- mutex ---------------------------------------------------------------------------------------
  // 0 free, 1 held, 2 held and contended (the unlocker wakes one waiter).

  lock(): void {
    if (Atomics.compareExchange(this.i32, Superblock.LOCK, 0, 1) !== 0) this.lockSlow();
  }

  private lockSlow(): void {
    const i32 = this.i32;
    for (let i = 0; i < 100; i++) {
      if (Atomics.load(i32, Superblock.LOCK) === 0 && Atomics.compareExchange(i32, Superblock.LOCK, 0, 1) === 0) return;
    }
    const deadline = Date.now() + this.lockTimeoutMs;
    if (!this.canBlock) {
      // Cannot park (browser main thread): spin, marking the lock contended so waiters get woken.
      for (let i = 0; ; i++) {
        if (Atomics.load(i32, Superblock.LOCK) === 0 && Atomics.compareExchange(i32, Superblock.LOCK, 0, 2) === 0) return;
        if ((i & 0xffff) === 0 && Date.now() > deadline) throw lockTimeout(this.lockTimeoutMs);
      }
    }
    let c = Atomics.exchange(i32, Superblock.LOCK, 2);
    while (c !== 0) {
      if (Atomics.wait(i32, Superblock.LOCK, 2, Math.min(250, this.lockTimeoutMs)) === 'timed-out' && Date.now() > deadline) throw lockTimeout(this.lockTimeoutMs);
      c = Atomics.exchange(i32, Superblock.LOCK, 2);
    }
  }

  unlock(): void {
    const u32 = this.u32;
    u32[Superblock.JLEN] = 0;
    if (u32[Superblock.JOVERFLOW]) u32[Superblock.JOVERFLOW] = 0;
    if (Atomics.exchange(this.i32, Superblock.LOCK, 0) === 2) Atomics.notify(this.i32, Superblock.LOCK, 1);
  }

  // ---- undo journal --------------------------------------------------------------------------------

  /** Logs the current value of word idx so recover() can restore it. */
  private jlog(idx: number): void {
    const u32 = this.u32;
    const n = u32[Superblock.JLEN]!;
    if (n < this.jcap) {
      const j = this.jw + 2 * n;
      u32[j] = idx;
      u32[j + 1] = u32[idx]!;
      u32[Superblock.JLEN] = n + 1;
    } else {
      u32[Superblock.JOVERFLOW] = 1;
    }
  }

  /** Journaled write of a structure word. */
  set(idx: number, v: number): void {
    const u32 = this.u32;
    if (u32[idx] === v >>> 0) return;
    this.jlog(idx);
    u32[idx] = v;
  }

  /** Marks the structure consistent: the journal restarts here. */
  checkpoint(): void {
    this.u32[Superblock.JLEN] = 0;
    if (this.u32[Superblock.JOVERFLOW]) this.u32[Superblock.JOVERFLOW] = 0;
  }

  /**
   * Releases a lock left held by a thread that died inside an operation (a terminated Worker): rolls
   * the structure back to its last checkpoint, frees inodes that were half-deleted, restores the
   * "zero past EOF" invariant, and unlocks. Only call this when no live thread can be inside an
   * operation on this filesystem (e.g. after every worker using it was terminated). Returns whether
   * anything had to be recovered; run fsck() afterwards to check the result.
   */
  recover(): boolean {
    const u32 = this.u32;
    if (Atomics.load(this.i32, Superblock.LOCK) === 0) return false;
    const n = u32[Superblock.JLEN]!;
    if (!u32[Superblock.JOVERFLOW]) {
      for (let i = Math.min(n, this.jcap) - 1; i >= 0; i--) u32[u32[this.jw + 2 * i]!] = u32[this.jw + 2 * i + 1]!;
    }
    this.checkpoint();
    const hwm = u32[Superblock.HWM]!;
    for (let ino = 2; ino < hwm; ino++) {
      const r = this.rec(ino);
      const type = u32[r + Inode.TYPE];
      if (type === T_FREE) continue;
      if (u32[r + Inode.NLINK] === 0 && u32[r + Inode.OPEN] === 0) this.freeInode(ino);
      else if (type === T_FILE) this.zeroTail(r);
    }
    this.unlock();
    Atomics.notify(this.i32, Superblock.LOCK);
    return true;
  }

  /** Zeroes a file's storage past its size (in its direct block or last chunk). */
  private zeroTail(r: number): void {
    const u32 = this.u32;
    const size = this.getSize(r);
    const d = u32[r + Inode.DATA]!;
    if (!d) return;
    if (u32[r + Inode.MAPCAP] === 0) {
      this.u8.fill(0, d + size, d + this.blockCap(d));
      return;
    }
    const last = Math.ceil(size / CHUNK) - 1;
    const c = last >= 0 ? u32[(d >>> 2) + last]! : 0;
    if (c) this.u8.fill(0, c + size - last * CHUNK, c + CHUNK);
  }

  // ---- time ----------------------------------------------------------------------------------------

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

  // ---- buddy allocator -----------------------------------------------------------------------------

  tagOf(off: number): number {
    return this.u8[this.sideOff + ((off - this.dataOff) >>> MIN_SHIFT)]!;
  }

  private setTag(off: number, tag: number): void {
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

  // ---- inodes --------------------------------------------------------------------------------------

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

  // ---- directories ---------------------------------------------------------------------------------

  /** Offset of dir's live entry named nb[0..n) with hash h, or 0. Sets this.slot. */
  lookup(dir: number, nb: Uint8Array, n: number, h: number): number {
    const u32 = this.u32;
    const u8 = this.u8;
    const r = this.rec(dir);
    const hb = u32[r + Inode.D_HASH]!;
    if (!hb) return 0;
    const mask = u32[r + Inode.D_HCAP]! - 1;
    const eb = u32[r + Inode.DATA]!;
    const hw = hb >>> 2;
    let i = h & mask;
    for (;;) {
      const v = u32[hw + i]!;
      if (v === 0) return 0;
      if (v !== TOMB) {
        const e = eb + v - 1;
        const ew = e >>> 2;
        if (u32[ew + 1] === h && u32[ew + 2] === n) {
          let j = 0;
          const p = e + ENTRY_HEADER;
          while (j < n && u8[p + j] === nb[j]) j++;
          if (j === n) {
            this.slot = i;
            return e;
          }
        }
      }
      i = (i + 1) & mask;
    }
  }

  /** Inserts v for hash h; journaled unless the table was allocated in this segment. */
  private hashInsert(hb: number, cap: number, h: number, v: number, fresh: boolean): boolean {
    const u32 = this.u32;
    const mask = cap - 1;
    const hw = hb >>> 2;
    let i = h & mask;
    for (;;) {
      const s = u32[hw + i]!;
      if (s === 0 || s === TOMB) {
        if (fresh) u32[hw + i] = v;
        else this.set(hw + i, v);
        return s === 0;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Rewrites dir's entries into a fresh block (dropping dead records) with room for `need` more bytes
   * (or, with newEntries false, only rebuilds the hash table). ENOSPC leaves the directory unchanged.
   */
  private dirRebuild(r: number, need: number, newEntries: boolean): void {
    const u32 = this.u32;
    const u8 = this.u8;
    const used = u32[r + Inode.D_USED]!;
    const live = u32[r + Inode.D_LIVE]!;
    const liveBytes = used - u32[r + Inode.D_DEAD]!;
    const eb = u32[r + Inode.DATA]!;
    const hb = u32[r + Inode.D_HASH]!;
    const hcap = hashCapFor(live + 1);
    const neb = newEntries ? this.alloc(Math.max(256, 2 * (liveBytes + need)), false) : eb;
    let nhb: number;
    try {
      nhb = this.alloc(hcap * 4, true);
    } catch (e) {
      if (newEntries) this.free(neb);
      throw e;
    }
    let w = 0;
    for (let p = 0; p < used; ) {
      const a = eb + p;
      const len = entryBytes(u32[(a >>> 2) + 2]!);
      if (u32[a >>> 2] !== 0) {
        if (newEntries) u8.copyWithin(neb + w, a, a + len);
        this.hashInsert(nhb, hcap, u32[(a >>> 2) + 1]!, (newEntries ? w : p) + 1, true);
        w += len;
      }
      p += len;
    }
    if (newEntries) {
      if (eb) this.free(eb);
      this.set(r + Inode.DATA, neb);
      this.set(r + Inode.D_USED, w);
      this.set(r + Inode.D_DEAD, 0);
    }
    if (hb) this.free(hb);
    this.set(r + Inode.D_HASH, nhb);
    this.set(r + Inode.D_HCAP, hcap);
    this.set(r + Inode.D_HFILL, live);
  }

  /** Appends an entry (the name must not exist). ENOSPC leaves the directory unchanged. */
  addEntry(dir: number, ino: number, nb: Uint8Array, n: number, h: number): void {
    const u32 = this.u32;
    const r = this.rec(dir);
    const len = entryBytes(n);
    let eb = u32[r + Inode.DATA]!;
    if (!eb || u32[r + Inode.D_USED]! + len > this.blockCap(eb)) {
      this.dirRebuild(r, len, true);
      eb = u32[r + Inode.DATA]!;
    } else if ((u32[r + Inode.D_HFILL]! + 1) * 4 > u32[r + Inode.D_HCAP]! * 3) {
      this.dirRebuild(r, 0, false);
    }
    // The record goes past D_USED, so it needs no journaling.
    const used = u32[r + Inode.D_USED]!;
    const a = eb + used;
    const aw = a >>> 2;
    u32[aw] = ino;
    u32[aw + 1] = h;
    u32[aw + 2] = n;
    u32[aw + 3 + ((n - 1) >>> 2)] = 0; // zero the padding of the last name word
    if (n <= 16) for (let j = 0; j < n; j++) this.u8[a + ENTRY_HEADER + j] = nb[j]!;
    else this.u8.set(nb.subarray(0, n), a + ENTRY_HEADER);
    if (this.hashInsert(u32[r + Inode.D_HASH]!, u32[r + Inode.D_HCAP]!, h, used + 1, false)) {
      this.set(r + Inode.D_HFILL, u32[r + Inode.D_HFILL]! + 1);
    }
    this.set(r + Inode.D_USED, used + len);
    this.set(r + Inode.D_LIVE, u32[r + Inode.D_LIVE]! + 1);
  }

  /** Removes the entry at offset e whose hash slot is slot (as set by lookup). */
  removeEntry(dir: number, e: number, slot: number): void {
    const u32 = this.u32;
    const r = this.rec(dir);
    this.set(e >>> 2, 0);
    this.set((u32[r + Inode.D_HASH]! >>> 2) + slot, TOMB);
    this.set(r + Inode.D_DEAD, u32[r + Inode.D_DEAD]! + entryBytes(u32[(e >>> 2) + 2]!));
    const live = u32[r + Inode.D_LIVE]! - 1;
    this.set(r + Inode.D_LIVE, live);
    if (live === 0) {
      this.free(u32[r + Inode.DATA]!);
      this.free(u32[r + Inode.D_HASH]!);
      for (const f of [Inode.DATA, Inode.D_USED, Inode.D_DEAD, Inode.D_HASH, Inode.D_HCAP, Inode.D_HFILL]) this.set(r + f, 0);
    }
  }

  // ---- file data -----------------------------------------------------------------------------------
  //
  // Invariant: every byte of a file's allocated storage past its size is zero, so growing a file
  // (pwrite past EOF, ftruncate) never has to clear old storage. Direct mode (MAPCAP 0): the data of
  // a file of at most CHUNK bytes sits in one block (DATA, 0 when empty). Map mode: DATA is an array of
  // MAPCAP u32 chunk offsets, each chunk CHUNK bytes; a 0 entry is a hole that reads as zeros.
  // Multi-chunk loops checkpoint after each chunk, keeping size consistent with the chunks held.

  /** Frees chunks from the end down to (not including) chunk `keep`, shrinking size along the way. */
  private freeChunksFrom(r: number, keep: number): void {
    const u32 = this.u32;
    const mw = u32[r + Inode.DATA]! >>> 2;
    for (let i = u32[r + Inode.MAPCAP]! - 1; i >= keep; i--) {
      const c = u32[mw + i]!;
      if (!c) continue;
      if (this.getSize(r) > i * CHUNK) this.setSize(r, i * CHUNK);
      this.free(c);
      this.set(mw + i, 0);
      this.checkpoint();
    }
  }

  fileFreeData(r: number): void {
    const u32 = this.u32;
    const d = u32[r + Inode.DATA]!;
    if (!d) return;
    if (u32[r + Inode.MAPCAP]) this.freeChunksFrom(r, 0);
    this.free(d);
    this.set(r + Inode.DATA, 0);
    this.set(r + Inode.MAPCAP, 0);
    this.setSize(r, 0);
  }

  /** Makes sure the chunk map can hold `chunks` entries (switching from direct mode if needed). */
  private ensureMap(r: number, chunks: number): void {
    const u32 = this.u32;
    const cap = u32[r + Inode.MAPCAP]!;
    if (cap >= chunks) return;
    let ncap = Math.max(16, cap);
    while (ncap < chunks) ncap *= 2;
    const nm = this.alloc(ncap * 4, true);
    const d = u32[r + Inode.DATA]!;
    if (cap) {
      this.u8.copyWithin(nm, d, d + cap * 4);
      this.free(d);
    } else if (d) {
      // Direct block becomes chunk 0 (adopted as is when it already is chunk-sized).
      if (this.blockCap(d) === CHUNK) {
        u32[nm >>> 2] = d;
      } else {
        let c: number;
        try {
          c = this.alloc(CHUNK, false);
        } catch (e) {
          this.free(nm);
          throw e;
        }
        const size = this.getSize(r);
        this.u8.copyWithin(c, d, d + size);
        this.u8.fill(0, c + size, c + CHUNK);
        this.free(d);
        u32[nm >>> 2] = c;
      }
    }
    this.set(r + Inode.DATA, nm);
    this.set(r + Inode.MAPCAP, ncap);
  }

  /** Grows a direct-mode block to hold n (<= CHUNK) bytes. */
  private ensureDirect(r: number, n: number): number {
    const d = this.u32[r + Inode.DATA]!;
    if (d && this.blockCap(d) >= n) return d;
    const nb = this.alloc(n, false);
    const size = this.getSize(r);
    if (d) {
      this.u8.copyWithin(nb, d, d + size);
      this.free(d);
    }
    this.u8.fill(0, nb + (d ? size : 0), nb + this.blockCap(nb));
    this.set(r + Inode.DATA, nb);
    return nb;
  }

  fileRead(r: number, dst: Uint8Array, pos: number): number {
    const size = this.getSize(r);
    if (pos >= size) return 0;
    const n = Math.min(dst.length, size - pos);
    const u32 = this.u32;
    const u8 = this.u8;
    const d = u32[r + Inode.DATA]!;
    if (u32[r + Inode.MAPCAP] === 0) {
      const a = d + pos;
      if (n <= 16) for (let i = 0; i < n; i++) dst[i] = u8[a + i]!;
      else dst.set(u8.subarray(a, a + n));
      return n;
    }
    const mw = d >>> 2;
    let p = pos;
    let s = 0;
    while (s < n) {
      const ci = Math.floor(p / CHUNK);
      const co = p - ci * CHUNK;
      const len = Math.min(CHUNK - co, n - s);
      const c = u32[mw + ci]!;
      if (c) dst.set(u8.subarray(c + co, c + co + len), s);
      else dst.fill(0, s, s + len);
      p += len;
      s += len;
    }
    return n;
  }

  /** Writes src at pos; returns bytes written (short only when space ran out part way). */
  fileWrite(r: number, src: Uint8Array, pos: number): number {
    const n = src.length;
    if (n === 0) return 0;
    const end = pos + n;
    if (end > MAX_FILE_SIZE) throw new WasiError(Errno.FBIG);
    const u32 = this.u32;
    const u8 = this.u8;
    if (u32[r + Inode.MAPCAP] === 0 && end <= CHUNK) {
      const d = this.ensureDirect(r, end);
      const a = d + pos;
      if (n <= 16) for (let i = 0; i < n; i++) u8[a + i] = src[i]!;
      else u8.set(src, a);
      if (end > this.getSize(r)) this.setSize(r, end);
      return n;
    }
    this.ensureMap(r, Math.ceil(end / CHUNK));
    const mw = u32[r + Inode.DATA]! >>> 2;
    let p = pos;
    let s = 0;
    while (s < n) {
      const ci = Math.floor(p / CHUNK);
      const co = p - ci * CHUNK;
      const len = Math.min(CHUNK - co, n - s);
      let c = u32[mw + ci]!;
      if (!c) {
        try {
          c = this.alloc(CHUNK, len !== CHUNK);
        } catch (e) {
          if (s === 0) throw e;
          break;
        }
        this.set(mw + ci, c);
      }
      u8.set(len === n ? src : src.subarray(s, s + len), c + co);
      p += len;
      s += len;
      if (p > this.getSize(r)) this.setSize(r, p);
      this.checkpoint();
    }
    return s;
  }

  fileTruncate(r: number, n: number): void {
    if (n > MAX_FILE_SIZE) throw new WasiError(Errno.FBIG);
    const u32 = this.u32;
    const size = this.getSize(r);
    if (n === size) return;
    if (n > size) {
      if (u32[r + Inode.MAPCAP] === 0 && n <= CHUNK) this.ensureDirect(r, n);
      else this.ensureMap(r, Math.ceil(n / CHUNK));
    } else if (n === 0) {
      this.fileFreeData(r);
    } else if (u32[r + Inode.MAPCAP] === 0) {
      const d = u32[r + Inode.DATA]!;
      this.u8.fill(0, d + n, d + size);
    } else {
      const keep = Math.ceil(n / CHUNK);
      this.freeChunksFrom(r, keep);
      const last = u32[(u32[r + Inode.DATA]! >>> 2) + keep - 1]!;
      const co = n - (keep - 1) * CHUNK;
      if (last && co < CHUNK) this.u8.fill(0, last + co, last + CHUNK);
    }
    this.setSize(r, n);
  }
}

function lockTimeout(ms: number): WasiError {
  return new WasiError(
    Errno.DEADLK,
    `memfs: lock held for over ${ms / 1000} s (a thread terminated inside a filesystem operation? see MemoryFS.recover())`,
  );
}
