import { Errno, WasiError } from '../../abi/errno.js';
import { Advice, Filetype, FstFlags, LookupFlags, Rights } from '../../abi/constants.js';
import { Dirent, Filestat } from '../../abi/layouts.js';
import type { DirEntry, TimeSpec } from '../../fs/backend.js';
import { decodeGuestPath, ESCAPE_ERRNO } from '../../fs/resolve.js';
import { parentPath } from '../../fs/path.js';
import { Desc, FdSlot, FdKind } from '../shared/fd-table.js';
import { withDesc, writeFilestat } from '../files.js';
import type { Kernel } from '../kernel.js';
import { dirRef as dirRefIn, lookup, openPath, type DirRef } from '../path-open.js';
import { errno, type Preview1Table } from './types.js';

/**
 * Filesystem calls: path_* (resolved in the sandbox of the directory fd, see fs/resolve.ts) and the
 * fd_* calls specific to files and directories. Everything runs in the calling thread.
 */
export function fsSyscalls(k: Kernel): Preview1Table {
  const fds = k.fds;
  const i32 = fds.i32;
  /** Directory listings per open description, so fd_readdir with a cookie does not re-list. */
  const listings = new Map<number, { handle: number; entries: DirEntry[] }>();

  const dirRef = (fd: number, rights: number): DirRef => dirRefIn(k, fds, fd, rights);

  function guestPath(ptr: number, len: number): string {
    return decodeGuestPath(k.mem.sync().bytes(ptr, len));
  }

  function timeSpec(value: bigint, set: number, now: number, flags: number): TimeSpec {
    if (flags & set && flags & now) throw new WasiError(Errno.INVAL);
    if (flags & now) return 'now';
    if (flags & set) return value;
    return undefined;
  }

  /** The listing of a pinned directory description (db). */
  function listing(base: number, db: number, cookie: bigint): DirEntry[] {
    const desc = i32[base + FdSlot.DESC]!;
    const handle = i32[db + Desc.HANDLE]!;
    let cached = listings.get(desc);
    if (!cached || cached.handle !== handle || cookie === 0n) {
      const backend = k.backend(i32[db + Desc.BACKEND]!);
      const self = backend.fstat(handle);
      const path = fds.path(base);
      let parentIno = self.ino;
      if (path !== '') {
        try {
          parentIno = backend.lstat(parentPath(path)).ino;
        } catch {
          // keep the directory's own inode
        }
      }
      const entries: DirEntry[] = [
        { name: '.', ino: self.ino, filetype: Filetype.DIRECTORY },
        { name: '..', ino: parentIno, filetype: Filetype.DIRECTORY },
        ...backend.readdir(handle),
      ];
      cached = { handle, entries };
      listings.set(desc, cached);
    }
    return cached.entries;
  }

  const enc = new TextEncoder();
  /** fd_readdir's copy of a dirent that does not fit whole. */
  let header: DataView | undefined;
  /** The last path_readlink found a symlink (it guesses the next one will be one too). */
  let linkLast = false;

  return {
    path_open: errno(function path_open(dirfd: number, dirflags: number, pathPtr: number, pathLen: number, oflags: number,
      rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdPtr: number) {
      k.mem.sync().check(fdPtr, 4);
      const fd = openPath(k, fds, dirfd, guestPath(pathPtr, pathLen), dirflags, oflags, rightsBase, rightsInheriting, fdflags);
      if (fd < 0) return -fd;
      k.mem.sync().setU32(fdPtr, fd);
      return 0;
    }),

    path_create_directory: errno(function path_create_directory(fd: number, pathPtr: number, pathLen: number) {
      const dir = dirRef(fd, Rights.PATH_CREATE_DIRECTORY);
      // The host's mkdir reports an existing name (EEXIST) itself: no lookup of it first (checksNames).
      const r = lookup(dir, guestPath(pathPtr, pathLen), false, { forUse: true, skipFinal: dir.backend.checksNames === true });
      if (r.type !== null) return Errno.EXIST;
      dir.backend.mkdir(r.path);
      return 0;
    }),

    path_remove_directory: errno(function path_remove_directory(fd: number, pathPtr: number, pathLen: number) {
      const dir = dirRef(fd, Rights.PATH_REMOVE_DIRECTORY);
      // The host's rmdir reports a missing name or a non-directory (ENOENT, ENOTDIR) itself (checksNames).
      const r = lookup(dir, guestPath(pathPtr, pathLen), false, { forUse: true, skipFinal: dir.backend.checksNames === true });
      if (r.endsInDot) return r.path === dir.path ? Errno.INVAL : Errno.NOTEMPTY;
      if (!r.unchecked) {
        if (r.type === null) return Errno.NOENT;
        if (r.type !== Filetype.DIRECTORY) return Errno.NOTDIR;
      }
      dir.backend.rmdir(r.path);
      listings.clear();
      return 0;
    }),

    path_unlink_file: errno(function path_unlink_file(fd: number, pathPtr: number, pathLen: number) {
      const dir = dirRef(fd, Rights.PATH_UNLINK_FILE);
      // The host's unlink reports a missing name or a directory (ENOENT, EISDIR) itself (checksNames).
      const r = lookup(dir, guestPath(pathPtr, pathLen), false, { forUse: true, skipFinal: dir.backend.checksNames === true });
      if (!r.unchecked) {
        if (r.type === null) return Errno.NOENT;
        if (r.type === Filetype.DIRECTORY) return Errno.ISDIR;
        if (r.trailingSlash) return Errno.NOTDIR;
      }
      dir.backend.unlink(r.path);
      return 0;
    }),

    path_filestat_get: errno(function path_filestat_get(fd: number, flags: number, pathPtr: number, pathLen: number, buf: number) {
      const m = k.mem.sync();
      const p = m.check(buf, Filestat.size);
      const dir = dirRef(fd, Rights.PATH_FILESTAT_GET);
      const r = lookup(dir, guestPath(pathPtr, pathLen), (flags & LookupFlags.SYMLINK_FOLLOW) !== 0, { stat: true });
      if (!r.stat) return Errno.NOENT;
      writeFilestat(k.mem.sync(), p, r.stat);
      return 0;
    }),

    path_filestat_set_times: errno(function path_filestat_set_times(fd: number, flags: number, pathPtr: number, pathLen: number, atim: bigint, mtim: bigint, fst: number) {
      const dir = dirRef(fd, Rights.PATH_FILESTAT_SET_TIMES);
      const a = timeSpec(atim, FstFlags.ATIM, FstFlags.ATIM_NOW, fst);
      const mt = timeSpec(mtim, FstFlags.MTIM, FstFlags.MTIM_NOW, fst);
      const r = lookup(dir, guestPath(pathPtr, pathLen), (flags & LookupFlags.SYMLINK_FOLLOW) !== 0, { forUse: true });
      if (r.type === null) return Errno.NOENT;
      dir.backend.utimes(r.path, a, mt);
      return 0;
    }),

    path_link: errno(function path_link(oldFd: number, oldFlags: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) {
      const src = dirRef(oldFd, Rights.PATH_LINK_SOURCE);
      const dst = dirRef(newFd, Rights.PATH_LINK_TARGET);
      const from = lookup(src, guestPath(oldPtr, oldLen), (oldFlags & LookupFlags.SYMLINK_FOLLOW) !== 0);
      const to = lookup(dst, guestPath(newPtr, newLen), false, { forUse: true });
      if (from.type === null) return Errno.NOENT;
      if (to.type !== null) return Errno.EXIST;
      if (from.type === Filetype.DIRECTORY) return Errno.PERM;
      if (src.backendIndex !== dst.backendIndex) return Errno.XDEV;
      if (to.trailingSlash) return Errno.NOENT;
      src.backend.link(from.path, to.path);
      return 0;
    }),

    path_readlink: errno(function path_readlink(fd: number, pathPtr: number, pathLen: number, buf: number, bufLen: number, nread: number) {
      const m = k.mem.sync();
      m.check(nread, 4);
      const out = m.bytes(buf, bufLen);
      const dir = dirRef(fd, Rights.PATH_READLINK);
      const be = dir.backend;
      const p = guestPath(pathPtr, pathLen);
      // A directory the backend vouches for (one host call) is no symlink: realpath() in wasi-libc asks
      // this of every prefix of a path (napi-rs loaders, @napi-rs/tar: ~20 per file). Only a canonical
      // relative path can name a vouched-for directory (FsBackend.verifiedDir); '' is ENOENT, not this.
      if (p !== '' && be.verifiedDir !== undefined && be.verifiedDir(dir.path === '' ? p : `${dir.path}/${p}`)) return Errno.INVAL;
      // After a symlink, guess another one: read it without looking it up first (one host call instead of
      // two); a wrong guess costs an exception in place of the lookup (readlinkIfLink).
      const r = lookup(dir, p, false, { skipFinal: linkLast && be.readlinkIfLink !== undefined });
      let text: string | null;
      if (r.unchecked) {
        text = be.readlinkIfLink!(r.path);
        if (text === null) {
          linkLast = false;
          return Errno.INVAL;
        }
      } else {
        if (r.type === null) return Errno.NOENT;
        linkLast = r.type === Filetype.SYMBOLIC_LINK;
        if (!linkLast) return Errno.INVAL;
        text = be.readlink(r.path);
      }
      const target = enc.encode(text);
      const n = Math.min(target.length, out.length);
      k.mem.sync().bytes(buf, n).set(target.subarray(0, n));
      k.mem.setU32(nread, n);
      return 0;
    }),

    path_rename: errno(function path_rename(oldFd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) {
      const src = dirRef(oldFd, Rights.PATH_RENAME_SOURCE);
      const dst = dirRef(newFd, Rights.PATH_RENAME_TARGET);
      const from = lookup(src, guestPath(oldPtr, oldLen), false);
      const to = lookup(dst, guestPath(newPtr, newLen), false, { forUse: true });
      if (from.endsInDot || to.endsInDot) return Errno.BUSY;
      if (from.type === null) return Errno.NOENT;
      if (src.backendIndex !== dst.backendIndex) return Errno.XDEV;
      if ((from.trailingSlash || to.trailingSlash) && from.type !== Filetype.DIRECTORY) return Errno.NOTDIR;
      src.backend.rename(from.path, to.path);
      listings.clear();
      return 0;
    }),

    path_symlink: errno(function path_symlink(oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number) {
      const target = guestPath(oldPtr, oldLen);
      const dir = dirRef(fd, Rights.PATH_SYMLINK);
      // An absolute target could never be followed inside the sandbox (as Wasmtime refuses it), except
      // under a preopen mounted at '/', where it resolves from that preopen's root.
      if (target.startsWith('/') && !dir.rootMount) return ESCAPE_ERRNO;
      const r = lookup(dir, guestPath(newPtr, newLen), false, { forUse: true });
      if (r.type !== null) return Errno.EXIST;
      if (r.trailingSlash) return Errno.NOENT;
      dir.backend.symlink(target, r.path);
      return 0;
    }),

    fd_readdir: errno(function fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, bufusedPtr: number) {
      const m = k.mem.sync();
      m.check(bufusedPtr, 4);
      const out = m.check(buf, bufLen);
      const base = fds.require(fd, Rights.FD_READDIR);
      if (i32[base + FdSlot.KIND] !== FdKind.DIR) return Errno.NOTDIR;
      const entries = withDesc(k, base, (db) => listing(base, db, cookie));
      const len = bufLen >>> 0;
      const u8 = m.u8, dv = m.dv; // checked above: [out, out + len) is in bounds
      let used = 0;
      for (let idx = Number(cookie); idx < entries.length && used < len; idx++) {
        const e = entries[idx]!;
        const name = e.name;
        // Most names are ASCII: their bytes are their char codes (no encoder, no allocation).
        let bytes: Uint8Array | undefined;
        for (let i = 0; i < name.length; i++) {
          if (name.charCodeAt(i) > 0x7f) {
            bytes = enc.encode(name);
            break;
          }
        }
        const namlen = bytes === undefined ? name.length : bytes.length;
        if (len - used >= Dirent.size) {
          // Straight into guest memory (the cookie of the next entry is below 2^32: a listing is an array)
          const at = out + used;
          dv.setUint32(at + Dirent.next, idx + 1, true);
          dv.setUint32(at + Dirent.next + 4, 0, true);
          dv.setBigUint64(at + Dirent.ino, e.ino, true);
          dv.setUint32(at + Dirent.namlen, namlen, true);
          dv.setUint32(at + Dirent.type, e.filetype, true);
          used += Dirent.size;
        } else {
          // A dirent cut at the end of the buffer tells the caller to grow it: the part that fits.
          header ??= new DataView(new ArrayBuffer(Dirent.size));
          header.setBigUint64(Dirent.next, BigInt(idx + 1), true);
          header.setBigUint64(Dirent.ino, e.ino, true);
          header.setUint32(Dirent.namlen, namlen, true);
          header.setUint32(Dirent.type, e.filetype, true);
          u8.set(new Uint8Array(header.buffer, 0, len - used), out + used);
          used = len;
          break;
        }
        const n = Math.min(namlen, len - used);
        if (bytes !== undefined) u8.set(bytes.subarray(0, n), out + used);
        else for (let i = 0; i < n; i++) u8[out + used + i] = name.charCodeAt(i);
        used += n;
      }
      m.setU32(bufusedPtr, used);
      return 0;
    }),

    fd_filestat_set_size: errno(function fd_filestat_set_size(fd: number, size: bigint) {
      const base = fds.require(fd, Rights.FD_FILESTAT_SET_SIZE);
      if (i32[base + FdSlot.KIND] !== FdKind.FILE) return i32[base + FdSlot.KIND] === FdKind.DIR ? Errno.ISDIR : Errno.INVAL;
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) return Errno.FBIG;
      withDesc(k, base, (db) => k.backend(i32[db + Desc.BACKEND]!).ftruncate(i32[db + Desc.HANDLE]!, Number(size)));
      return 0;
    }),

    fd_filestat_set_times: errno(function fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, fst: number) {
      const base = fds.require(fd, Rights.FD_FILESTAT_SET_TIMES);
      const kind = i32[base + FdSlot.KIND];
      if (kind !== FdKind.FILE && kind !== FdKind.DIR) return Errno.BADF;
      const a = timeSpec(atim, FstFlags.ATIM, FstFlags.ATIM_NOW, fst);
      const mt = timeSpec(mtim, FstFlags.MTIM, FstFlags.MTIM_NOW, fst);
      withDesc(k, base, (db) => k.backend(i32[db + Desc.BACKEND]!).futimes(i32[db + Desc.HANDLE]!, a, mt));
      return 0;
    }),

    fd_advise: errno(function fd_advise(fd: number, _offset: bigint, _len: bigint, advice: number) {
      const base = fds.require(fd, Rights.FD_ADVISE);
      if (advice >>> 0 > Advice.NOREUSE) return Errno.INVAL;
      const kind = i32[base + FdSlot.KIND];
      if (kind === FdKind.DIR) return Errno.BADF;
      if (kind !== FdKind.FILE) return Errno.SPIPE;
      return 0; // advice only; nothing to do
    }),

    fd_allocate: errno(function fd_allocate(fd: number, offset: bigint, len: bigint) {
      const base = fds.require(fd, Rights.FD_ALLOCATE);
      if (i32[base + FdSlot.KIND] !== FdKind.FILE) return Errno.BADF;
      if (len === 0n) return Errno.INVAL;
      const end = offset + len;
      if (end > BigInt(Number.MAX_SAFE_INTEGER)) return Errno.FBIG;
      withDesc(k, base, (db) => {
        const b = k.backend(i32[db + Desc.BACKEND]!);
        const h = i32[db + Desc.HANDLE]!;
        if (b.fstat(h).size < end) b.ftruncate(h, Number(end));
      });
      return 0;
    }),

    fd_sync: errno(function fd_sync(fd: number) {
      return sync(fd, Rights.FD_SYNC, false);
    }),
    fd_datasync: errno(function fd_datasync(fd: number) {
      return sync(fd, Rights.FD_DATASYNC, true);
    }),

    // Sockets: preview1 has no way to create one, so every fd here is not a socket.
    sock_accept: errno(function sock_accept(fd: number, _flags: number, _retFd: number) {
      return notSock(fd);
    }),
    sock_recv: errno(function sock_recv(fd: number, _iovs: number, _iovsLen: number, _flags: number, _retN: number,
      _retFlags: number) {
      return notSock(fd);
    }),
    sock_send: errno(function sock_send(fd: number, _iovs: number, _iovsLen: number, _flags: number, _retN: number) {
      return notSock(fd);
    }),
    sock_shutdown: errno(function sock_shutdown(fd: number, _how: number) {
      return notSock(fd);
    }),
  };

  function sync(fd: number, right: number, dataOnly: boolean): number {
    const base = fds.require(fd, right);
    const kind = i32[base + FdSlot.KIND];
    if (kind !== FdKind.FILE && kind !== FdKind.DIR) return Errno.INVAL;
    withDesc(k, base, (db) => k.backend(i32[db + Desc.BACKEND]!).fsync(i32[db + Desc.HANDLE]!, dataOnly));
    return 0;
  }

  function notSock(fd: number): number {
    return k.fds.kind(fd) === FdKind.FREE ? Errno.BADF : Errno.NOTSOCK;
  }
}
