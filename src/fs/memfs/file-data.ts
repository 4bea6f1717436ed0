import { Errno, WasiError } from '../../abi/errno.js';
import { CHUNK, Inode, MAX_FILE_SIZE } from './layout.js';
import { InodeTable } from './inodes.js';

/**
 * File contents: a file's bytes in one direct block or in CHUNK-sized chunks through a chunk map.
 * Every method expects the caller to hold the lock.
 */
export abstract class FileData extends InodeTable {
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
    // The chunk walk is written out again in fileWrite on purpose: this is the data path of every read and
    // write, and a shared walker would cost a call per chunk.
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
    // Deliberately the same chunk walk as fileRead's (hot path, see there).
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

  /** Zeroes a file's storage past its size (in its direct block or last chunk). */
  protected zeroTail(r: number): void {
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
}
