/**
 * FsBackend over a directory of the host filesystem (Node only: node:fs synchronous APIs).
 *
 * Paths handed to this backend are backend-relative and canonical (see fs/backend.ts); the kernel's
 * resolver (fs/resolve.ts) has already walked them component by component. Handles are Node fds,
 * which are process-wide, so any worker can use a handle another worker opened.
 *
 * Sandboxing: every host path comes from the guard (hostfs-guard.ts: containment, checks of opened fds,
 * mutations through a verified parent directory), which is the security-critical part; this file only
 * does the operations.
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
import { Errno, WasiError } from '../../abi/errno.js';
import { Filetype } from '../../abi/constants.js';
import { createTimesBuffer, SetTimes } from './set-times.js';
import { hostError } from './host-error.js';
import { ListingInodes, type KnownEntry } from './listing-inodes.js';
import { DirCache, HostSandbox, O_DIRECTORY, O_NOFOLLOW, type FdCheck } from './hostfs-guard.js';

export type { FdCheck } from './hostfs-guard.js';

const C = fs.constants;
/** lstat options, made once (a hot path: the resolver, readdir's entries): undefined for a missing name. */
const NUMBER_STATS = { throwIfNoEntry: false } as const;
const BIGINT_STATS = { bigint: true, throwIfNoEntry: false } as const;

function filetypeOf(st: Fs.BigIntStats | Fs.Stats | Fs.Dirent): number {
  if (st.isFile()) return Filetype.REGULAR_FILE;
  if (st.isDirectory()) return Filetype.DIRECTORY;
  if (st.isSymbolicLink()) return Filetype.SYMBOLIC_LINK;
  if (st.isCharacterDevice()) return Filetype.CHARACTER_DEVICE;
  if (st.isBlockDevice()) return Filetype.BLOCK_DEVICE;
  if (st.isSocket()) return Filetype.SOCKET_STREAM;
  return Filetype.UNKNOWN; // FIFOs and anything else
}

/** The entries of a listing from a settled directory's remembered inodes (undefined if a name is not there). */
function knownEntries(ents: Fs.Dirent[], known: Map<string, KnownEntry>): DirEntry[] | undefined {
  const out = new Array<DirEntry>(ents.length);
  for (let i = 0; i < ents.length; i++) {
    const name = ents[i]!.name;
    const k = known.get(name);
    if (k === undefined) return undefined;
    out[i] = { name, ino: k.ino, filetype: k.filetype };
  }
  return out;
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

/** Runs `f` with Error.stackTraceLimit at 0 (errors it expects cost less), unless that cannot be set (a frozen Error). */
function withoutStacks<T>(f: () => T): T {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    return f();
  }
  try {
    return f();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function checkPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 0) throw new WasiError(Errno.INVAL, `bad position ${position}`);
}

export class HostFsBackend implements FsBackend {
  readonly readOnly: boolean;
  /** mkdir/rmdir/unlink report EEXIST, ENOENT, ENOTDIR, EISDIR themselves (the host's); see the constructor for read-only. */
  readonly checksNames: boolean;
  /** The root as configured. */
  readonly root: string;
  /** Containment of every host path and fd (hostfs-guard.ts). */
  private readonly guard: HostSandbox;
  /** Host paths of handles this instance opened, for readdir() when /proc is missing. */
  private readonly opened = new Map<number, string>();

  /** Times this process set, to read them back with ns precision (see set-times.ts). */
  private readonly times: SetTimes;
  private readonly timesSab: SharedArrayBuffer;
  /** Directories the resolver may skip walking (verifiedDir()), and the shared generation that empties it. */
  private readonly dirs: DirCache;
  /** Entries' inode numbers of settled directories listed before (listing-inodes.ts). */
  private readonly inodes = new ListingInodes();

  constructor(desc: { kind: 'host'; root: string; readOnly: boolean; times?: SharedArrayBuffer; lookups?: SharedArrayBuffer }) {
    this.root = desc.root;
    this.readOnly = desc.readOnly;
    // A read-only backend fails every mkdir/rmdir/unlink with EROFS, before the EEXIST/ENOENT a lookup would give.
    this.checksNames = !desc.readOnly;
    this.timesSab = desc.times ?? createTimesBuffer();
    this.times = new SetTimes(this.timesSab);
    this.guard = new HostSandbox(desc.root);
    this.dirs = new DirCache(this.guard, desc.lookups);
  }

  /** realpath(root): every host path is built from it and every open is checked against it. */
  get realRoot(): string {
    return this.guard.realRoot;
  }

  /** How open() verifies where the new fd lives (see FdCheck). Settable for tests. */
  get fdCheck(): FdCheck {
    return this.guard.fdCheck;
  }

