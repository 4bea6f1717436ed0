import { Errno, WasiError } from '../../abi/errno.js';
import { spinLock, spinUnlock } from './lock.js';

/**
 * The process-wide file descriptor table, kept in a SharedArrayBuffer so every thread reads it
 * directly: the hot path (read/write/seek on an open fd) never crosses to another thread.
 *
 * Two levels, as in POSIX: an fd entry (kind, rights, fd flags) points to an open *description*
 * (backend handle, cursor, lock, reference count) that dup'd fds share. Mutations of the table
 * (open/close/renumber/dup) take the table lock; cursor updates take the description's lock.
 */
export const FdKind = {
  FREE: 0,
  /** A host stream (stdin/stdout/stderr of the host, or a callback sink in browsers). HANDLE = stdio index. */
  STDIO: 1,
  /** A file of a filesystem backend (BACKEND = preopen index, HANDLE = backend handle). */
  FILE: 2,
  /** A directory of a backend; PATH is its backend-relative path, the base of path_* calls. */
  DIR: 3,
  /** One end of a WASIX pipe (OBJECT = stream object, HANDLE = end 0/1). */
  PIPE: 4,
  /** A WASIX eventfd (OBJECT = stream object). */
  EVENT: 6,
  /** A WASIX socket (OBJECT = socket object in NetState). */
  SOCKET: 7,
  /** A WASIX epoll interest list (OBJECT = list index in NetState). */
  EPOLL: 8,
} as const;

/** Word offsets inside one fd entry. */
export const FdSlot = {
  KIND: 0,
  FILETYPE: 1,
  /** fdflags (APPEND, NONBLOCK, ...). */
  FLAGS: 2,
  RIGHTS_BASE: 3,
  RIGHTS_INHERITING: 4,
  /** Index of the open description. */
  DESC: 5,
  /** 1 + preopen index for preopened directories (fd_prestat_get), else 0. */
  PREOPEN: 6,
  /** WASIX fdflagsext (close-on-exec). Per fd, not shared by dups. */
  FDFLAGS_EXT: 7,
  WORDS: 8,
} as const;

/** Word offsets inside one open description. */
export const Desc = {
  REFS: 0,
  LOCK: 1,
  HANDLE: 2,
  BACKEND: 3,
  OFFSET_LO: 4,
  OFFSET_HI: 5,
  /** Bits of DescFlags. */
  OPEN_FLAGS: 6,
  /** Index of a shared object (pipe, eventfd) in its own table. */
  OBJECT: 7,
  PATH_LEN: 8,
  /** FdKind of the fds sharing this description (what releasing it means). */
  KIND: 9,
  /**
   * Holds on the description: 1 for the fd table while any fd refers to it, +1 per call using it right
   * now (pinned, see kernel/files.ts pinDesc). 0 = free slot; -1 = being released. The last hold to go
   * releases it (closes the backend handle), so a call racing with fd_close never sees its handle closed
   * and reused by another open.
   */
  HOLDS: 10,
  /** 1 + a backend handle replaced by fd_fdstat_set_flags while calls may still use it (closed on release). */
  RETIRED: 11,
  WORDS: 12,
} as const;

export const DescFlags = {
  /** The backend handle itself appends (host fd opened with O_APPEND). */
  HOST_APPEND: 1,
  /** The backend handle was opened for reading / for writing (what a reopen must keep). */
  HOST_READ: 2,
  HOST_WRITE: 4,
} as const;

export const MAX_FDS = 1024;
const PATH_BYTES = 1024;
const TABLE_LOCK = 0;
/** Header word: how many fd regions (processes) the buffer holds. */
const REGIONS = 1;
/**
 * Header word: how many fd numbers from 3 on are the preopens' (WASIX process trees, see
 * FdTable.reservePreopenNumbers); allocation of the lowest free fd skips them.
 */
const RESERVED = 2;
const HEADER_WORDS = 4;
/** The first preopen's fd number (wasi-libc looks for preopens from 3 on). */
export const FIRST_PREOPEN_FD = 3;

/**
 * Layout of a table buffer holding `regions` fd tables (one per process of a WASIX process tree) over one
 * pool of open descriptions, so descriptions (cursor, pipe end, host handle) are shared across fork/spawn
 * as in POSIX. A single-process buffer has one region.
 */
