import { ENTRY_HEADER, Inode, TOMB, entryBytes } from './layout.js';
import { FileData } from './file-data.js';

function hashCapFor(live: number): number {
  let cap = 16;
  while (cap < live * 2) cap *= 2;
  return cap;
}

/**
 * Directories: each holds its entries (ino, hash, name) in one block, appended and tombstoned, and an
 * open-addressing hash table of entry offsets, rebuilt when it fills up or the block runs out of room.
 * Every method expects the caller to hold the lock.
 */
export abstract class DirectoryIndex extends FileData {
  /** Hash slot of the entry found by the last lookup(). */
  slot = 0;

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
}
