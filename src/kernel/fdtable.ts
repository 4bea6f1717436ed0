import { Errno, WasiError } from '../abi/errno.js';
import { spinLock, spinUnlock } from '../threads/lock.js';

/**
 * The process-wide file descriptor table, kept in a SharedArrayBuffer so every thread reads it
 * directly: the hot path (read/write/seek on an open fd) never crosses to another thread.
 * Mutations (open/close/renumber/dup) take the table lock; per-fd cursor updates take the fd's lock.
 * Entries carry a generation counter so a thread can tell an fd was closed and reused under it.
 */
export const FdKind = {
  FREE: 0,
  /** A host stream (stdin/stdout/stderr of the host, or a callback sink in browsers). */
  STDIO: 1,
  /** A file or directory of a filesystem backend (BACKEND = preopen index, HANDLE = backend handle). */
  FILE: 2,
  DIR: 3,
  PIPE_READ: 4,
  PIPE_WRITE: 5,
  EVENT: 6,
  /** Reserved while an open is in progress. */
  RESERVED: 7,
} as const;

/** Word offsets inside one entry. */
export const Fd = {
  KIND: 0,
  FILETYPE: 1,
  FLAGS: 2,
  HANDLE: 3,
  BACKEND: 4,
  RIGHTS_BASE: 5,
  RIGHTS_INHERITING: 6,
  LOCK: 7,
  GEN: 8,
  /** Offset as two u32 words (lo, hi), updated under LOCK. */
  OFFSET_LO: 9,
  OFFSET_HI: 10,
  /** Byte length of the entry's path (directories: backend-relative path used as the base of path_* calls). */
  PATH_LEN: 11,
  /** Index of the shared object (pipe/eventfd) in its table, or the preopen's guest name index. */
  AUX: 12,
  WORDS: 16,
} as const;

export const MAX_FDS = 1024;
export const FD_PATH_BYTES = 1024;
const TABLE_LOCK = 0;
const HEADER_WORDS = 4;

export interface FdEntry {
  kind: number;
  filetype: number;
  flags: number;
  handle: number;
  backend: number;
  rightsBase: number;
  rightsInheriting: number;
  aux?: number;
  path?: string;
  offset?: number;
}