function tableLayout(regions: number): { descBase: number; descs: number; words: number } {
  const descs = MAX_FDS * (regions > 1 ? 4 : 1);
  const descBase = HEADER_WORDS + regions * MAX_FDS * FdSlot.WORDS;
  return { descBase, descs, words: descBase + descs * Desc.WORDS };
}

export interface FdEntry {
  kind: number;
  filetype: number;
  flags: number;
  rightsBase: number;
  rightsInheriting: number;
  preopen?: number;
  /** Description fields. */
  handle: number;
  backend: number;
  openFlags?: number;
  object?: number;
  path?: string;
  offset?: number;
  /** Word index of the description (entries returned by remove/renumber/dup). */
  descBase?: number;
}

export class FdTable {
  readonly i32: Int32Array;
  private readonly paths: Uint8Array;
  private readonly enc = new TextEncoder();
  private readonly dec = new TextDecoder();
  /** First word of this view's fd entries (its region). */
  private readonly fdBase: number;
  private readonly descBase: number;
  private readonly descs: number;

  /** A view of fd region `region` (one process's fds) of a table buffer. */
  constructor(readonly sab: SharedArrayBuffer, readonly region = 0) {
    const regions = new Int32Array(sab, 0, HEADER_WORDS)[REGIONS]!;
    const l = tableLayout(regions);
    if (region >>> 0 >= regions) throw new RangeError(`fd region ${region} of ${regions}`);
    this.i32 = new Int32Array(sab, 0, l.words);
    this.paths = new Uint8Array(sab, l.words * 4);
    this.fdBase = HEADER_WORDS + region * MAX_FDS * FdSlot.WORDS;
    this.descBase = l.descBase;
    this.descs = l.descs;
  }

  static create(regions = 1): FdTable {
    const l = tableLayout(regions);
    const sab = new SharedArrayBuffer(l.words * 4 + l.descs * PATH_BYTES);
    new Int32Array(sab)[REGIONS] = regions;
    return new FdTable(sab);
  }

  get regions(): number {
    return this.i32[REGIONS]!;
  }

  /**
   * Keeps fd numbers 3 .. 3+n-1 (the preopens' at start-up, cached by the guest's libc) out of "lowest
   * free fd" allocation (open, dup, pipe, socket...) in every region of the buffer, so a number the libc
   * resolves paths with never comes back as another directory. Explicit placement (dup2, renumber) may
   * still use them; path calls then reach the preopen through the number (kernel/preopen-numbers.ts).
   */
  reservePreopenNumbers(n: number): void {
    Atomics.store(this.i32, RESERVED, n);
  }

  /** How many fd numbers from 3 on stay the preopens' (0 unless reservePreopenNumbers was called). */
  get preopenNumbers(): number {
    return this.i32[RESERVED]!;
  }

  /** Word index of field of fd's entry (no checks). */
  at(fd: number, field: number): number {
    return this.fdBase + fd * FdSlot.WORDS + field;
  }

  /** Kind of fd (FREE for anything out of range). Lock-free: a hot-path read. */
  kind(fd: number): number {
    if (fd >>> 0 >= MAX_FDS) return FdKind.FREE;
    return Atomics.load(this.i32, this.fdBase + fd * FdSlot.WORDS + FdSlot.KIND);
  }

  /** Throws EBADF unless fd is open, ENOTCAPABLE unless it has all of `rights`. Returns the entry's base word. */
  require(fd: number, rights: number): number {
    if (fd >>> 0 >= MAX_FDS) throw new WasiError(Errno.BADF);
    const base = this.fdBase + fd * FdSlot.WORDS;
    if (Atomics.load(this.i32, base + FdSlot.KIND) === FdKind.FREE) throw new WasiError(Errno.BADF);
    if ((this.i32[base + FdSlot.RIGHTS_BASE]! & rights) !== rights) throw new WasiError(Errno.NOTCAPABLE);
    return base;
  }

  /** Word index of the description of the entry at `base`. */
  desc(base: number): number {
    return this.descBase + this.i32[base + FdSlot.DESC]! * Desc.WORDS;
  }

  handle(base: number): number {
    return this.i32[this.desc(base) + Desc.HANDLE]!;
  }
  backend(base: number): number {
    return this.i32[this.desc(base) + Desc.BACKEND]!;
  }

