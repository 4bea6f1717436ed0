import { Errno, WasiError } from '../../abi/errno.js';
import { FdFlags, PreopenType, Rights } from '../../abi/constants.js';
import { Fdstat, Filestat, Prestat } from '../../abi/layouts.js';
import { FdSlot, FdKind } from '../shared/fd-table.js';
import type { Kernel } from '../kernel.js';
import { stdioRead, stdioWrite } from '../stdio.js';
import { isFileKind, pinDesc, releaseEntry, unpinDesc, type FileOps } from '../files.js';
import { blocking, errno, type Preview1Table } from './types.js';

/**
 * Descriptor calls that apply to every kind of fd. Each dispatches on the entry's kind: stdio here,
 * files and directories to FileOps, pipes and eventfds to their own objects.
 */
export function fdSyscalls(k: Kernel, files: FileOps): Preview1Table {
  const fds = k.fds;

  function write(fd: number, iovsPtr: number, iovsLen: number, position: number | undefined): number {
    const m = k.mem.sync();
    const base = fds.require(fd, Rights.FD_WRITE | (position === undefined ? 0 : Rights.FD_SEEK));
    const iovs = m.iovecs(iovsPtr, iovsLen);
    const kind = fds.i32[base + FdSlot.KIND];
    if (kind === FdKind.STDIO) {
      if (position !== undefined) throw new WasiError(Errno.SPIPE);
      return stdioWrite(k, fds.handle(base), iovs);
    }
    const stream = k.streams[kind!];
    if (stream) {
      if (position !== undefined) throw new WasiError(Errno.SPIPE);
      // Pinned like files: a close in another thread meanwhile cannot release the stream object under us.
      const db = pinDesc(k, base);
      try {
        return stream.write(base, iovs);
      } finally {
        unpinDesc(k, db);
      }
    }
    return files.write(fd, base, iovs, position);
  }

  function read(fd: number, iovsPtr: number, iovsLen: number, position: number | undefined): number {
    const m = k.mem.sync();
    const base = fds.require(fd, Rights.FD_READ | (position === undefined ? 0 : Rights.FD_SEEK));
    const iovs = m.iovecs(iovsPtr, iovsLen);
    const kind = fds.i32[base + FdSlot.KIND];
    if (kind === FdKind.STDIO) {
      if (position !== undefined) throw new WasiError(Errno.SPIPE);
      return stdioRead(k, fds.handle(base), iovs);
    }
    const stream = k.streams[kind!];
    if (stream) {
      if (position !== undefined) throw new WasiError(Errno.SPIPE);
      const db = pinDesc(k, base);
      try {
        return stream.read(base, iovs);
      } finally {
        unpinDesc(k, db);
      }
    }
    return files.read(fd, base, iovs, position);
  }

  function position(offset: bigint): number {
    if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasiError(Errno.INVAL);
    return Number(offset);
  }

  return {
    fd_write: blocking(function fd_write(fd: number, iovs: number, iovsLen: number, nwritten: number) {
      const m = k.mem.sync();
      m.check(nwritten, 4);
      const n = write(fd, iovs, iovsLen, undefined);
      m.sync().setU32(nwritten, n);
      return 0;
    }),

    fd_pwrite: blocking(function fd_pwrite(fd: number, iovs: number, iovsLen: number, offset: bigint, nwritten: number) {
      const m = k.mem.sync();
      m.check(nwritten, 4);
      const n = write(fd, iovs, iovsLen, position(offset));
      m.sync().setU32(nwritten, n);
      return 0;
    }),

    fd_read: blocking(function fd_read(fd: number, iovs: number, iovsLen: number, nread: number) {
      const m = k.mem.sync();
      m.check(nread, 4);
      const n = read(fd, iovs, iovsLen, undefined);
      m.sync().setU32(nread, n);
      return 0;
    }),

    fd_pread: blocking(function fd_pread(fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number) {
      const m = k.mem.sync();
      m.check(nread, 4);
      const n = read(fd, iovs, iovsLen, position(offset));
      m.sync().setU32(nread, n);
      return 0;
    }),

    fd_close: errno(function fd_close(fd: number) {
      const e = fds.remove(fd);
      if (e.last) releaseEntry(k, e);
      return 0;
    }),

    fd_renumber: errno(function fd_renumber(from: number, to: number) {
      const old = fds.renumber(from, to);
      if (old?.last) releaseEntry(k, old);
      return 0;
    }),

    fd_fdstat_get: errno(function fd_fdstat_get(fd: number, ptr: number) {
      const m = k.mem.sync();
      const p = m.check(ptr, Fdstat.size);
      const base = fds.require(fd, 0);
      const i = fds.i32;
      m.u8.fill(0, p, p + Fdstat.size);
      m.dv.setUint8(p + Fdstat.filetype, i[base + FdSlot.FILETYPE]!);
      m.dv.setUint16(p + Fdstat.flags, i[base + FdSlot.FLAGS]!, true);
      m.dv.setUint32(p + Fdstat.rightsBase, i[base + FdSlot.RIGHTS_BASE]!, true);
      m.dv.setUint32(p + Fdstat.rightsInheriting, i[base + FdSlot.RIGHTS_INHERITING]!, true);
      return 0;
    }),

    fd_fdstat_set_flags: errno(function fd_fdstat_set_flags(fd: number, flags: number) {
      const base = fds.require(fd, Rights.FD_FDSTAT_SET_FLAGS);
      if (flags & ~(FdFlags.APPEND | FdFlags.DSYNC | FdFlags.NONBLOCK | FdFlags.RSYNC | FdFlags.SYNC)) {
        return Errno.INVAL;
      }
      const kind = fds.i32[base + FdSlot.KIND]!;
      if (kind !== FdKind.STDIO && !k.streams[kind]) files.setFlags(fd, base, flags);
      Atomics.store(fds.i32, base + FdSlot.FLAGS, flags);
      return 0;
    }),

    fd_fdstat_set_rights: errno(function fd_fdstat_set_rights(fd: number, base: bigint, inheriting: bigint) {
      const b = fds.require(fd, 0);
      const curBase = BigInt(fds.i32[b + FdSlot.RIGHTS_BASE]! >>> 0);
      const curInh = BigInt(fds.i32[b + FdSlot.RIGHTS_INHERITING]! >>> 0);
      // Rights can only be dropped, never gained.
      if ((base & ~curBase) !== 0n || (inheriting & ~curInh) !== 0n) return Errno.NOTCAPABLE;
      Atomics.store(fds.i32, b + FdSlot.RIGHTS_BASE, Number(base));
      Atomics.store(fds.i32, b + FdSlot.RIGHTS_INHERITING, Number(inheriting));
      return 0;
    }),

    fd_seek: errno(function fd_seek(fd: number, offset: bigint, whence: number, newOffset: number) {
      const m = k.mem.sync();
      m.check(newOffset, 8);
      const base = fds.require(fd, 0);
      if (!isFileKind(fds.i32[base + FdSlot.KIND]!)) return Errno.SPIPE;
      // Tell-only seeks need only FD_TELL (as wasmtime does).
      const need = offset === 0n && whence === 1 ? Rights.FD_TELL : Rights.FD_SEEK;
      fds.require(fd, need);
      m.setU64n(newOffset, files.seek(fd, base, offset, whence));
      return 0;
    }),

    fd_tell: errno(function fd_tell(fd: number, ptr: number) {
      const m = k.mem.sync();
      m.check(ptr, 8);
      const base = fds.require(fd, Rights.FD_TELL);
      if (!isFileKind(fds.i32[base + FdSlot.KIND]!)) return Errno.SPIPE;
      m.setU64n(ptr, files.seek(fd, base, 0n, 1));
      return 0;
    }),

    fd_filestat_get: errno(function fd_filestat_get(fd: number, ptr: number) {
      const m = k.mem.sync();
      const p = m.check(ptr, Filestat.size);
      const base = fds.require(fd, Rights.FD_FILESTAT_GET);
      const kind = fds.i32[base + FdSlot.KIND]!;
      if (kind === FdKind.STDIO || k.streams[kind]) {
        m.u8.fill(0, p, p + Filestat.size);
        m.dv.setUint8(p + Filestat.filetype, fds.i32[base + FdSlot.FILETYPE]!);
        m.dv.setBigUint64(p + Filestat.nlink, 1n, true);
        return 0;
      }
      files.filestat(fd, base, p);
      return 0;
    }),

    fd_prestat_get: errno(function fd_prestat_get(fd: number, ptr: number) {
      const m = k.mem.sync();
      const p = m.check(ptr, Prestat.size);
      if (fds.kind(fd) !== FdKind.DIR) return Errno.BADF;
      const pre = fds.i32[fds.at(fd, FdSlot.PREOPEN)]! - 1;
      const name = k.cfg.preopens[pre]?.guestPath;
      if (name === undefined) return Errno.BADF;
      m.dv.setUint32(p + Prestat.tag, PreopenType.DIR, true);
      m.dv.setUint32(p + Prestat.dirNameLen, new TextEncoder().encode(name).length, true);
      return 0;
    }),

    fd_prestat_dir_name: errno(function fd_prestat_dir_name(fd: number, pathPtr: number, pathLen: number) {
      const m = k.mem.sync();
      if (fds.kind(fd) !== FdKind.DIR) return Errno.BADF;
      const pre = fds.i32[fds.at(fd, FdSlot.PREOPEN)]! - 1;
      const name = k.cfg.preopens[pre]?.guestPath;
      if (name === undefined) return Errno.BADF;
      const bytes = new TextEncoder().encode(name);
      if (pathLen >>> 0 < bytes.length) return Errno.NAMETOOLONG;
      m.bytes(pathPtr, bytes.length).set(bytes);
      return 0;
    }),
  };
}