export class FdTable {
  readonly i32: Int32Array;
  private readonly paths: Uint8Array;
  private readonly enc = new TextEncoder();
  private readonly dec = new TextDecoder();

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab, 0, HEADER_WORDS + MAX_FDS * Fd.WORDS);
    this.paths = new Uint8Array(sab, (HEADER_WORDS + MAX_FDS * Fd.WORDS) * 4);
  }

  static create(): FdTable {
    return new FdTable(new SharedArrayBuffer((HEADER_WORDS + MAX_FDS * Fd.WORDS) * 4 + MAX_FDS * FD_PATH_BYTES));
  }

  /** Word index of a field of fd, or -1 when fd is out of range. */
  at(fd: number, field: number): number {
    return HEADER_WORDS + fd * Fd.WORDS + field;
  }

  /** Kind of fd (FREE for anything out of range). Lock-free: a hot-path read. */
  kind(fd: number): number {
    if (fd >>> 0 >= MAX_FDS) return FdKind.FREE;
    return Atomics.load(this.i32, HEADER_WORDS + fd * Fd.WORDS + Fd.KIND);
  }

  /** Word of fd, after checking the fd is open; throws EBADF. */
  get(fd: number, field: number): number {
    if (fd >>> 0 >= MAX_FDS) throw new WasiError(Errno.BADF);
    const base = HEADER_WORDS + fd * Fd.WORDS;
    const kind = Atomics.load(this.i32, base + Fd.KIND);
    if (kind === FdKind.FREE || kind === FdKind.RESERVED) throw new WasiError(Errno.BADF);
    return this.i32[base + field]!;
  }

  /** Throws EBADF unless fd is open, ENOTCAPABLE unless it has all of `rights`. Returns the entry's base word. */
  require(fd: number, rights: number): number {
    if (fd >>> 0 >= MAX_FDS) throw new WasiError(Errno.BADF);
    const base = HEADER_WORDS + fd * Fd.WORDS;
    const kind = Atomics.load(this.i32, base + Fd.KIND);
    if (kind === FdKind.FREE || kind === FdKind.RESERVED) throw new WasiError(Errno.BADF);
    if ((this.i32[base + Fd.RIGHTS_BASE]! & rights) !== rights) throw new WasiError(Errno.NOTCAPABLE);
    return base;
  }

  set(fd: number, field: number, v: number): void {
    Atomics.store(this.i32, HEADER_WORDS + fd * Fd.WORDS + field, v);
  }

  path(fd: number): string {
    const base = HEADER_WORDS + fd * Fd.WORDS;
    const len = this.i32[base + Fd.PATH_LEN]!;
    // Copy out of the shared buffer: TextDecoder refuses shared views.
    return this.dec.decode(this.paths.slice(fd * FD_PATH_BYTES, fd * FD_PATH_BYTES + len));
  }

  getOffset(base: number): number {
    return (this.i32[base + Fd.OFFSET_LO]! >>> 0) + (this.i32[base + Fd.OFFSET_HI]! >>> 0) * 0x100000000;
  }
  setOffset(base: number, off: number): void {
    this.i32[base + Fd.OFFSET_LO] = off % 0x100000000;
    this.i32[base + Fd.OFFSET_HI] = Math.floor(off / 0x100000000);
  }

  lockFd(base: number): void {
    spinLock(this.i32, base + Fd.LOCK);
  }
  unlockFd(base: number): void {
    spinUnlock(this.i32, base + Fd.LOCK);
  }

  lockTable(): void {
    spinLock(this.i32, TABLE_LOCK);
  }
  unlockTable(): void {
    spinUnlock(this.i32, TABLE_LOCK);
  }

  private write(fd: number, e: FdEntry): void {
    const base = HEADER_WORDS + fd * Fd.WORDS;
    const i = this.i32;
    i[base + Fd.FILETYPE] = e.filetype;
    i[base + Fd.FLAGS] = e.flags;
    i[base + Fd.HANDLE] = e.handle;
    i[base + Fd.BACKEND] = e.backend;
    i[base + Fd.RIGHTS_BASE] = e.rightsBase;
    i[base + Fd.RIGHTS_INHERITING] = e.rightsInheriting;
    i[base + Fd.AUX] = e.aux ?? 0;
    this.setOffset(base, e.offset ?? 0);
    const p = this.enc.encode(e.path ?? '');
    if (p.length > FD_PATH_BYTES) throw new WasiError(Errno.NAMETOOLONG);
    this.paths.set(p, fd * FD_PATH_BYTES);
    i[base + Fd.PATH_LEN] = p.length;
    Atomics.add(i, base + Fd.GEN, 1);
    Atomics.store(i, base + Fd.KIND, e.kind);
  }

  /** Puts e at the lowest free fd (>= minFd); EMFILE when the table is full. */
  insert(e: FdEntry, minFd = 0): number {
    this.lockTable();
    try {
      for (let fd = minFd; fd < MAX_FDS; fd++) {
        if (this.i32[HEADER_WORDS + fd * Fd.WORDS + Fd.KIND] === FdKind.FREE) {
          this.write(fd, e);
          return fd;
        }
      }
      throw new WasiError(Errno.MFILE);
    } finally {
      this.unlockTable();
    }
  }

  /** Puts e at exactly fd (used to set up stdio and preopens). */
  place(fd: number, e: FdEntry): void {
    this.lockTable();
    try {
      this.write(fd, e);
    } finally {
      this.unlockTable();
    }
  }

  read(fd: number): FdEntry {
    const base = HEADER_WORDS + fd * Fd.WORDS;
    const i = this.i32;
    return {
      kind: i[base + Fd.KIND]!, filetype: i[base + Fd.FILETYPE]!, flags: i[base + Fd.FLAGS]!,
      handle: i[base + Fd.HANDLE]!, backend: i[base + Fd.BACKEND]!, rightsBase: i[base + Fd.RIGHTS_BASE]!,
      rightsInheriting: i[base + Fd.RIGHTS_INHERITING]!, aux: i[base + Fd.AUX]!, path: this.path(fd),
      offset: this.getOffset(base),
    };
  }

  /** Removes fd from the table and returns what it held (the caller releases the underlying object). */
  remove(fd: number): FdEntry {
    this.lockTable();
    try {
      const kind = this.kind(fd);
      if (kind === FdKind.FREE || kind === FdKind.RESERVED) throw new WasiError(Errno.BADF);
      const e = this.read(fd);
      const base = HEADER_WORDS + fd * Fd.WORDS;
      Atomics.add(this.i32, base + Fd.GEN, 1);
      Atomics.store(this.i32, base + Fd.KIND, FdKind.FREE);
      return e;
    } finally {
      this.unlockTable();
    }
  }

  /** Moves from onto to (closing what `to` held, returned so the caller can release it). */
  renumber(from: number, to: number): FdEntry | undefined {
    this.lockTable();
    try {
      const kf = this.kind(from), kt = this.kind(to);
      if (kf === FdKind.FREE || kf === FdKind.RESERVED || kt === FdKind.FREE || kt === FdKind.RESERVED) {
        throw new WasiError(Errno.BADF);
      }
      if (from === to) return undefined;
      const old = this.read(to);
      this.write(to, this.read(from));
      const base = HEADER_WORDS + from * Fd.WORDS;
      Atomics.add(this.i32, base + Fd.GEN, 1);
      Atomics.store(this.i32, base + Fd.KIND, FdKind.FREE);
      return old;
    } finally {
      this.unlockTable();
    }
  }

  /** Every open fd (for tracing and shutdown). */
  openFds(): number[] {
    const out: number[] = [];
    for (let fd = 0; fd < MAX_FDS; fd++) if (this.kind(fd) !== FdKind.FREE) out.push(fd);
    return out;
  }
}