  /** The backend-relative path recorded for the entry at `base` (directories). */
  path(base: number): string {
    const d = this.i32[base + FdSlot.DESC]!;
    const len = this.i32[this.descBase + d * Desc.WORDS + Desc.PATH_LEN]!;
    if (len === 0) return ''; // files, and a preopen's root: nothing to copy or decode
    // Copy out of the shared buffer first: browsers' TextDecoder refuses shared views.
    return this.dec.decode(this.paths.slice(d * PATH_BYTES, d * PATH_BYTES + len));
  }

  getOffset(desc: number): number {
    return (this.i32[desc + Desc.OFFSET_LO]! >>> 0) + (this.i32[desc + Desc.OFFSET_HI]! >>> 0) * 0x100000000;
  }
  setOffset(desc: number, off: number): void {
    this.i32[desc + Desc.OFFSET_LO] = off % 0x100000000;
    this.i32[desc + Desc.OFFSET_HI] = Math.floor(off / 0x100000000);
  }
  lockDesc(desc: number): void {
    spinLock(this.i32, desc + Desc.LOCK);
  }
  unlockDesc(desc: number): void {
    spinUnlock(this.i32, desc + Desc.LOCK);
  }

  private lockTable(): void {
    spinLock(this.i32, TABLE_LOCK);
  }
  private unlockTable(): void {
    spinUnlock(this.i32, TABLE_LOCK);
  }

  private newDesc(e: FdEntry): number {
    const i = this.i32;
    for (let d = 0; d < this.descs; d++) {
      const db = this.descBase + d * Desc.WORDS;
      if (i[db + Desc.REFS] !== 0 || Atomics.load(i, db + Desc.HOLDS) !== 0) continue;
      if (e.path) {
        const p = this.enc.encode(e.path);
        if (p.length > PATH_BYTES) throw new WasiError(Errno.NAMETOOLONG);
        this.paths.set(p, d * PATH_BYTES);
        i[db + Desc.PATH_LEN] = p.length;
      } else {
        i[db + Desc.PATH_LEN] = 0;
      }
      i[db + Desc.HANDLE] = e.handle;
      i[db + Desc.BACKEND] = e.backend;
      i[db + Desc.OPEN_FLAGS] = e.openFlags ?? 0;
      i[db + Desc.OBJECT] = e.object ?? 0;
      i[db + Desc.KIND] = e.kind;
      i[db + Desc.RETIRED] = 0;
      i[db + Desc.LOCK] = 0;
      Atomics.store(i, db + Desc.HOLDS, 1);
      this.setOffset(db, e.offset ?? 0);
      Atomics.store(i, db + Desc.REFS, 1);
      return d;
    }
    throw new WasiError(Errno.NFILE);
  }

  private writeFd(fd: number, e: FdEntry, desc: number): void {
    const base = this.fdBase + fd * FdSlot.WORDS;
    const i = this.i32;
    i[base + FdSlot.FILETYPE] = e.filetype;
    i[base + FdSlot.FLAGS] = e.flags;
    i[base + FdSlot.RIGHTS_BASE] = e.rightsBase;
    i[base + FdSlot.RIGHTS_INHERITING] = e.rightsInheriting;
    i[base + FdSlot.PREOPEN] = e.preopen ?? 0;
    i[base + FdSlot.FDFLAGS_EXT] = 0;
    i[base + FdSlot.DESC] = desc;
    Atomics.store(i, base + FdSlot.KIND, e.kind);
  }

  private lowestFree(minFd: number): number {
    const reservedEnd = FIRST_PREOPEN_FD + this.i32[RESERVED]!;
    for (let fd = minFd; fd < MAX_FDS; fd++) {
      if (fd >= FIRST_PREOPEN_FD && fd < reservedEnd) continue;
      if (this.i32[this.fdBase + fd * FdSlot.WORDS + FdSlot.KIND] === FdKind.FREE) return fd;
    }
    throw new WasiError(Errno.MFILE);
  }

  /** Puts e (with a new description) at the lowest free fd >= minFd; EMFILE when the table is full. */
  insert(e: FdEntry, minFd = 0): number {
    this.lockTable();
    try {
      const fd = this.lowestFree(minFd);
      this.writeFd(fd, e, this.newDesc(e));
      return fd;
    } finally {
      this.unlockTable();
    }
  }

