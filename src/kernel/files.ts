import { Errno, WasiError } from '../abi/errno.js';
import { FdFlags, Whence } from '../abi/constants.js';
import { Filestat } from '../abi/layouts.js';
import type { Stat } from '../fs/backend.js';
import { Desc, DescFlags, Fd, FdKind, type FdEntry } from './fdtable.js';
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
 * Files and directories: reads and writes go straight to the backend from the calling thread, with
 * the cursor kept in the shared open description (under its lock, so concurrent reads through one fd
 * never return the same bytes twice).
 */
export function createFileOps(k: Kernel): FileOps {
  const fds = k.fds;
  const i32 = fds.i32;

  function fileOf(base: number): { desc: number; handle: number; backend: ReturnType<Kernel['backend']> } {
    const kind = i32[base + Fd.KIND];
    if (kind === FdKind.DIR) throw new WasiError(Errno.ISDIR);
    if (kind !== FdKind.FILE) throw new WasiError(Errno.BADF);
    const desc = fds.desc(base);
    return { desc, handle: i32[desc + Desc.HANDLE]!, backend: k.backend(i32[desc + Desc.BACKEND]!) };
  }

  function preadv(f: ReturnType<typeof fileOf>, iovs: Uint8Array[], pos: number): number {
    let total = 0;
    for (const v of iovs) {
      if (v.length === 0) continue;
      const n = f.backend.pread(f.handle, v, pos + total);
      total += n;
      if (n < v.length) break;
    }
    return total;
  }

  function pwriteAll(f: ReturnType<typeof fileOf>, data: Uint8Array, pos: number | 'append'): number {
    let done = 0;
    while (done < data.length) {
      const n = f.backend.pwrite(f.handle, done ? data.subarray(done) : data, pos === 'append' ? 'append' : pos + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  return {
    read(_fd, base, iovs, position) {
      const f = fileOf(base);
      if (position !== undefined) return preadv(f, iovs, position);
      fds.lockDesc(f.desc);
      try {
        const off = fds.getOffset(f.desc);
        const n = preadv(f, iovs, off);
        fds.setOffset(f.desc, off + n);
        return n;
      } finally {
        fds.unlockDesc(f.desc);
      }
    },

    write(_fd, base, iovs, position) {
      const f = fileOf(base);
      const data = gather(iovs); // one backend write = one atomic append
      if (position !== undefined) return data.length ? pwriteAll(f, data, position) : 0;
      const append = (i32[base + Fd.FLAGS]! & FdFlags.APPEND) !== 0;
      fds.lockDesc(f.desc);
      try {
        if (append) {
          let n: number;
          if (i32[f.desc + Desc.OPEN_FLAGS]! & DescFlags.HOST_APPEND) {
            n = data.length ? pwriteAll(f, data, 'append') : 0;
          } else {
            n = data.length ? pwriteAll(f, data, Number(f.backend.fstat(f.handle).size)) : 0;
          }
          fds.setOffset(f.desc, Number(f.backend.fstat(f.handle).size));
          return n;
        }
        const off = fds.getOffset(f.desc);
        const n = data.length ? pwriteAll(f, data, off) : 0;
        fds.setOffset(f.desc, off + n);
        return n;
      } finally {
        fds.unlockDesc(f.desc);
      }
    },

    seek(_fd, base, offset, whence) {
      const kind = i32[base + Fd.KIND];
      if (kind !== FdKind.FILE && kind !== FdKind.DIR) throw new WasiError(Errno.SPIPE);
      const desc = fds.desc(base);
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
    },

    filestat(_fd, base, ptr) {
      const desc = fds.desc(base);
      const st = k.backend(i32[desc + Desc.BACKEND]!).fstat(i32[desc + Desc.HANDLE]!);
      writeFilestat(k.mem.sync(), ptr, st);
    },

    setFlags(_fd, base, flags) {
      // Only APPEND changes behaviour here; it is emulated when the host handle was not opened appending.
      const kind = i32[base + Fd.KIND];
      if (kind === FdKind.DIR && flags & FdFlags.APPEND) throw new WasiError(Errno.ISDIR);
    },
  };
}

/** Releases what a closed description held (called when its last fd goes away). */
export function releaseEntry(k: Kernel, e: FdEntry): void {
  if (e.kind === FdKind.FILE || e.kind === FdKind.DIR) {
    try {
      k.backend(e.backend).close(e.handle);
    } catch {
      // closing must not fail the guest's close (the fd is gone either way)
    }
    return;
  }
  k.releaseHooks[e.kind]?.(e);
}

export function isFileKind(kind: number): boolean {
  return kind === FdKind.FILE || kind === FdKind.DIR;
}
