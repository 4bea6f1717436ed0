import { Errno, WasiError } from '../../abi/errno.js';
import { FdFlags, Filetype, Rights } from '../../abi/constants.js';
import { EventFdFlags, FdFlagsExt } from '../../abi/wasix.js';
import { decodeGuestPath, resolve } from '../../fs/resolve.js';
import { locateMount, normalizeAbsolute } from '../../fs/path.js';
import { FdSlot, FdKind, MAX_FDS } from '../shared/fd-table.js';
import { releaseEntry } from '../files.js';
import type { Kernel } from '../kernel.js';
import { StreamObject, ObjType, type WasixState } from '../shared/wasix-state.js';
import { openPath } from '../path-open.js';
import { errno, type Provides, type WasixTable } from './types.js';

const STREAM_RIGHTS = Rights.FD_READ | Rights.FD_WRITE | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS |
  Rights.FD_FILESTAT_GET;

/**
 * wasix_32v1 descriptor calls: dup/dup2 (and fd_renumber with dup2's meaning), pipes, eventfds, close-on-exec flags, path_open2, and the
 * process working directory (getcwd/chdir). wasix-libc resolves relative paths itself against the cwd it
 * reads with getcwd, so the kernel only keeps the cwd and checks it names a directory.
 */
export function wasixFdSyscalls(k: Kernel, st: WasixState): Provides<WasixTable, 'fd_renumber'> {
  const fds = k.fds;

  function newStreamPair(type: number, ends: number): { o: number } {
    const o = st.allocObject(type, 1, ends === 2 ? 1 : 0);
    if (o < 0) throw new WasiError(Errno.NFILE);
    return { o };
  }

  /** Which preopen (and path inside it) an absolute guest path names; undefined when none does. */
  const locate = (abs: string) => locateMount(k.cfg.preopens, abs);

  return {
    fd_dup: errno(function fd_dup(fd: number, retFd: number) {
      const m = k.mem.sync();
      m.check(retFd, 4);
      const r = fds.dup(fd);
      m.setU32(retFd, r.fd);
      return 0;
    }),

    fd_dup2: errno(function fd_dup2(fd: number, minFd: number, cloexec: number, retFd: number) {
      const m = k.mem.sync();
      m.check(retFd, 4);
      if (minFd >>> 0 >= MAX_FDS) return Errno.INVAL;
      const r = fds.dup(fd, { minFd: minFd >>> 0 });
      if (cloexec) Atomics.store(fds.i32, fds.at(r.fd, FdSlot.FDFLAGS_EXT), FdFlagsExt.CLOEXEC);
      m.setU32(retFd, r.fd);
      return 0;
    }),

    /**
     * wasix-libc implements dup2() as fd_renumber, so for WASIX programs it has dup2's meaning (as in
     * Wasmer): `from` stays open, `to` may be closed or free, and the new fd is not close-on-exec.
     * Without it, `dup2(pipe[1], 1); close(pipe[1])` -- every shell's redirection -- would fail.
     */
    fd_renumber: errno(function fd_renumber(from: number, to: number) {
      if (to >>> 0 >= MAX_FDS) return Errno.BADF;
      const r = k.fds.dup(from, { at: to });
      if (r.closed?.last) releaseEntry(k, r.closed);
      return 0;
    }),

    fd_fdflags_get: errno(function fd_fdflags_get(fd: number, retFlags: number) {
      const m = k.mem.sync();
      m.check(retFlags, 2);
      const base = fds.require(fd, 0);
      m.setU16(retFlags, Atomics.load(fds.i32, base + FdSlot.FDFLAGS_EXT));
      return 0;
    }),

    fd_fdflags_set: errno(function fd_fdflags_set(fd: number, flags: number) {
      const base = fds.require(fd, 0);
      if (flags & ~FdFlagsExt.CLOEXEC) return Errno.INVAL;
      Atomics.store(fds.i32, base + FdSlot.FDFLAGS_EXT, flags);
      return 0;
    }),

    fd_pipe: errno(function fd_pipe(ret0: number, ret1: number) {
      const m = k.mem.sync();
      m.check(ret0, 4);
      m.check(ret1, 4);
      const { o } = newStreamPair(ObjType.PIPE, 2);
      const entry = (end: number) => ({
        kind: FdKind.PIPE, filetype: Filetype.UNKNOWN, flags: 0, rightsBase: STREAM_RIGHTS, rightsInheriting: 0,
        handle: end, backend: -1, object: o,
      });
      let fd0 = -1;
      try {
        fd0 = fds.insert(entry(0));
        const fd1 = fds.insert(entry(1));
        m.sync().setU32(ret0, fd0);
        m.setU32(ret1, fd1);
      } catch (e) {
        // fd0's description owns end 0 once inserted: closing it releases that end (and its slot).
        if (fd0 >= 0) releaseEntry(k, fds.remove(fd0));
        else st.releaseObject(o, 0);
        st.releaseObject(o, 1);
        throw e;
      }
      return 0;
    }),

    fd_event: errno(function fd_event(initial: bigint, flags: number, retFd: number) {
      const m = k.mem.sync();
      m.check(retFd, 4);
      if (flags & ~(EventFdFlags.SEMAPHORE | EventFdFlags.NONBLOCK)) return Errno.INVAL;
      if (initial < 0n || initial > 0xfffffffffffffffen) return Errno.INVAL;
      const { o } = newStreamPair(ObjType.EVENT, 1);
      st.oi32[st.obj(o, StreamObject.EV_LO)] = Number(initial & 0xffffffffn) | 0;
      st.oi32[st.obj(o, StreamObject.EV_HI)] = Number(initial >> 32n) | 0;
      st.oi32[st.obj(o, StreamObject.EV_FLAGS)] = flags & EventFdFlags.SEMAPHORE;
      try {
        const fd = fds.insert({
          kind: FdKind.EVENT, filetype: Filetype.UNKNOWN, flags: flags & EventFdFlags.NONBLOCK ? FdFlags.NONBLOCK : 0, rightsBase: STREAM_RIGHTS, rightsInheriting: 0,
          handle: 0, backend: -1, object: o,
        });
        m.sync().setU32(retFd, fd);
      } catch (e) {
        st.releaseObject(o, 0);
        throw e;
      }
      return 0;
    }),

    path_open2: errno(function path_open2(dirfd: number, dirflags: number, pathPtr: number, pathLen: number, oflags: number,
      rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdflagsExt: number, fdPtr: number) {
      if (fdflagsExt & ~FdFlagsExt.CLOEXEC) return Errno.INVAL;
      k.mem.sync().check(fdPtr, 4);
      const path = decodeGuestPath(k.mem.sync().bytes(pathPtr, pathLen));
      const fd = openPath(k, fds, dirfd, path, dirflags, oflags, rightsBase, rightsInheriting, fdflags);
      if (fd < 0) return -fd;
      if (fdflagsExt) Atomics.store(fds.i32, fds.at(fd, FdSlot.FDFLAGS_EXT), fdflagsExt);
      k.mem.sync().setU32(fdPtr, fd);
      return 0;
    }),

    getcwd: errno(function getcwd(buf: number, lenPtr: number) {
      const m = k.mem.sync();
      const cap = m.getU32(lenPtr);
      const bytes = new TextEncoder().encode(st.cwd());
      if (cap < bytes.length + 1) {
        m.setU32(lenPtr, bytes.length + 1);
        return Errno.RANGE;
      }
      const dst = m.bytes(buf, bytes.length + 1);
      dst.set(bytes);
      dst[bytes.length] = 0;
      m.setU32(lenPtr, bytes.length);
      return 0;
    }),

    chdir: errno(function chdir(pathPtr: number, pathLen: number) {
      const raw = decodeGuestPath(k.mem.sync().bytes(pathPtr, pathLen));
      if (raw === '') return Errno.NOENT;
      const abs = normalizeAbsolute(raw.startsWith('/') ? raw : st.cwd() + '/' + raw);
      if (abs !== '/') {
        const at = locate(abs);
        if (!at) return Errno.NOENT;
        if (at.rel !== '') {
          const r = resolve(k.backend(at.index), '', at.rel, true);
          if (!r.stat) return Errno.NOENT;
          if (r.stat.filetype !== Filetype.DIRECTORY) return Errno.NOTDIR;
        }
      }
      if (!st.setCwd(abs)) return Errno.NAMETOOLONG;
      return 0;
    }),
  };
}
