/**
 * FsBackend over a directory of the host filesystem (Node only: node:fs synchronous APIs).
 *
 * Paths handed to this backend are backend-relative and canonical (see fs/backend.ts); the kernel's
 * resolver (fs/resolve.ts) has already walked them component by component. Handles are Node fds,
 * which are process-wide, so any worker can use a handle another worker opened.
 *
 * Sandboxing without openat. Node has no *at() calls, so every operation goes through a full host
 * path `<realRoot>/<rel>`, and a host process (or another guest thread) that swaps an intermediate
 * directory for a symlink between the kernel's resolution and our call could redirect it outside the
 * root (the node:wasi/uvwasi TOCTOU escape). Mitigations:
 *  - open(): after opening, the fd's real path is checked to lie inside realpath(root): on Linux via
 *    readlink('/proc/self/fd/N'); elsewhere by re-walking the intermediates with lstat (each must be a
 *    real directory) and comparing fstat(fd) dev/ino with lstat(path). An fd found outside is closed
 *    and the open fails with EPERM (the errno Wasmtime uses for sandbox escapes, see fs/resolve.ts).
 *    The final component is opened with O_NOFOLLOW, so a symlink there fails with ELOOP.
 *  - Mutations (mkdir, rmdir, unlink, rename, link, symlink, utimes) and opens that create or truncate
 *    go through the parent directory opened with O_DIRECTORY|O_NOFOLLOW, verified through its fd to lie
 *    inside the root, as `/proc/self/fd/<parent>/<name>` (atParent): a directory swapped for a symlink
 *    mid-call cannot redirect them. Without /proc (not Linux) the parent's realpath is checked first,
 *    which only narrows the window. lstat/readlink are not checked (a race there only leaks metadata).
 *
 * Other notes:
 *  - O_CLOEXEC: libuv adds it to every open() on Unix, so no flag is needed here.
 *  - pwrite(…, 'append') issues write(2) at the fd's own position, which appends only if the fd was
 *    opened with `append: true` (O_APPEND). Linux also ignores explicit positions for pwrite on an
 *    O_APPEND fd (documented in pwrite(2) BUGS), so such fds always append.
 *  - Times: Node's futimes/lutimes take seconds as a double (libuv keeps microseconds); the times this
 *    process sets are recorded per inode (set-times.ts), so they read back with their exact ns as long
 *    as the host still holds what it stored for them. A time left unchanged keeps its (exact) value.
 *  - readdir(handle) lists '/proc/self/fd/N' on Linux (works from any worker). Without /proc it needs
 *    the path recorded when this backend instance opened the handle, i.e. the same thread, else
 *    ENOTSUP. Entries carry real inode numbers (one lstat per entry) and are sorted by name so the
 *    order is stable across calls. Names that are not valid UTF-8 on the host are decoded lossily.
 *  - open() blocks on a FIFO until the other end opens, as open(2) does; the kernel can refuse FIFOs
 *    (filetype UNKNOWN in the resolver's lstat) before calling open.
 *  - Workers must be created with `trackUnmanagedFds: false`: by default Node closes every fd a worker
 *    opened when that worker exits, which would invalidate handles other threads still use.
 *  - Read-only backends fail with EROFS for every mutation, for pwrite/ftruncate/futimes, and for opens
 *    asking for write, create, truncate or append.
 */
import type * as Fs from 'node:fs';
import { fs } from './builtins.js';
import type { BackendDescriptor, DirEntry, FsBackend, OpenOptions, Stat, TimeSpec } from '../../fs/backend.js';
import { Errno, WasiError, toErrno } from '../../abi/errno.js';
import { Filetype } from '../../abi/constants.js';
import { ESCAPE_ERRNO } from '../../fs/resolve.js';
import { isCanonicalPath, parentPath, splitPath } from '../../fs/path.js';
import { createTimesBuffer, SetTimes } from './set-times.js';