  /** Puts e at exactly fd (stdio and preopens at start-up). */
  place(fd: number, e: FdEntry): void {
    this.lockTable();
    try {
      this.writeFd(fd, e, this.newDesc(e));
    } finally {
      this.unlockTable();
    }
  }

  read(fd: number): FdEntry {
    const base = this.fdBase + fd * FdSlot.WORDS;
    const e = this.entry(base, this.desc(base));
    e.path = this.path(base);
    return e;
  }

  /** The entry at fd slot `base` with description `db`, but its path (hot: every close builds one). */
  private entry(base: number, db: number): FdEntry {
    const i = this.i32;
    return {
      kind: i[base + FdSlot.KIND]!, filetype: i[base + FdSlot.FILETYPE]!, flags: i[base + FdSlot.FLAGS]!,
      rightsBase: i[base + FdSlot.RIGHTS_BASE]!, rightsInheriting: i[base + FdSlot.RIGHTS_INHERITING]!,
      preopen: i[base + FdSlot.PREOPEN]!, handle: i[db + Desc.HANDLE]!, backend: i[db + Desc.BACKEND]!,
      openFlags: i[db + Desc.OPEN_FLAGS]!, object: i[db + Desc.OBJECT]!, offset: this.getOffset(db),
    };
  }

  /**
   * Frees fd; returns what it held, with `last` set when no other fd shares its description (the caller
   * then drops the table's hold on it: releaseEntry in kernel/files.ts).
   */
  private drop(fd: number): FdEntry & { last: boolean } {
    const base = this.fdBase + fd * FdSlot.WORDS;
    const db = this.desc(base);
    // Without the path: no caller of a closed entry reads it (decoding it from the shared buffer and
    // spreading read()'s object was ~6% of a path_open + fd_close profile).
    const e = this.entry(base, db) as FdEntry & { last: boolean };
    e.last = Atomics.sub(this.i32, db + Desc.REFS, 1) === 1;
    e.descBase = db;
    Atomics.store(this.i32, base + FdSlot.KIND, FdKind.FREE);
    return e;
  }

  /** Word index of description number d. */
  descAt(d: number): number {
    return this.descBase + d * Desc.WORDS;
  }

  /** Takes a hold on the description at db unless it is already being released (false). */
  hold(db: number): boolean {
    const i = this.i32, w = db + Desc.HOLDS;
    for (;;) {
      const h = Atomics.load(i, w);
      if (h <= 0) return false;
      if (Atomics.compareExchange(i, w, h, h + 1) === h) return true;
    }
  }

  /** Drops a hold; true when it was the last one: the caller must release the description, then freeDesc(). */
  unhold(db: number): boolean {
    const i = this.i32, w = db + Desc.HOLDS;
    for (;;) {
      const h = Atomics.load(i, w);
      if (h === 1) {
        if (Atomics.compareExchange(i, w, 1, -1) === 1) return true;
      } else if (Atomics.compareExchange(i, w, h, h - 1) === h) return false;
    }
  }

  /** Makes a released description's slot reusable. */
  freeDesc(db: number): void {
    Atomics.store(this.i32, db + Desc.HOLDS, 0);
  }

  /**
   * Closes fd. When `last`, the caller must pass the result to releaseEntry (kernel/files.ts), which drops
   * the table's hold: until then the description's slot is not reused.
   */
  remove(fd: number): FdEntry & { last: boolean } {
    this.lockTable();
    try {
      if (this.kind(fd) === FdKind.FREE) throw new WasiError(Errno.BADF);
      return this.drop(fd);
    } finally {
      this.unlockTable();
    }
  }

  /** fd_renumber: moves from onto to, closing what `to` held (returned for release). */
  renumber(from: number, to: number): (FdEntry & { last: boolean }) | undefined {
    this.lockTable();
    try {
      if (this.kind(from) === FdKind.FREE || this.kind(to) === FdKind.FREE) throw new WasiError(Errno.BADF);
      if (from === to) return undefined;
      const old = this.drop(to);
      const i = this.i32;
      const src = this.fdBase + from * FdSlot.WORDS, dst = this.fdBase + to * FdSlot.WORDS;
      for (let w = 1; w < FdSlot.WORDS; w++) i[dst + w] = i[src + w]!;
      Atomics.store(i, dst + FdSlot.KIND, i[src + FdSlot.KIND]!);
      Atomics.store(i, src + FdSlot.KIND, FdKind.FREE);
      return old;
    } finally {
      this.unlockTable();
    }
  }

