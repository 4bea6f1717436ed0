import { Errno, WasiError } from '../abi/errno.js';
import { FdFlags, Filetype, LookupFlags, OFlags, Rights } from '../abi/constants.js';
import type { FsBackend } from '../fs/backend.js';
import { isRootMount } from '../fs/path.js';
import { resolve, type Resolved } from '../fs/resolve.js';
import type { Kernel } from './kernel.js';
import { DescFlags, FdKind, FdSlot, type FdTable } from './shared/fd-table.js';
import { DIR_RIGHTS, FILE_RIGHTS } from './rights.js';
import { openAlias } from './devices.js';
import { preopenOfNumber, preopenRights } from './preopen-numbers.js';

/** A directory fd a path_* call names, checked for rights, in the fd table it belongs to. */
export interface DirRef {
  backendIndex: number;
  backend: FsBackend;
  path: string;
  /** The directory's preopen is mounted at the guest's '/': absolute paths name paths inside it. */
  rootMount: boolean;
  /** Rights files and directories opened through it may have. */
  rightsInheriting: number;
}

/** Per process: which preopens are mounted at the guest's '/'. */
const rootMountsOf = new WeakMap<Kernel, boolean[]>();

/**
 * The directory fd `fd` of `fds` (EBADF, ENOTCAPABLE without `rights`, ENOTDIR), or, for a preopen's
 * number whose fd was closed or reused (WASIX trees, see preopen-numbers.ts), that preopen.
 */
export function dirRef(k: Kernel, fds: FdTable, fd: number, rights: number): DirRef {
  let rootMounts = rootMountsOf.get(k);
  if (!rootMounts) rootMountsOf.set(k, (rootMounts = k.cfg.preopens.map((p) => isRootMount(p.guestPath))));
  if (fds.kind(fd) !== FdKind.DIR) {
    const pre = preopenOfNumber(fds, fd);
    if (pre !== undefined) {
      const r = preopenRights(k.cfg.preopens[pre]!);
      if ((r.base & rights) !== rights) throw new WasiError(Errno.NOTCAPABLE);
      return { backendIndex: pre, backend: k.backend(pre), path: '', rootMount: rootMounts[pre] === true, rightsInheriting: r.inheriting };
    }
  }
  const base = fds.require(fd, rights);
  if (fds.i32[base + FdSlot.KIND] !== FdKind.DIR) throw new WasiError(Errno.NOTDIR);
  const backendIndex = fds.backend(base);
  return {
    backendIndex, backend: k.backend(backendIndex), path: fds.path(base), rootMount: rootMounts[backendIndex] === true,
    rightsInheriting: fds.i32[base + FdSlot.RIGHTS_INHERITING]! >>> 0,
  };
}

/**
 * Sandboxed lookup of `path` below `dir`: the final component's type (Resolved.type), not its Stat, unless
 * `o.stat`. `o.forUse`: the caller opens, creates, removes or changes the result next (see
 * ResolveOptions.forUse), rather than only reading its metadata; `o.skipFinal`: see ResolveOptions.
 */
export function lookup(dir: DirRef, path: string, follow: boolean,
  o: { forUse?: boolean; skipFinal?: boolean; stat?: boolean } = {}): Resolved {
  return resolve(dir.backend, dir.path, path, follow, {
    rootMount: dir.rootMount, forUse: o.forUse === true, skipFinal: o.skipFinal === true, typeOnly: o.stat !== true,
  });
}

const WRITE_INTENT = Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE;

/**
 * path_open's rules for any fd table: this process's (path_open, path_open2) or a spawned child's region
 * (posix_spawn's open action), so both follow a final symlink only when asked, give the new fd no right
 * its directory does not let files inherit, and record how the host handle was opened (what a later
 * APPEND change reopens it with). Returns the new fd, or a negated errno.
 */
export function openPath(k: Kernel, fds: FdTable, dirfd: number, path: string, dirflags: number, oflags: number,
  rightsBase: bigint, rightsInheriting: bigint, fdflags: number): number {
  let need = Rights.PATH_OPEN;
  if (oflags & OFlags.CREAT) need |= Rights.PATH_CREATE_FILE;
  if (oflags & OFlags.TRUNC) need |= Rights.PATH_FILESTAT_SET_SIZE;
  const dir = dirRef(k, fds, dirfd, need);
  if (oflags & ~(OFlags.CREAT | OFlags.DIRECTORY | OFlags.EXCL | OFlags.TRUNC)) return -Errno.INVAL;
  const exclusive = (oflags & OFlags.CREAT) !== 0 && (oflags & OFlags.EXCL) !== 0;
  const follow = (dirflags & LookupFlags.SYMLINK_FOLLOW) !== 0 && !exclusive;
  const r = lookup(dir, path, follow, { forUse: true });
  const wantDir = (oflags & OFlags.DIRECTORY) !== 0 || r.trailingSlash;
  if (r.type !== null) {
    if (exclusive) return -Errno.EXIST;
    if (r.type === Filetype.SYMBOLIC_LINK) return -Errno.LOOP;
    if (wantDir && r.type !== Filetype.DIRECTORY) return -Errno.NOTDIR;
    // /dev/fd/N, /dev/stdin, /dev/tty: another fd of the same table, duplicated
    const alias = dir.backend.alias?.(r.path);
    if (alias) return openAlias(fds, alias);
  } else if (!(oflags & OFlags.CREAT)) {
    return -Errno.NOENT;
  } else if (wantDir) {
    return r.trailingSlash ? -Errno.ISDIR : -Errno.INVAL;
  }
  const inhDir = dir.rightsInheriting;
  const requested = Number(rightsBase & 0x3fffffffn);
  const isDir = r.type === Filetype.DIRECTORY;
  if (isDir && requested & Rights.FD_WRITE) return -Errno.ISDIR;
  const writeIntent = !isDir && ((requested & WRITE_INTENT) !== 0 || (oflags & OFlags.TRUNC) !== 0);
  const append = (fdflags & FdFlags.APPEND) !== 0;
  const readIntent = isDir || (requested & (Rights.FD_READ | Rights.FD_READDIR)) !== 0 || !writeIntent;
  const handle = dir.backend.open(r.path, {
    read: readIntent,
    write: writeIntent,
    create: (oflags & OFlags.CREAT) !== 0,
    exclusive,
    truncate: (oflags & OFlags.TRUNC) !== 0,
    directory: wantDir,
    append: append && writeIntent,
  });
  const filetype = r.type ?? Filetype.REGULAR_FILE;
  const applicable = isDir ? DIR_RIGHTS : FILE_RIGHTS;
  try {
    return fds.insert({
      kind: isDir ? FdKind.DIR : FdKind.FILE, filetype, flags: fdflags & 0x1f,
      rightsBase: requested & inhDir & applicable,
      rightsInheriting: Number(rightsInheriting & 0x3fffffffn) & inhDir,
      handle, backend: dir.backendIndex, path: isDir ? r.path : '',
      openFlags: (append && writeIntent ? DescFlags.HOST_APPEND : 0) | (readIntent ? DescFlags.HOST_READ : 0) |
        (writeIntent ? DescFlags.HOST_WRITE : 0),
    });
  } catch (e) {
    dir.backend.close(handle);
    throw e;
  }
}
