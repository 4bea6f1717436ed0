/**
 * The shared in-memory filesystem. Its whole state (inodes, directories, file data, allocator, mutex)
 * lives in one SharedArrayBuffer (layout: memfs/layout.ts), so every thread operates on it directly:
 * each worker builds `new MemoryFsBackend(descriptor)` over the same buffer and no operation needs a
 * message round trip. Every operation holds the filesystem mutex for its duration.
 *
 * Semantics (POSIX-like, as WASI expects):
 * - directories have nlink 2 + number of subdirectories; files and symlinks count their names;
 * - inode numbers are table indices, stable for the inode's lifetime (reused after it is freed);
 * - an unlinked file (or removed directory) stays usable through open handles until the last close;
 * - mtim/ctim change on write/truncate, a directory's mtim/ctim on entry changes, ctim on link count
 *   changes and renames; atim is set at creation and by utimes/futimes only (reads do not update it);
 * - readdir lists entries in insertion order (a rename over an existing name keeps that name's place);
 * - the backend never follows symlinks: a symlink as open's final component fails with ELOOP.
 *
 * Handles are `ino | (generation << 22)`: valid in every thread; a stale handle fails with EBADF.
 * This module imports nothing from Node, so it runs in browsers as well.
 *
 * A Worker terminated inside an operation leaves the lock held: other threads then fail with EDEADLK
 * after LOCK_TIMEOUT_MS instead of hanging forever, and recover() (called once no thread can be
 * inside an operation) rolls the interrupted operation back through the undo journal and unlocks.
 */
import { Errno, WasiError } from '../../abi/errno.js';
import type { BackendDescriptor, DirEntry, FsBackend, OpenOptions, Stat, TimeSpec } from '../backend.js';
import { fsck, type FsckReport } from './fsck.js';
import {
  ENTRY_HEADER, GEN_MASK, GEN_SHIFT, Superblock, Inode, INO_MASK, NAME_MAX, SYMLINK_MAX, T_DIR, T_FILE, T_LINK,
  entryBytes, hashName,
} from './layout.js';
import { Store } from './store.js';

export type MemoryDescriptor = Extract<BackendDescriptor, { kind: 'memory' }>;

export interface MemoryBackendOptions {
  /**
   * Whether this thread may block in Atomics.wait while the lock is contended. Detected when omitted
   * (false on a browser page's main thread, which then spins instead).
   */
  canBlock?: boolean | undefined;
  /** How long to wait for the lock before failing with EDEADLK (default 10 s). */
  lockTimeoutMs?: number | undefined;
}

export interface MemfsUsage {
  capacityBytes: number;
  dataBytes: number;
  freeBytes: number;
  inodesUsed: number;
  inodesMax: number;
}

const EMPTY: readonly string[] = [];
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Splits a backend-relative path into components ('' is the root; '.' and empty parts are skipped). */
function split(path: string): readonly string[] {
  if (path === '') return EMPTY;
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '' || p === '.' || p === '..') {
      if (parts.includes('..')) throw new WasiError(Errno.NOTCAPABLE);
      return parts.filter((c) => c !== '' && c !== '.');
    }
  }
  return parts;
}

/** Encodes a name into buf; returns its byte length. */
function encodeName(s: string, buf: Uint8Array): number {
  const n = s.length;
  if (n === 0) throw new WasiError(Errno.NOENT);
  if (n > NAME_MAX) throw new WasiError(Errno.NAMETOOLONG);
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    buf[i] = c;
  }
  if (i === n) return n;
  const len = enc.encodeInto(s, buf).written;
  if (len > NAME_MAX) throw new WasiError(Errno.NAMETOOLONG);
  return len;
}