const C = fs.constants;
const O_NOFOLLOW = C.O_NOFOLLOW ?? 0;
const O_DIRECTORY = C.O_DIRECTORY ?? 0;

/** Turn anything a node:fs call threw into a WasiError (Node `code`s mapped by toErrno). */
function hostError(e: unknown): WasiError {
  if (e instanceof WasiError) return e;
  return new WasiError(toErrno(e), e instanceof Error ? e.message : String(e));
}

function filetypeOf(st: Fs.BigIntStats | Fs.Stats | Fs.Dirent): number {
  if (st.isFile()) return Filetype.REGULAR_FILE;
  if (st.isDirectory()) return Filetype.DIRECTORY;
  if (st.isSymbolicLink()) return Filetype.SYMBOLIC_LINK;
  if (st.isCharacterDevice()) return Filetype.CHARACTER_DEVICE;
  if (st.isBlockDevice()) return Filetype.BLOCK_DEVICE;
  if (st.isSocket()) return Filetype.SOCKET_STREAM;
  return Filetype.UNKNOWN; // FIFOs and anything else
}

function convertStat(st: Fs.BigIntStats): Stat {
  return {
    dev: st.dev,
    ino: st.ino,
    filetype: filetypeOf(st),
    nlink: st.nlink,
    size: st.size,
    atimNs: st.atimeNs,
    mtimNs: st.mtimeNs,
    ctimNs: st.ctimeNs,
  };
}

/** ns since the epoch -> the seconds double Node's utimes family takes. */
function nsToSeconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

function nowSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}


function sameFile(a: Fs.Stats, b: Fs.Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

function checkPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 0) throw new WasiError(Errno.INVAL, `bad position ${position}`);
}

/** Whether /proc/self/fd works in this process (undefined until first tried). */
let procFd: boolean | undefined;

export type FdCheck = 'auto' | 'proc' | 'walk';

export class HostFsBackend implements FsBackend {
  readonly readOnly: boolean;
  /** The root as configured. */
  readonly root: string;
  /** realpath(root): every host path is built from it and every open is checked against it. */
  readonly realRoot: string;
  /**
   * How open() verifies where the new fd lives: 'auto' (/proc/self/fd when available, else 'walk'),
   * 'proc' or 'walk' (lstat re-walk + dev/ino comparison; readdir then also behaves as without /proc).
   * Settable for tests.
   */
  fdCheck: FdCheck = 'auto';
  /** Host paths of handles this instance opened, for readdir() when /proc is missing. */
  private readonly opened = new Map<number, string>();

  /** Times this process set, to read them back with ns precision (see set-times.ts). */
  private readonly times: SetTimes;
  private readonly timesSab: SharedArrayBuffer;

  constructor(desc: { kind: 'host'; root: string; readOnly: boolean; times?: SharedArrayBuffer }) {
    this.root = desc.root;
    this.readOnly = desc.readOnly;
    this.timesSab = desc.times ?? createTimesBuffer();
    this.times = new SetTimes(this.timesSab);
    let st: Fs.Stats;
    try {
      this.realRoot = fs.realpathSync.native(desc.root);
      st = fs.statSync(this.realRoot);
    } catch (e) {
      throw hostError(e);
    }
    if (!st.isDirectory()) throw new WasiError(Errno.NOTDIR, `host root is not a directory: ${desc.root}`);
  }