  /**
   * dup: a new fd (lowest free >= minFd, or exactly `at`) sharing fd's description (cursor included).
   * With `at`, what it held is closed and returned for release.
   */
  dup(fd: number, opts: { minFd?: number; at?: number } = {}): { fd: number; closed?: (FdEntry & { last: boolean }) | undefined } {
    this.lockTable();
    try {
      if (this.kind(fd) === FdKind.FREE) throw new WasiError(Errno.BADF);
      let closed: (FdEntry & { last: boolean }) | undefined;
      let to: number;
      if (opts.at !== undefined) {
        to = opts.at;
        if (to >>> 0 >= MAX_FDS) throw new WasiError(Errno.BADF);
        if (to === fd) return { fd };
        if (this.kind(to) !== FdKind.FREE) closed = this.drop(to);
      } else {
        to = this.lowestFree(opts.minFd ?? 0);
      }
      const i = this.i32;
      const src = this.fdBase + fd * FdSlot.WORDS, dst = this.fdBase + to * FdSlot.WORDS;
      Atomics.add(i, this.desc(src) + Desc.REFS, 1);
      for (let w = 1; w < FdSlot.WORDS; w++) i[dst + w] = i[src + w]!;
      i[dst + FdSlot.PREOPEN] = 0;
      i[dst + FdSlot.FDFLAGS_EXT] = 0;
      Atomics.store(i, dst + FdSlot.KIND, i[src + FdSlot.KIND]!);
      return { fd: to, closed };
    } finally {
      this.unlockTable();
    }
  }

  /**
   * Fills region `to` (an empty process table) with this region's fds, sharing their descriptions:
   * fork copies every fd; exec-style copies (spawn) leave out close-on-exec ones.
   */
  copyInto(to: number, opts: { skipCloexec: boolean }): FdTable {
    const dst = new FdTable(this.sab, to);
    const i = this.i32;
    this.lockTable();
    try {
      for (let fd = 0; fd < MAX_FDS; fd++) {
        const src = this.fdBase + fd * FdSlot.WORDS, d = dst.fdBase + fd * FdSlot.WORDS;
        const kind = i[src + FdSlot.KIND]!;
        if (kind === FdKind.FREE || (opts.skipCloexec && i[src + FdSlot.FDFLAGS_EXT]! & 1)) {
          Atomics.store(i, d + FdSlot.KIND, FdKind.FREE);
          continue;
        }
        Atomics.add(i, this.desc(src) + Desc.REFS, 1);
        for (let w = 1; w < FdSlot.WORDS; w++) i[d + w] = i[src + w]!;
        Atomics.store(i, d + FdSlot.KIND, kind);
      }
    } finally {
      this.unlockTable();
    }
    return dst;
  }

  /** Closes every fd (or only close-on-exec ones); returns what was held, for release of `last` ones. */
  closeAll(onlyCloexec = false): (FdEntry & { last: boolean })[] {
    const out: (FdEntry & { last: boolean })[] = [];
    this.lockTable();
    try {
      for (let fd = 0; fd < MAX_FDS; fd++) {
        const base = this.fdBase + fd * FdSlot.WORDS;
        if (this.i32[base + FdSlot.KIND] === FdKind.FREE) continue;
        if (onlyCloexec && !(this.i32[base + FdSlot.FDFLAGS_EXT]! & 1)) continue;
        out.push(this.drop(fd));
      }
    } finally {
      this.unlockTable();
    }
    return out;
  }

  /**
   * Closes every fd of a process that is gone; `release(db)` is called for each description whose last
   * hold that was (it releases what the description held, then freeDesc()s it).
   */
  closeAllReleasing(release: (db: number) => void): void {
    for (const e of this.closeAll()) {
      if (e.last && e.descBase !== undefined && this.unhold(e.descBase)) release(e.descBase);
    }
  }

  /** Every open fd. */
  openFds(): number[] {
    const out: number[] = [];
    for (let fd = 0; fd < MAX_FDS; fd++) if (this.kind(fd) !== FdKind.FREE) out.push(fd);
    return out;
  }
}