  set fdCheck(mode: FdCheck) {
    this.guard.fdCheck = mode;
  }

  describe(): BackendDescriptor {
    return { kind: 'host', root: this.root, readOnly: this.readOnly, times: this.timesSab, lookups: this.dirs.sab };
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private hostPath(path: string): string {
    return this.guard.hostPath(path);
  }

  private mutable(): void {
    if (this.readOnly) throw new WasiError(Errno.ROFS, 'read-only filesystem');
  }

  /** A mutation of `path` through its verified parent directory (HostSandbox.atParent). */
  private atParent<T>(path: string, rootOk: boolean, op: (host: string) => T): T {
    this.mutable();
    return this.guard.atParent(path, rootOk, op, this.dirs);
  }

  /** A host stat as a Stat, with the exact times this process set (see set-times.ts). */
  private stat(st: Fs.BigIntStats): Stat {
    const out = convertStat(st);
    [out.atimNs, out.mtimNs] = this.times.exact(st.dev, st.ino, st.atimeNs, st.mtimeNs);
    return out;
  }

  /**
   * Sets times through `apply` (futimes/lutimes, seconds as doubles), then records what was asked and
   * what the host stored, so stat reads back the exact ns. A time left unchanged keeps its exact value
   * (`current`, the stat before, is only taken then: tar sets both, one host call fewer).
   */
  private setTimes(current: () => Fs.BigIntStats, atim: TimeSpec, mtim: TimeSpec, apply: (a: number, m: number) => void,
    restat: () => Fs.BigIntStats): void {
    let aPrev: bigint | undefined, mPrev: bigint | undefined;
    if (atim === undefined || mtim === undefined) {
      const cur = current();
      [aPrev, mPrev] = this.times.exact(cur.dev, cur.ino, cur.atimeNs, cur.mtimeNs);
    }
    const aReq = atim === 'now' ? undefined : atim ?? aPrev; // undefined: now
    const mReq = mtim === 'now' ? undefined : mtim ?? mPrev;
    const now = nowSeconds();
    apply(aReq === undefined ? now : nsToSeconds(aReq), mReq === undefined ? now : nsToSeconds(mReq));
    const after = restat();
    this.times.record(after.dev, after.ino, aReq ?? after.atimeNs, after.atimeNs, mReq ?? after.mtimeNs, after.mtimeNs);
  }

  // ---- path queries ----------------------------------------------------------------------------

  lstat(path: string): Stat {
    const st = this.lstatIfExists(path);
    if (st === null) throw new WasiError(Errno.NOENT, `no such file or directory: ${path}`);
    return st;
  }

  lstatIfExists(path: string): Stat | null {
    const host = this.hostPath(path);
    let st: Fs.BigIntStats | undefined;
    try {
      st = fs.lstatSync(host, BIGINT_STATS);
    } catch (e) {
      throw hostError(e);
    }
    if (st === undefined) return null;
    // The kernel only passes paths whose intermediates it walked (or had vouched for): a directory here
    // is one more the resolver may skip next time (see DirCache).
    if (st.isDirectory()) this.dirs.remember(path, st);
    return this.stat(st);
  }

  lstatType(path: string): number {
    const host = this.hostPath(path);
    let st: Fs.Stats | undefined;
    try {
      st = fs.lstatSync(host, NUMBER_STATS);
    } catch (e) {
      throw hostError(e);
    }
    if (st === undefined) return -1;
    const type = filetypeOf(st);
    if (type === Filetype.DIRECTORY) this.dirs.remember(path, st); // as lstatIfExists()
    return type;
  }

  verifiedDir(path: string, forUse = false): boolean {
    return this.dirs.verified(path, forUse);
  }

  beginLookup(): void {
    this.dirs.begin();
  }

  release(): void {
    this.dirs.release();
  }

  readlink(path: string): string {
    const host = this.hostPath(path);
    try {
      return fs.readlinkSync(host, 'utf8');
    } catch (e) {
      throw hostError(e);
    }
  }

  readlinkIfLink(path: string): string | null {
    const host = this.hostPath(path);
    // A non-link is an expected answer here: Node throws for it, so let it build no stack trace (~30% of
    // the cost of the exception).
    return withoutStacks(() => {
      try {
        return fs.readlinkSync(host, 'utf8');
      } catch (e) {
        if ((e as { code?: string }).code === 'EINVAL') return null;
        throw hostError(e);
      }
    });
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
    // A held parent directory found inside the root by this very lookup (DirCache.heldChild): the file
    // opened through it is a direct child of it (O_NOFOLLOW), so it needs no check after the open.
    const via = path === '' ? undefined : this.dirs.heldChild(path);
    try {
      // An open that creates or truncates must not touch anything outside, even for the moment before
      // checkOpened() would catch it: it goes through the verified parent directory.
      fd = via !== undefined
        ? fs.openSync(via, flags, 0o666)
        : (o.create || o.truncate) && path !== ''
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
    if (via === undefined) this.guard.checkOpened(fd, path);
    if (!this.guard.namesByProc()) this.opened.set(fd, host); // only needed without /proc
    return fd;
  }

  /** Reopens the same file through /proc/self/fd (Linux): same inode, other O_APPEND; ENOTSUP elsewhere. */
  reopen(handle: number, o: { read: boolean; write: boolean; append: boolean }): number {
    this.mutable();
    let flags = o.write ? (o.read ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
    if (o.append) flags |= C.O_APPEND;
    const fd = this.guard.reopen(handle, flags);
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
      this.setTimes(() => fs.fstatSync(handle, { bigint: true }), atim, mtim, (a, m) => fs.futimesSync(handle, a, m),
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
    const startMs = Date.now(); // before the fstat: see ListingInodes.settled()
    let self: Fs.BigIntStats;
    try {
      self = fs.fstatSync(handle, { bigint: true });
    } catch (e) {
      throw hostError(e);
    }
    if (!self.isDirectory()) throw new WasiError(Errno.NOTDIR, 'not a directory');
    let dir: string;
    if (this.guard.namesByProc()) dir = `/proc/self/fd/${handle}`;
    else {
      const known = this.opened.get(handle);
      if (known === undefined) throw new WasiError(Errno.NOTSUP, 'readdir of a handle opened in another thread needs /proc');
      dir = known;
    }
    const remembered = this.inodes.lookup(self);
    const settled = remembered === undefined && this.inodes.settled(self, dir, startMs);
    let ents: Fs.Dirent[];
    try {
      ents = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (this.guard.procMissing(e)) return this.readdir(handle); // no /proc: retry with the recorded path
      throw hostError(e);
    }
    if (remembered !== undefined) {
      const out = knownEntries(ents, remembered);
      if (out !== undefined) return this.sortEntries(out);
    }
    // One lstat per entry, for its inode (and its type when the dirent has none), through the directory's
    // real path while it is inside the root and still names this directory (on any doubt, /proc again).
    const ids = { dev: Number(self.dev), ino: Number(self.ino) };
    const statDir = this.guard.listingPath(dir, ids);
    let out = this.listEntries(statDir, ents);
    if (statDir !== dir && !this.guard.stillNames(statDir, ids)) out = this.listEntries(dir, ents);
    else if (settled) this.inodes.remember(self, new Map(out.map((e) => [e.name, { ino: e.ino, filetype: e.filetype }])));
    return this.sortEntries(out);
  }

  private listEntries(dir: string, ents: Fs.Dirent[]): DirEntry[] {
    const out = new Array<DirEntry>(ents.length);
    for (let i = 0; i < ents.length; i++) {
      const d = ents[i]!;
      let ino = 0n;
      let filetype = filetypeOf(d);
      const p = `${dir}/${d.name}`;
      // Number stats allocate far less than bigint ones; inode numbers above 2^53 need the bigint form.
      try {
        const st = fs.lstatSync(p, NUMBER_STATS);
        if (st) {
          ino = st.ino <= Number.MAX_SAFE_INTEGER ? BigInt(st.ino) : (fs.lstatSync(p, BIGINT_STATS)?.ino ?? 0n);
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

  // rename, link and symlink can put a symlink where a directory was: every thread's DirCache starts over.

  rename(from: string, to: string): void {
    try {
      this.atParent(from, false, (src) => this.atParent(to, false, (dst) => fs.renameSync(src, dst)));
    } finally {
      this.dirs.changed();
    }
  }

  link(from: string, to: string): void {
    // link(2): a final symlink in `from` is not followed on Linux
    try {
      this.atParent(from, true, (src) => this.atParent(to, true, (dst) => fs.linkSync(src, dst)));
    } finally {
      this.dirs.changed();
    }
  }

  symlink(target: string, path: string): void {
    if (target.includes('\0')) throw new WasiError(Errno.INVAL, 'NUL in symlink target');
    try {
      this.atParent(path, true, (host) => fs.symlinkSync(target, host));
    } finally {
      this.dirs.changed();
    }
  }

  utimes(path: string, atim: TimeSpec, mtim: TimeSpec): void {
    this.atParent(path, true, (host) => {
      if (atim === undefined && mtim === undefined) {
        fs.lstatSync(host); // still report ENOENT
        return;
      }
      this.setTimes(() => fs.lstatSync(host, { bigint: true }), atim, mtim, (a, m) => fs.lutimesSync(host, a, m),
        () => fs.lstatSync(host, { bigint: true }));
    });
  }
}
