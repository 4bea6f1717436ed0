import { Slot } from './shared/control-block.js';
import { Errno, WasiError } from '../abi/errno.js';
import { FdFlags, Whence } from '../abi/constants.js';
import { Filestat } from '../abi/layouts.js';
import type { FsBackend, Stat } from '../fs/backend.js';
import { Desc, DescFlags, FdSlot, FdKind, type FdEntry } from './shared/fd-table.js';
import type { Kernel } from './kernel.js';
import type { GuestMemory } from './memory.js';
import { gather } from './iovec.js';

/** Operations on fds that refer to filesystem objects (files and directories of a backend). */
export interface FileOps {
  read(fd: number, base: number, iovs: Uint8Array[], position: number | undefined): number;
  write(fd: number, base: number, iovs: Uint8Array[], position: number | undefined): number;
  seek(fd: number, base: number, offset: bigint, whence: number): number;
  filestat(fd: number, base: number, ptr: number): void;
  setFlags(fd: number, base: number, flags: number): void;
}

/** Writes a backend Stat as a WASI filestat at p (already bounds-checked). */
export function writeFilestat(m: GuestMemory, p: number, st: Stat): void {
  const dv = m.dv;
  dv.setBigUint64(p + Filestat.dev, st.dev, true);
  dv.setBigUint64(p + Filestat.ino, st.ino, true);
  dv.setUint32(p + Filestat.filetype, 0, true);
  dv.setUint32(p + Filestat.filetype + 4, 0, true);
  dv.setUint8(p + Filestat.filetype, st.filetype);
  dv.setBigUint64(p + Filestat.nlink, st.nlink, true);
  dv.setBigUint64(p + Filestat.size_, st.size, true);
  dv.setBigUint64(p + Filestat.atim, st.atimNs, true);
  dv.setBigUint64(p + Filestat.mtim, st.mtimNs, true);
  dv.setBigUint64(p + Filestat.ctim, st.ctimNs, true);
}

/**
 * Pins the open description of the fd whose entry is at `base` for the duration of a call (see Desc.HOLDS):
 * until unpinDesc, a concurrent fd_close cannot release it, so its backend handle is not closed and cannot
 * be reused by another open while this call reads or writes through it. Returns the description's word
 * index; EBADF when the fd is closed.
 */
export function pinDesc(k: Kernel, base: number): number {
  const fds = k.fds, i = fds.i32;
  for (;;) {
    if (Atomics.load(i, base + FdSlot.KIND) === FdKind.FREE) throw new WasiError(Errno.BADF);
    const d = i[base + FdSlot.DESC]!;
    const db = fds.descAt(d);
    if (fds.hold(db)) {
      // Still the fd's description? (The hold's compare-exchange orders these reads after it.)
      if (i[base + FdSlot.KIND] !== FdKind.FREE && i[base + FdSlot.DESC] === d) {
        // Recorded for the coordinator (the outermost pin only; a nested one of the same thread is short).
        Atomics.compareExchange(k.ctl.i32, k.ctl.slotIndex(k.slot, Slot.PIN), 0, db + 1);
        return db;
      }
      if (k.fds.unhold(db)) releaseDesc(k, db);
    }
    // The fd was closed or renumbered meanwhile: look again.
  }
}

export function unpinDesc(k: Kernel, db: number): void {
  // Forgotten before the hold goes: a thread terminated in between leaks the hold rather than dropping it twice.
  Atomics.compareExchange(k.ctl.i32, k.ctl.slotIndex(k.slot, Slot.PIN), db + 1, 0);
  if (k.fds.unhold(db)) releaseDesc(k, db);
}

/** Runs fn with the description of the fd at `base` pinned. */
export function withDesc<T>(k: Kernel, base: number, fn: (db: number) => T): T {
  const db = pinDesc(k, base);
  try {
    return fn(db);
  } finally {
    unpinDesc(k, db);
  }
}

/**
 * Files and directories: reads and writes go straight to the backend from the calling thread, with
 * the cursor kept in the shared open description (under its lock, so concurrent reads through one fd
 * never return the same bytes twice). Every operation pins the description (pinDesc).
 */