  describe(): BackendDescriptor {
    return { kind: 'host', root: this.root, readOnly: this.readOnly, times: this.timesSab };
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** Host path of a backend-relative path (validated: the kernel must only pass canonical paths). */
  hostPath(path: string): string {
    if (!isCanonicalPath(path)) throw new WasiError(Errno.INVAL, `non-canonical backend path: ${JSON.stringify(path)}`);
    if (path === '') return this.realRoot;
    return this.realRoot === '/' ? `/${path}` : `${this.realRoot}/${path}`;
  }

  private isInside(real: string): boolean {
    return this.realRoot === '/' || real === this.realRoot || real.startsWith(`${this.realRoot}/`);
  }

  private mutable(): void {
    if (this.readOnly) throw new WasiError(Errno.ROFS, 'read-only filesystem');
  }

  /** Whether /proc/self/fd can name open directories here (Linux), unless a test asked for 'walk'. */
  private procUsable(): boolean {
    if (this.fdCheck === 'walk') return false;
    if (procFd === undefined) procFd = fs.existsSync('/proc/self/fd');
    return procFd;
  }

  /**
   * Runs `op` on a host path naming `path` that a concurrent swap of any directory on the way cannot
   * redirect outside the root: the parent directory is opened (O_DIRECTORY|O_NOFOLLOW), checked to lie
   * inside the root through its fd, and `op` gets `/proc/self/fd/<parent>/<name>`, which the host
   * resolves inside that very directory. Without /proc (not Linux), the parent's realpath is checked
   * first instead, which only narrows the window. The root itself may be named (mkdir/symlink/link then
   * fail with EEXIST, utimes works) unless `rootOk` is false (rmdir, rename: EBUSY), so the sandbox root
   * can never be removed or moved away. Host errors are mapped to WasiErrors.
   */
  private atParent<T>(path: string, rootOk: boolean, op: (host: string) => T): T {
    this.mutable();
    const host = this.hostPath(path);
    if (path === '') {
      if (!rootOk) throw new WasiError(Errno.BUSY, 'cannot remove or move the backend root');
      return this.hostCall(() => op(host));
    }
    const parent = parentPath(path);
    if (!this.procUsable()) {
      const real = this.hostCall(() => fs.realpathSync.native(this.hostPath(parent)));
      if (!this.isInside(real)) throw new WasiError(ESCAPE_ERRNO, `parent of ${path} is outside the root`);
      return this.hostCall(() => op(host));
    }
    let pfd: number;
    try {
      pfd = fs.openSync(this.hostPath(parent), C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (e) {
      // The resolver saw a directory there: a symlink now means it was swapped during the call.
      if (fs.lstatSync(this.hostPath(parent), { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw new WasiError(ESCAPE_ERRNO, `parent of ${path} is a symlink`);
      }
      throw hostError(e);
    }
    try {
      this.verifyFd(pfd, parent);
      return this.hostCall(() => op(`/proc/self/fd/${pfd}/${path.slice(parent === '' ? 0 : parent.length + 1)}`));
    } finally {
      fs.closeSync(pfd);
    }
  }

  /** A host stat as a Stat, with the exact times this process set (see set-times.ts). */
  private stat(st: Fs.BigIntStats): Stat {
    const out = convertStat(st);
    [out.atimNs, out.mtimNs] = this.times.exact(st.dev, st.ino, st.atimeNs, st.mtimeNs);
    return out;
  }

  /**
   * Sets times through `apply` (futimes/lutimes, seconds as doubles), then records what was asked and
   * what the host stored, so stat reads back the exact ns. A time left unchanged keeps its exact value.
   */
  private setTimes(cur: Fs.BigIntStats, atim: TimeSpec, mtim: TimeSpec, apply: (a: number, m: number) => void,
    restat: () => Fs.BigIntStats): void {
    const [aPrev, mPrev] = this.times.exact(cur.dev, cur.ino, cur.atimeNs, cur.mtimeNs);
    const aReq = atim === 'now' ? undefined : atim ?? aPrev;
    const mReq = mtim === 'now' ? undefined : mtim ?? mPrev;
    const now = nowSeconds();
    apply(aReq === undefined ? now : nsToSeconds(aReq), mReq === undefined ? now : nsToSeconds(mReq));
    const after = restat();
    this.times.record(after.dev, after.ino, aReq ?? after.atimeNs, after.atimeNs, mReq ?? after.mtimeNs, after.mtimeNs);
  }

  private hostCall<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw hostError(e);
    }
  }

  /** Check that an fd opened from `path` really lives inside the root (see the top of the file). */
  private verifyFd(fd: number, path: string): void {
    const mode = this.fdCheck;
    if (mode === 'proc' || (mode === 'auto' && procFd !== false)) {
      let real: string | undefined;
      try {
        real = fs.readlinkSync(`/proc/self/fd/${fd}`);
        procFd = true;
      } catch (e) {
        if (mode === 'proc' || procFd === true) throw hostError(e);
        procFd = false;
      }
      if (real !== undefined) {
        if (!this.isInside(real)) throw new WasiError(ESCAPE_ERRNO, `opened ${path} resolves outside the root: ${real}`);
        return;
      }
    }
    // Walk: every intermediate must still be a real directory, and the path must still name the fd.
    try {
      const parts = splitPath(path);
      let prefix = '';
      for (let i = 0; i < parts.length - 1; i++) {
        prefix = prefix === '' ? parts[i]! : `${prefix}/${parts[i]}`;
        if (!fs.lstatSync(this.hostPath(prefix)).isDirectory()) {
          throw new WasiError(ESCAPE_ERRNO, `intermediate ${prefix} of ${path} changed during open`);
        }
      }
      const a = fs.fstatSync(fd, { bigint: true });
      const b = fs.lstatSync(this.hostPath(path), { bigint: true });
      if (a.dev !== b.dev || a.ino !== b.ino) throw new WasiError(ESCAPE_ERRNO, `${path} changed during open`);
    } catch (e) {
      throw hostError(e);
    }
  }

  // ---- path queries ----------------------------------------------------------------------------

  lstat(path: string): Stat {
    const host = this.hostPath(path);
    try {
      return this.stat(fs.lstatSync(host, { bigint: true }));
    } catch (e) {
      throw hostError(e);
    }
  }

  readlink(path: string): string {
    const host = this.hostPath(path);
    try {
      return fs.readlinkSync(host, 'utf8');
    } catch (e) {
      throw hostError(e);
    }
  }

  // ---- handles ---------------------------------------------------------------------------------

  open(path: string, o: OpenOptions): number {
    const host = this.hostPath(path);
    if (this.readOnly && (o.write || o.create || o.truncate || o.append)) {
      throw new WasiError(Errno.ROFS, 'read-only filesystem');
    }
    let flags = o.write ? (o.read ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
    if (o.create) flags |= C.O_CREAT;
    if (o.create && o.exclusive) flags |= C.O_EXCL;
    if (o.truncate) flags |= C.O_TRUNC;
    if (o.append) flags |= C.O_APPEND;
    if (o.directory) flags |= O_DIRECTORY;
    flags |= O_NOFOLLOW;
    let fd: number;
    try {
      // An open that creates or truncates must not touch anything outside, even for the moment before
      // verifyFd() would catch it: it goes through the verified parent directory.
      fd = (o.create || o.truncate) && path !== ''
        ? this.atParent(path, true, (h) => fs.openSync(h, flags, 0o666))
        : fs.openSync(host, flags, 0o666);
    } catch (e) {
      const err = hostError(e);
      // Linux reports ENOTDIR for O_DIRECTORY|O_NOFOLLOW on a symlink; the interface promises ELOOP.
      if (err.errno === Errno.NOTDIR && o.directory) {
        let isLink = false;
        try {
          isLink = fs.lstatSync(host).isSymbolicLink();
        } catch {
          // keep ENOTDIR
        }
        if (isLink) throw new WasiError(Errno.LOOP, `symlink: ${path}`);
      }
      throw err;
    }
    try {
      this.verifyFd(fd, path);
    } catch (e) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing
      }
      throw e;
    }
    if (this.fdCheck === 'walk' || procFd === false) this.opened.set(fd, host); // only needed without /proc
    return fd;
  }

  /** Reopens the same file through /proc/self/fd (Linux): same inode, other O_APPEND; ENOTSUP elsewhere. */
  reopen(handle: number, o: { read: boolean; write: boolean; append: boolean }): number {
    this.mutable();
    if (!this.procUsable()) throw new WasiError(Errno.NOTSUP, 'changing O_APPEND of an open host file needs /proc');
    let flags = o.write ? (o.read ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
    if (o.append) flags |= C.O_APPEND;
    const fd = this.hostCall(() => fs.openSync(`/proc/self/fd/${handle}`, flags));
    try {
      const a = fs.fstatSync(handle, { bigint: true }), b = fs.fstatSync(fd, { bigint: true });
      if (a.dev !== b.dev || a.ino !== b.ino) throw new WasiError(Errno.IO, 'reopened a different file');
    } catch (e) {
      fs.closeSync(fd);
      throw hostError(e);
    }
    const known = this.opened.get(handle);
    if (known !== undefined) this.opened.set(fd, known);
    return fd;
  }

  close(handle: number): void {
    this.opened.delete(handle);
    try {
      fs.closeSync(handle);
    } catch (e) {
      throw hostError(e);
    }
  }

  pread(handle: number, dst: Uint8Array, position: number): number {
    checkPosition(position);
    if (dst.length === 0) return 0;
    try {
      return fs.readSync(handle, dst, 0, dst.length, position);
    } catch (e) {
      throw hostError(e);
    }
  }

  pwrite(handle: number, src: Uint8Array, position: number | 'append'): number {
    this.mutable();
    if (position !== 'append') checkPosition(position);
    try {
      // null = write(2) at the fd position; with O_APPEND the kernel appends atomically.
      return fs.writeSync(handle, src, 0, src.length, position === 'append' ? null : position);
    } catch (e) {
      throw hostError(e);
    }
  }

  fstat(handle: number): Stat {
    try {
      return this.stat(fs.fstatSync(handle, { bigint: true }));
    } catch (e) {
      throw hostError(e);
    }
  }

  ftruncate(handle: number, size: number): void {
    this.mutable();
    checkPosition(size);
    try {
      fs.ftruncateSync(handle, size);
    } catch (e) {
      throw hostError(e);
    }
  }

  futimes(handle: number, atim: TimeSpec, mtim: TimeSpec): void {
    this.mutable();
    try {
      if (atim === undefined && mtim === undefined) {
        fs.fstatSync(handle); // still report EBADF for a bad handle
        return;
      }
      this.setTimes(fs.fstatSync(handle, { bigint: true }), atim, mtim, (a, m) => fs.futimesSync(handle, a, m),
        () => fs.fstatSync(handle, { bigint: true }));
    } catch (e) {
      throw hostError(e);
    }
  }

  fsync(handle: number, dataOnly: boolean): void {
    try {
      if (dataOnly) fs.fdatasyncSync(handle);
      else fs.fsyncSync(handle);
    } catch (e) {
      throw hostError(e);
    }
  }

  readdir(handle: number): DirEntry[] {
    // Stat first: a bad handle is EBADF and a file handle ENOTDIR, whichever way we list.
    let self: Fs.Stats;
    try {
      self = fs.fstatSync(handle);
    } catch (e) {
      throw hostError(e);
    }
    if (!self.isDirectory()) throw new WasiError(Errno.NOTDIR, 'not a directory');
    let dir: string;
    if (this.fdCheck !== 'walk' && procFd !== false) dir = `/proc/self/fd/${handle}`;
    else {
      const known = this.opened.get(handle);
      if (known === undefined) throw new WasiError(Errno.NOTSUP, 'readdir of a handle opened in another thread needs /proc');
      dir = known;
    }
    let ents: Fs.Dirent[];
    try {
      ents = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (this.fdCheck === 'auto' && procFd === undefined && (e as { code?: string }).code === 'ENOENT') {
        procFd = false; // no /proc: retry with the recorded path
        return this.readdir(handle);
      }
      throw hostError(e);
    }
    // One lstat per entry, for its inode (and its type when the dirent has none). Through /proc/self/fd
    // each costs ~35% more (procfs lookup), so go through the directory's real path when it is inside the
    // root and still names this directory (checked again after the loop; on any doubt, /proc again).
    let statDir = dir;
    if (dir.startsWith('/proc/')) {
      try {
        const real = fs.readlinkSync(dir);
        if (this.isInside(real) && sameFile(fs.lstatSync(real), self)) statDir = real;
      } catch {
        // keep /proc
      }
    }
    const out = this.listEntries(statDir, ents);
    if (statDir !== dir) {
      let same = false;
      try {
        same = sameFile(fs.lstatSync(statDir), self);
      } catch {
        // moved away meanwhile
      }
      if (!same) return this.sortEntries(this.listEntries(dir, ents));
    }
    return this.sortEntries(out);
  }

  private listEntries(dir: string, ents: Fs.Dirent[]): DirEntry[] {
    const out: DirEntry[] = new Array(ents.length);
    for (let i = 0; i < ents.length; i++) {
      const d = ents[i]!;
      let ino = 0n;
      let filetype = filetypeOf(d);
      const p = `${dir}/${d.name}`;
      // Number stats allocate far less than bigint ones; inode numbers above 2^53 need the bigint form.
      try {
        const st = fs.lstatSync(p, { throwIfNoEntry: false });
        if (st) {
          ino = st.ino < 2 ** 53 ? BigInt(st.ino) : (fs.lstatSync(p, { bigint: true, throwIfNoEntry: false })?.ino ?? 0n);
          filetype = filetypeOf(st);
        } // else: removed meanwhile: keep the dirent's type, inode unknown (0)
      } catch {
        // unreadable: as above
      }
      out[i] = { name: d.name, ino, filetype };
    }
    return out;
  }

  private sortEntries(out: DirEntry[]): DirEntry[] {
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---- namespace mutations ---------------------------------------------------------------------
  // Each goes through atParent(): the name is created/removed/renamed inside a directory fd verified to
  // lie inside the root, so swapping a directory of the path for a symlink mid-call cannot redirect it.

  mkdir(path: string): void {
    this.atParent(path, true, (host) => fs.mkdirSync(host, 0o777));
  }

  rmdir(path: string): void {
    this.atParent(path, false, (host) => fs.rmdirSync(host));
  }

  unlink(path: string): void {
    this.atParent(path, true, (host) => {
      try {
        fs.unlinkSync(host);
      } catch (e) {
        // POSIX allows EPERM for unlink(dir) (macOS); Linux and WASI programs expect EISDIR.
        if ((e as { code?: string }).code === 'EPERM' && fs.lstatSync(host, { throwIfNoEntry: false })?.isDirectory()) {
          throw new WasiError(Errno.ISDIR, `is a directory: ${path}`);
        }
        throw e;
      }
    });
  }

  rename(from: string, to: string): void {
    this.atParent(from, false, (src) => this.atParent(to, false, (dst) => fs.renameSync(src, dst)));
  }

  link(from: string, to: string): void {
    // link(2): a final symlink in `from` is not followed on Linux
    this.atParent(from, true, (src) => this.atParent(to, true, (dst) => fs.linkSync(src, dst)));
  }

  symlink(target: string, path: string): void {
    if (target.includes('\0')) throw new WasiError(Errno.INVAL, 'NUL in symlink target');
    this.atParent(path, true, (host) => fs.symlinkSync(target, host));
  }

  utimes(path: string, atim: TimeSpec, mtim: TimeSpec): void {
    this.atParent(path, true, (host) => {
      if (atim === undefined && mtim === undefined) {
        fs.lstatSync(host); // still report ENOENT
        return;
      }
      this.setTimes(fs.lstatSync(host, { bigint: true }), atim, mtim, (a, m) => fs.lutimesSync(host, a, m),
        () => fs.lstatSync(host, { bigint: true }));
    });
  }
}