function decodeBytes(u8: Uint8Array, a: number, n: number): string {
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (u8[a + i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return String.fromCharCode.apply(null, u8.subarray(a, a + n) as unknown as number[]);
  return dec.decode(u8.slice(a, a + n)); // TextDecoder rejects shared views in browsers: copy
}

/** A filesystem backend over a shared memfs buffer, rooted at descriptor.root. */
export class MemoryFsBackend implements FsBackend {
  readonly readOnly: boolean;
  readonly root: string;
  /** @internal */
  readonly s: Store;
  private readonly rootNames: { b: Uint8Array; n: number; h: number }[];
  // Scratch name buffers: W for walking, A and B for final components.
  private readonly nbW = new Uint8Array(1024);
  private readonly nbA = new Uint8Array(1024);
  private readonly nbB = new Uint8Array(1024);
  private nA = 0;
  private hA = 0;
  private nB = 0;
  private hB = 0;

  constructor(descriptor: MemoryDescriptor, options: MemoryBackendOptions = {}) {
    if (descriptor.kind !== 'memory') throw new TypeError('MemoryFsBackend needs a memory descriptor');
    this.s = new Store(descriptor.sab, options.canBlock, options.lockTimeoutMs);
    this.readOnly = !!descriptor.readOnly;
    const comps = split(descriptor.root.replace(/^\/+/, ''));
    this.root = '/' + comps.join('/');
    this.rootNames = comps.map((c) => {
      const b = new Uint8Array(1024);
      const n = encodeName(c, b);
      return { b: b.slice(0, n), n, h: hashName(b, 0, n) };
    });
  }

  describe(): BackendDescriptor {
    return { kind: 'memory', sab: this.s.sab, root: this.root, readOnly: this.readOnly };
  }

  /** Checks every structural invariant of the whole filesystem (see memfs/fsck.ts). */
  fsck(): FsckReport {
    return fsck(this.s);
  }

  /**
   * Releases the lock if a thread died holding it (a Worker terminated inside an operation), rolling
   * that operation back to its last consistent point. Call only when no live thread can be inside an
   * operation on this filesystem, e.g. after the runtime terminated every worker using it. Returns
   * whether anything was recovered.
   */
  recover(): boolean {
    return this.s.recover();
  }

  usage(): MemfsUsage {
    const s = this.s;
    return {
      capacityBytes: s.sab.byteLength,
      dataBytes: s.dataSize,
      freeBytes: Atomics.load(s.u32, Superblock.FREE_BYTES),
      inodesUsed: Atomics.load(s.u32, Superblock.IUSED),
      inodesMax: s.nInodes,
    };
  }

  // ---- resolution (lock held) ----------------------------------------------------------------------

  private type(ino: number): number {
    return this.s.u32[this.s.rec(ino) + Inode.TYPE]!;
  }

  private rootIno(): number {
    let dir = 1;
    for (const c of this.rootNames) {
      const e = this.s.lookup(dir, c.b, c.n, c.h);
      if (!e) throw new WasiError(Errno.NOENT);
      dir = this.s.u32[e >>> 2]!;
      if (this.type(dir) !== T_DIR) throw new WasiError(Errno.NOTDIR);
    }
    return dir;
  }

  /** Directory holding the last component of comps (which must be non-empty). */
  private parentOf(comps: readonly string[]): number {
    let dir = this.rootIno();
    const nb = this.nbW;
    for (let i = 0; i < comps.length - 1; i++) {
      const n = encodeName(comps[i]!, nb);
      const e = this.s.lookup(dir, nb, n, hashName(nb, 0, n));
      if (!e) throw new WasiError(Errno.NOENT);
      dir = this.s.u32[e >>> 2]!;
      if (this.type(dir) !== T_DIR) throw new WasiError(Errno.NOTDIR);
    }
    return dir;
  }

  private encA(name: string): void {
    this.nA = encodeName(name, this.nbA);
    this.hA = hashName(this.nbA, 0, this.nA);
  }

  private encB(name: string): void {
    this.nB = encodeName(name, this.nbB);
    this.hB = hashName(this.nbB, 0, this.nB);
  }

  private lookupA(dir: number): number {
    return this.s.lookup(dir, this.nbA, this.nA, this.hA);
  }

  private lookupB(dir: number): number {
    return this.s.lookup(dir, this.nbB, this.nB, this.hB);
  }

  /** Inode of a path (final component not followed). */
  private resolve(path: string): number {
    const comps = split(path);
    if (comps.length === 0) return this.rootIno();
    const dir = this.parentOf(comps);
    this.encA(comps[comps.length - 1]!);
    const e = this.lookupA(dir);
    if (!e) throw new WasiError(Errno.NOENT);
    return this.s.u32[e >>> 2]!;
  }

  /** Record of the inode behind a handle (EBADF when stale). */
  private handleRec(handle: number): number {
    const s = this.s;
    const r = s.recIfLive(handle & INO_MASK);
    if (r < 0 || (s.u32[r + Inode.GEN]! & GEN_MASK) !== handle >>> GEN_SHIFT || s.u32[r + Inode.OPEN] === 0) {
      throw new WasiError(Errno.BADF);
    }
    return r;
  }

  private statOf(ino: number): Stat {
    const s = this.s;
    const r = s.rec(ino);
    const type = s.u32[r + Inode.TYPE]!;
    return {
      dev: s.dev,
      ino: BigInt(ino),
      filetype: type,
      nlink: BigInt(s.u32[r + Inode.NLINK]!),
      size: BigInt(type === T_DIR ? s.u32[r + Inode.D_USED]! : s.getSize(r)),
      atimNs: s.getTime(r + Inode.ATIM),
      mtimNs: s.getTime(r + Inode.MTIM),
      ctimNs: s.getTime(r + Inode.CTIM),
    };
  }

  private rofs(): void {
    if (this.readOnly) throw new WasiError(Errno.ROFS);
  }

  /** Marks a directory's contents changed. */
  private touchDir(dir: number): void {
    const r = this.s.rec(dir);
    this.s.setNow(r + Inode.MTIM);
    this.s.setNow(r + Inode.CTIM);
  }

  /** Creates an inode of `type` named by A in dir, with nlink 1 (directories: 2). */
  private create(dir: number, type: number): number {
    const s = this.s;
    if (s.u32[s.rec(dir) + Inode.NLINK] === 0) throw new WasiError(Errno.NOENT); // removed directory
    const ino = s.allocInode(type);
    try {
      s.addEntry(dir, ino, this.nbA, this.nA, this.hA);
    } catch (e) {
      s.freeInode(ino);
      throw e;
    }
    const r = s.rec(ino);
    if (type === T_DIR) {
      s.set(r + Inode.NLINK, 2);
      s.set(r + Inode.PARENT, dir);
      s.set(s.rec(dir) + Inode.NLINK, s.u32[s.rec(dir) + Inode.NLINK]! + 1);
    } else {
      s.set(r + Inode.NLINK, 1);
    }
    this.touchDir(dir);
    return ino;
  }

  // ---- FsBackend -----------------------------------------------------------------------------------

  lstat(path: string): Stat {
    const s = this.s;
    s.lock();
    try {
      return this.statOf(this.resolve(path));
    } finally {
      s.unlock();
    }
  }

  readlink(path: string): string {
    const s = this.s;
    s.lock();
    try {
      const r = s.rec(this.resolve(path));
      if (s.u32[r + Inode.TYPE] !== T_LINK) throw new WasiError(Errno.INVAL);
      return decodeBytes(s.u8, s.u32[r + Inode.DATA]!, s.getSize(r));
    } finally {
      s.unlock();
    }
  }

  open(path: string, o: OpenOptions): number {
    if (o.write || o.create || o.truncate) this.rofs();
    const s = this.s;
    const comps = split(path);
    s.lock();
    try {
      s.stamp();
      let ino: number;
      if (comps.length === 0) {
        ino = this.rootIno();
      } else {
        const dir = this.parentOf(comps);
        this.encA(comps[comps.length - 1]!);
        const e = this.lookupA(dir);
        if (e) {
          ino = s.u32[e >>> 2]!;
        } else {
          if (!o.create) throw new WasiError(Errno.NOENT);
          if (o.directory) throw new WasiError(Errno.INVAL);
          ino = this.create(dir, T_FILE);
          s.set(s.rec(ino) + Inode.OPEN, 1);
          return ino | ((s.u32[s.rec(ino) + Inode.GEN]! & GEN_MASK) << GEN_SHIFT);
        }
      }
      if (o.create && o.exclusive) throw new WasiError(Errno.EXIST);
      const r = s.rec(ino);
      const type = s.u32[r + Inode.TYPE];
      if (type === T_LINK) throw new WasiError(Errno.LOOP);
      if (type === T_DIR) {
        if (o.write || o.truncate) throw new WasiError(Errno.ISDIR);
      } else {
        if (o.directory) throw new WasiError(Errno.NOTDIR);
        if (o.truncate) {
          s.fileTruncate(r, 0);
          s.setNow(r + Inode.MTIM);
          s.setNow(r + Inode.CTIM);
        }
      }
      s.set(r + Inode.OPEN, s.u32[r + Inode.OPEN]! + 1);
      return ino | ((s.u32[r + Inode.GEN]! & GEN_MASK) << GEN_SHIFT);
    } finally {
      s.unlock();
    }
  }

  close(handle: number): void {
    const s = this.s;
    s.lock();
    try {
      const r = this.handleRec(handle);
      s.set(r + Inode.OPEN, s.u32[r + Inode.OPEN]! - 1);
      s.release(handle & INO_MASK);
    } finally {
      s.unlock();
    }
  }

  pread(handle: number, dst: Uint8Array, position: number): number {
    if (!(position >= 0)) throw new WasiError(Errno.INVAL);
    const s = this.s;
    s.lock();
    try {
      const r = this.handleRec(handle);
      if (s.u32[r + Inode.TYPE] !== T_FILE) throw new WasiError(Errno.ISDIR);
      return s.fileRead(r, dst, position);
    } finally {
      s.unlock();
    }
  }

  pwrite(handle: number, src: Uint8Array, position: number | 'append'): number {
    this.rofs();
    if (position !== 'append' && !(position >= 0)) throw new WasiError(Errno.INVAL);
    const s = this.s;
    s.lock();
    try {
      const r = this.handleRec(handle);
      if (s.u32[r + Inode.TYPE] !== T_FILE) throw new WasiError(Errno.ISDIR);
      const n = s.fileWrite(r, src, position === 'append' ? s.getSize(r) : position);
      if (n > 0) {
        s.stamp();
        s.setNow(r + Inode.MTIM);
        s.setNow(r + Inode.CTIM);
      }
      return n;
    } finally {
      s.unlock();
    }
  }

  fstat(handle: number): Stat {
    const s = this.s;
    s.lock();
    try {
      this.handleRec(handle);
      return this.statOf(handle & INO_MASK);
    } finally {
      s.unlock();
    }
  }

  ftruncate(handle: number, size: number): void {
    this.rofs();
    if (!(size >= 0) || !Number.isSafeInteger(size)) throw new WasiError(Errno.INVAL);
    const s = this.s;
    s.lock();
    try {
      const r = this.handleRec(handle);
      if (s.u32[r + Inode.TYPE] !== T_FILE) throw new WasiError(Errno.INVAL);
      s.fileTruncate(r, size);
      s.stamp();
      s.setNow(r + Inode.MTIM);
      s.setNow(r + Inode.CTIM);
    } finally {
      s.unlock();
    }
  }

  private setTimes(r: number, atim: TimeSpec, mtim: TimeSpec): void {
    const s = this.s;
    s.stamp();
    if (atim === 'now') s.setNow(r + Inode.ATIM);
    else if (atim !== undefined) s.setTime(r + Inode.ATIM, atim);
    if (mtim === 'now') s.setNow(r + Inode.MTIM);
    else if (mtim !== undefined) s.setTime(r + Inode.MTIM, mtim);
    s.setNow(r + Inode.CTIM);
  }

  futimes(handle: number, atim: TimeSpec, mtim: TimeSpec): void {
    this.rofs();
    const s = this.s;
    s.lock();
    try {
      this.setTimes(this.handleRec(handle), atim, mtim);
    } finally {
      s.unlock();
    }
  }

  fsync(handle: number, _dataOnly: boolean): void {
    const s = this.s;
    s.lock();
    try {
      this.handleRec(handle);
    } finally {
      s.unlock();
    }
  }

  readdir(handle: number): DirEntry[] {
    const s = this.s;
    let raw: Uint8Array;
    let types: Uint8Array;
    s.lock();
    try {
      const r = this.handleRec(handle);
      if (s.u32[r + Inode.TYPE] !== T_DIR) throw new WasiError(Errno.NOTDIR);
      const eb = s.u32[r + Inode.DATA]!;
      if (!eb) return [];
      const used = s.u32[r + Inode.D_USED]!;
      // Copy the entry records and the children's types under the lock; build strings after it.
      raw = s.u8.slice(eb, eb + used);
      types = new Uint8Array(s.u32[r + Inode.D_LIVE]!);
      const u32 = s.u32;
      for (let p = 0, i = 0; p < used; ) {
        const ino = u32[(eb + p) >>> 2]!;
        if (ino) types[i++] = u32[s.rec(ino) + Inode.TYPE]!;
        p += entryBytes(u32[((eb + p) >>> 2) + 2]!);
      }
    } finally {
      s.unlock();
    }
    const w = new Uint32Array(raw.buffer, 0, raw.length >>> 2);
    const out = new Array<DirEntry>(types.length);
    for (let p = 0, i = 0; p < raw.length; ) {
      const ino = w[p >>> 2]!;
      const n = w[(p >>> 2) + 2]!;
      if (ino) {
        const name = decodeAscii(raw, p + ENTRY_HEADER, n) ?? dec.decode(raw.subarray(p + ENTRY_HEADER, p + ENTRY_HEADER + n));
        out[i] = { name, ino: BigInt(ino), filetype: types[i]! };
        i++;
      }
      p += entryBytes(n);
    }
    return out;
  }

  /**
   * Under the lock: the directory inode that will hold a new entry named by `comps`, with its name in
   * the A buffer. EEXIST when the name is taken (or is the root).
   */
  private freeName(comps: readonly string[]): number {
    if (comps.length === 0) {
      this.rootIno();
      throw new WasiError(Errno.EXIST);
    }
    const dir = this.parentOf(comps);
    this.encA(comps[comps.length - 1]!);
    if (this.lookupA(dir)) throw new WasiError(Errno.EXIST);
    return dir;
  }

  mkdir(path: string): void {
    this.rofs();
    const s = this.s;
    const comps = split(path);
    s.lock();
    try {
      s.stamp();
      const dir = this.freeName(comps);
      this.create(dir, T_DIR);
    } finally {
      s.unlock();
    }
  }

  rmdir(path: string): void {
    this.removeName(path, true);
  }

  unlink(path: string): void {
    this.removeName(path, false);
  }

  /** rmdir (dir) or unlink (!dir): removes the final name of path and drops its inode's link. */
  private removeName(path: string, dir: boolean): void {
    this.rofs();
    const s = this.s;
    const comps = split(path);
    s.lock();
    try {
      s.stamp();
      if (comps.length === 0) {
        this.rootIno();
        throw new WasiError(dir ? Errno.BUSY : Errno.ISDIR);
      }
      const parent = this.parentOf(comps);
      this.encA(comps[comps.length - 1]!);
      const e = this.lookupA(parent);
      if (!e) throw new WasiError(Errno.NOENT);
      const ino = s.u32[e >>> 2]!;
      const r = s.rec(ino);
      const isDir = s.u32[r + Inode.TYPE] === T_DIR;
      if (dir) {
        if (!isDir) throw new WasiError(Errno.NOTDIR);
        if (s.u32[r + Inode.D_LIVE]) throw new WasiError(Errno.NOTEMPTY);
      } else if (isDir) {
        throw new WasiError(Errno.ISDIR);
      }
      s.removeEntry(parent, e, s.slot);
      // a directory's ".." link to its parent goes with it
      if (dir) s.set(s.rec(parent) + Inode.NLINK, s.u32[s.rec(parent) + Inode.NLINK]! - 1);
      this.touchDir(parent);
      s.set(r + Inode.NLINK, dir ? 0 : s.u32[r + Inode.NLINK]! - 1);
      s.setNow(r + Inode.CTIM);
      s.release(ino);
    } finally {
      s.unlock();
    }
  }

  rename(from: string, to: string): void {
    this.rofs();
    const s = this.s;
    const u32 = s.u32;
    const fc = split(from);
    const tc = split(to);
    s.lock();
    try {
      s.stamp();
      if (fc.length === 0 || tc.length === 0) {
        this.rootIno();
        throw new WasiError(Errno.BUSY);
      }
      const fp = this.parentOf(fc);
      this.encA(fc[fc.length - 1]!);
      const fe = this.lookupA(fp);
      if (!fe) throw new WasiError(Errno.NOENT);
      const fslot = s.slot;
      const src = u32[fe >>> 2]!;
      const tp = this.parentOf(tc);
      this.encB(tc[tc.length - 1]!);
      const te = this.lookupB(tp);
      const dst = te ? u32[te >>> 2]! : 0;
      const srcDir = this.type(src) === T_DIR;
      if (srcDir) {
        // The new parent must not be the moved directory or inside it.
        for (let d = tp, hops = 0; hops <= s.nInodes; d = u32[s.rec(d) + Inode.PARENT]!, hops++) {
          if (d === src) throw new WasiError(Errno.INVAL);
          if (d === 1) break;
        }
      }
      if (dst) {
        if (dst === src) return;
        const dstDir = this.type(dst) === T_DIR;
        if (srcDir && !dstDir) throw new WasiError(Errno.NOTDIR);
        if (!srcDir && dstDir) throw new WasiError(Errno.ISDIR);
        if (dstDir && u32[s.rec(dst) + Inode.D_LIVE]) throw new WasiError(Errno.NOTEMPTY);
        // Replace in place: the target name now refers to src.
        s.set(te >>> 2, src);
        s.removeEntry(fp, fe, fslot);
        const dr = s.rec(dst);
        if (dstDir) {
          s.set(dr + Inode.NLINK, 0);
          s.set(s.rec(tp) + Inode.NLINK, s.u32[s.rec(tp) + Inode.NLINK]! - 1);
        } else {
          s.set(dr + Inode.NLINK, s.u32[dr + Inode.NLINK]! - 1);
        }
        s.setNow(dr + Inode.CTIM);
      } else {
        s.addEntry(tp, src, this.nbB, this.nB, this.hB); // may move fp's entries when fp === tp
        const e = this.lookupA(fp);
        s.removeEntry(fp, e, s.slot);
      }
      if (srcDir && fp !== tp) {
        s.set(s.rec(fp) + Inode.NLINK, s.u32[s.rec(fp) + Inode.NLINK]! - 1);
        s.set(s.rec(tp) + Inode.NLINK, s.u32[s.rec(tp) + Inode.NLINK]! + 1);
        s.set(s.rec(src) + Inode.PARENT, tp);
      }
      this.touchDir(fp);
      if (tp !== fp) this.touchDir(tp);
      s.setNow(s.rec(src) + Inode.CTIM);
      if (dst) s.release(dst); // last: freeing a large file checkpoints along the way
    } finally {
      s.unlock();
    }
  }

  link(from: string, to: string): void {
    this.rofs();
    const s = this.s;
    const fc = split(from);
    const tc = split(to);
    s.lock();
    try {
      s.stamp();
      const src = this.resolve(from);
      if (fc.length === 0 || this.type(src) === T_DIR) throw new WasiError(Errno.PERM);
      if (tc.length === 0) throw new WasiError(Errno.EXIST);
      const tp = this.parentOf(tc);
      this.encA(tc[tc.length - 1]!);
      if (this.lookupA(tp)) throw new WasiError(Errno.EXIST);
      if (s.u32[s.rec(tp) + Inode.NLINK] === 0) throw new WasiError(Errno.NOENT);
      s.addEntry(tp, src, this.nbA, this.nA, this.hA);
      const r = s.rec(src);
      s.set(r + Inode.NLINK, s.u32[r + Inode.NLINK]! + 1);
      s.setNow(r + Inode.CTIM);
      this.touchDir(tp);
    } finally {
      s.unlock();
    }
  }

  symlink(target: string, path: string): void {
    this.rofs();
    if (target === '') throw new WasiError(Errno.NOENT);
    const bytes = enc.encode(target);
    if (bytes.length > SYMLINK_MAX) throw new WasiError(Errno.NAMETOOLONG);
    const s = this.s;
    const comps = split(path);
    s.lock();
    try {
      s.stamp();
      const dir = this.freeName(comps);
      const blk = s.alloc(bytes.length, false);
      let ino: number;
      try {
        ino = this.create(dir, T_LINK);
      } catch (e) {
        s.free(blk);
        throw e;
      }
      const r = s.rec(ino);
      s.u8.set(bytes, blk);
      s.set(r + Inode.DATA, blk);
      s.setSize(r, bytes.length);
    } finally {
      s.unlock();
    }
  }

  utimes(path: string, atim: TimeSpec, mtim: TimeSpec): void {
    this.rofs();
    const s = this.s;
    s.lock();
    try {
      this.setTimes(s.rec(this.resolve(path)), atim, mtim);
    } finally {
      s.unlock();
    }
  }
}

function decodeAscii(b: Uint8Array, a: number, n: number): string | undefined {
  for (let i = 0; i < n; i++) if (b[a + i]! >= 0x80) return undefined;
  return String.fromCharCode.apply(null, b.subarray(a, a + n) as unknown as number[]);
}