export function createFileOps(k: Kernel): FileOps {
  const fds = k.fds;
  const i32 = fds.i32;

  interface File { desc: number; handle: number; backend: ReturnType<Kernel['backend']> }

  /** The file of a pinned description (its kind read from the description itself, which cannot change now). */
  function fileOf(db: number): File {
    const kind = i32[db + Desc.KIND];
    if (kind === FdKind.DIR) throw new WasiError(Errno.ISDIR);
    if (kind !== FdKind.FILE) throw new WasiError(Errno.BADF);
    // An atomic read: setAppend() may have just swapped the handle (see there).
    return { desc: db, handle: Atomics.load(i32, db + Desc.HANDLE), backend: k.backend(i32[db + Desc.BACKEND]!) };
  }

  function preadv(f: File, iovs: Uint8Array[], pos: number): number {
    let total = 0;
    for (const v of iovs) {
      if (v.length === 0) continue;
      const n = f.backend.pread(f.handle, v, pos + total);
      total += n;
      if (n < v.length) break;
    }
    return total;
  }

  function pwriteAll(f: File, data: Uint8Array, pos: number | 'append'): number {
    let done = 0;
    while (done < data.length) {
      const n = f.backend.pwrite(f.handle, done ? data.subarray(done) : data, pos === 'append' ? 'append' : pos + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  function read(_base: number, db: number, iovs: Uint8Array[], position: number | undefined): number {
    if (position !== undefined) return preadv(fileOf(db), iovs, position);
    fds.lockDesc(db);
    try {
      const f = fileOf(db); // under the lock: fd_fdstat_set_flags may swap the handle
      const off = fds.getOffset(db);
      const n = preadv(f, iovs, off);
      fds.setOffset(db, off + n);
      return n;
    } finally {
      fds.unlockDesc(db);
    }
  }

  function write(base: number, db: number, iovs: Uint8Array[], position: number | undefined): number {
    const data = gather(iovs); // one backend write = one atomic append
    if (position !== undefined) return data.length ? pwriteAll(fileOf(db), data, position) : 0;
    const append = (i32[base + FdSlot.FLAGS]! & FdFlags.APPEND) !== 0;
    fds.lockDesc(db);
    try {
      const f = fileOf(db);
      if (append) {
        let n: number;
        if (i32[db + Desc.OPEN_FLAGS]! & DescFlags.HOST_APPEND) {
          n = data.length ? pwriteAll(f, data, 'append') : 0;
        } else {
          n = data.length ? pwriteAll(f, data, Number(f.backend.fstat(f.handle).size)) : 0;
        }
        fds.setOffset(db, Number(f.backend.fstat(f.handle).size));
        return n;
      }
      const off = fds.getOffset(db);
      const n = data.length ? pwriteAll(f, data, off) : 0;
      fds.setOffset(db, off + n);
      return n;
    } finally {
      fds.unlockDesc(db);
    }
  }

  /**
   * APPEND on or off. A backend handle that appends by itself (a host fd opened with O_APPEND, where
   * Linux appends even positional writes) is reopened on the same file without it, or with it to turn
   * APPEND on atomically (FsBackend.reopen); the cursor lives in the description, so it is kept.
   */
  function setAppend(db: number, append: boolean): void {
    const f = fileOf(db);
    const flags = i32[db + Desc.OPEN_FLAGS]!;
    if (((flags & DescFlags.HOST_APPEND) !== 0) === append || !(flags & DescFlags.HOST_WRITE)) return;
    const next = f.backend.reopen
      ? f.backend.reopen(f.handle, { read: (flags & DescFlags.HOST_READ) !== 0, write: true, append })
      : f.handle;
    fds.lockDesc(db);
    let retired = 0;
    try {
      if (next !== f.handle) {
        // Swap first, then count holds: a call pinned after this point reads the new handle (both are
        // atomic), and one pinned before is counted, so the old handle is closed at once only if no call
        // can still be using it; otherwise at release (or at the next switch).
        Atomics.store(i32, db + Desc.HANDLE, next);
        if (Atomics.load(i32, db + Desc.HOLDS) === 2) retired = f.handle + 1;
        else {
          retired = i32[db + Desc.RETIRED]!; // an older one, from a previous switch, is closed now
          i32[db + Desc.RETIRED] = f.handle + 1;
        }
      }
      i32[db + Desc.OPEN_FLAGS] = append ? flags | DescFlags.HOST_APPEND : flags & ~DescFlags.HOST_APPEND;
    } finally {
      fds.unlockDesc(db);
    }
    if (retired) closeQuietly(f.backend, retired - 1);
  }

  return {
    // The hot path: pinned without a closure.
    read(_fd, base, iovs, position) {
      const db = pinDesc(k, base);
      try {
        return read(base, db, iovs, position);
      } finally {
        unpinDesc(k, db);
      }
    },
    write(_fd, base, iovs, position) {
      const db = pinDesc(k, base);
      try {
        return write(base, db, iovs, position);
      } finally {
        unpinDesc(k, db);
      }
    },

    seek(_fd, base, offset, whence) {
      const kind = i32[base + FdSlot.KIND];
      if (kind !== FdKind.FILE && kind !== FdKind.DIR) throw new WasiError(Errno.SPIPE);
      return withDesc(k, base, (desc) => {
        fds.lockDesc(desc);
        try {
          let origin: number;
          if (whence === Whence.SET) origin = 0;
          else if (whence === Whence.CUR) origin = fds.getOffset(desc);
          else if (whence === Whence.END) {
            const b = k.backend(i32[desc + Desc.BACKEND]!);
            origin = Number(b.fstat(i32[desc + Desc.HANDLE]!).size);
          } else throw new WasiError(Errno.INVAL);
          const next = BigInt(origin) + offset;
          if (next < 0n) throw new WasiError(Errno.INVAL);
          if (next > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasiError(Errno.OVERFLOW);
          fds.setOffset(desc, Number(next));
          return Number(next);
        } finally {
          fds.unlockDesc(desc);
        }
      });
    },

    filestat(_fd, base, ptr) {
      const st = withDesc(k, base, (desc) => k.backend(i32[desc + Desc.BACKEND]!).fstat(i32[desc + Desc.HANDLE]!));
      writeFilestat(k.mem.sync(), ptr, st);
    },

    setFlags(_fd, base, flags) {
      const kind = i32[base + FdSlot.KIND];
      if (kind === FdKind.DIR && flags & FdFlags.APPEND) throw new WasiError(Errno.ISDIR);
      if (kind === FdKind.FILE) withDesc(k, base, (db) => setAppend(db, (flags & FdFlags.APPEND) !== 0));
    },
  };
}

function closeQuietly(backend: Pick<FsBackend, 'close'>, handle: number): void {
  try {
    backend.close(handle);
  } catch {
    // closing must not fail the guest's call (the handle is gone either way)
  }
}

/**
 * Closes the backend handles a file or directory description holds: its own, and the one a reopen (an
 * O_APPEND change) retired. Quietly: the handle is gone either way.
 */
export function closeDescHandles(i32: Int32Array, db: number, backend: Pick<FsBackend, 'close'>): void {
  closeQuietly(backend, i32[db + Desc.HANDLE]!);
  const retired = i32[db + Desc.RETIRED]!;
  if (retired) closeQuietly(backend, retired - 1);
}

/**
 * Drops the fd table's hold on a closed description (e from FdTable.remove/renumber/dup, when `last`);
 * the description is released now, or by the last call still using it.
 */
export function releaseEntry(k: Kernel, e: FdEntry): void {
  if (e.descBase === undefined) throw new Error('releaseEntry needs an entry from FdTable.remove/renumber/dup');
  unpinDesc(k, e.descBase);
}

/** Releases what a description held (its last hold is gone): the backend handle, or the stream object. */
function releaseDesc(k: Kernel, db: number): void {
  const i = k.fds.i32;
  const kind = i[db + Desc.KIND]!;
  try {
    if (kind === FdKind.FILE || kind === FdKind.DIR) {
      closeDescHandles(i, db, k.backend(i[db + Desc.BACKEND]!));
    } else {
      k.releaseHooks[kind]?.({
        kind, filetype: 0, flags: 0, rightsBase: 0, rightsInheriting: 0,
        handle: i[db + Desc.HANDLE]!, backend: i[db + Desc.BACKEND]!, object: i[db + Desc.OBJECT]!,
      });
    }
  } finally {
    k.fds.freeDesc(db);
  }
}

export function isFileKind(kind: number): boolean {
  return kind === FdKind.FILE || kind === FdKind.DIR;
}
