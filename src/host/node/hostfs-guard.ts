/**
 * The sandbox guard of a host directory backend (hostfs.ts): everything that keeps host calls inside the
 * root, in one file so it can be reviewed alone. hostfs.ts does the FsBackend operations and asks this
 * guard for every host path it touches.
 *
 * Sandboxing without openat. Node has no *at() calls, so every operation goes through a full host
 * path `<realRoot>/<rel>`, and a host process (or another guest thread) that swaps an intermediate
 * directory for a symlink between the kernel's resolution and the host call could redirect it outside
 * the root (the node:wasi/uvwasi TOCTOU escape). Mitigations:
 *  - hostPath(): only canonical backend-relative paths (no `.`, `..`, empty or absolute components) are
 *    turned into host paths, so a path can name nothing outside the root but through a symlink.
 *  - verifyFd(), after every open: the fd's real path is checked to lie inside realpath(root): on Linux
 *    via readlink('/proc/self/fd/N'); elsewhere by re-walking the intermediates with lstat (each must be
 *    a real directory) and comparing fstat(fd) dev/ino with lstat(path). An fd found outside is closed
 *    and the open fails with EPERM (the errno Wasmtime uses for sandbox escapes, see fs/resolve.ts).
 *    The backend opens the final component with O_NOFOLLOW, so a symlink there fails with ELOOP.
 *  - atParent(), for mutations (mkdir, rmdir, unlink, rename, link, symlink, utimes) and opens that create
 *    or truncate: the parent directory is opened with O_DIRECTORY|O_NOFOLLOW, verified through its fd to
 *    lie inside the root, and the call acts on `/proc/self/fd/<parent>/<name>`: a directory swapped for a
 *    symlink mid-call cannot redirect it. Without /proc (not Linux) the parent's realpath is checked
 *    first, which only narrows the window. lstat/readlink are not checked (a race there only leaks
 *    metadata).
 *  - Held directory fds (DirCache, below): where the parent of a name is a directory whose fd the cache
 *    holds and has just found at its path inside the root (or is the root), opens and mutations act on
 *    `/proc/self/fd/<held>/<name>` (final component O_NOFOLLOW for opens) with no further check: what
 *    they reach is a direct child of that directory. This replaces both verifyFd() after an open and
 *    atParent()'s open, check and close of the parent.
 *  - reopen() (changing O_APPEND) goes through /proc/self/fd/N and checks it got the same inode.
 *  - listingPath() lets readdir stat entries through a directory's real path only while that path lies
 *    inside the root and still names the directory.
 */
import type * as Fs from 'node:fs';
import { fs } from './builtins.js';
import { Errno, WasiError } from '../../abi/errno.js';
import { ESCAPE_ERRNO } from '../../fs/resolve.js';
import { isCanonicalPath, parentPath, splitPath } from '../../fs/path.js';
import { hostCall, hostError } from './host-error.js';
import { dropFd, holdFd } from './held-fds.js';

const C = fs.constants;
export const O_NOFOLLOW = C.O_NOFOLLOW ?? 0;
export const O_DIRECTORY = C.O_DIRECTORY ?? 0;

/** Whether /proc/self/fd works in this process (undefined until first tried). */
let procFd: boolean | undefined;

/**
 * How open() verifies where a new fd lives: 'auto' (/proc/self/fd when available, else 'walk'), 'proc' or
 * 'walk' (lstat re-walk + dev/ino comparison; readdir then also behaves as without /proc).
 */
export type FdCheck = 'auto' | 'proc' | 'walk';

/** What identifies a file: its device and inode numbers (Node's number Stats have them). */
export interface FileId {
  dev: number;
  ino: number;
}

function sameFile(a: FileId, b: FileId): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

export class HostSandbox {
  /** realpath(root): every host path is built from it and every open is checked against it. */
  readonly realRoot: string;
  /** See FdCheck. Settable for tests. */
  fdCheck: FdCheck = 'auto';

  constructor(root: string) {
    let st: Fs.Stats;
    try {
      this.realRoot = fs.realpathSync.native(root);
      st = fs.statSync(this.realRoot);
    } catch (e) {
      throw hostError(e);
    }
    if (!st.isDirectory()) throw new WasiError(Errno.NOTDIR, `host root is not a directory: ${root}`);
  }

  /** Host path of a backend-relative path (validated: the kernel must only pass canonical paths). */
  hostPath(path: string): string {
    if (!isCanonicalPath(path)) throw new WasiError(Errno.INVAL, `non-canonical backend path: ${JSON.stringify(path)}`);
    if (path === '') return this.realRoot;
    return this.realRoot === '/' ? `/${path}` : `${this.realRoot}/${path}`;
  }

  /** Whether a real (symlink-free) host path lies inside the root. */
  isInside(real: string): boolean {
    return this.realRoot === '/' || real === this.realRoot || real.startsWith(`${this.realRoot}/`);
  }

  /** Whether /proc/self/fd can name open directories here (Linux), unless a test asked for 'walk'. */
  private procUsable(): boolean {
    if (this.fdCheck === 'walk') return false;
    if (procFd === undefined) procFd = fs.existsSync('/proc/self/fd');
    return procFd;
  }

  /**
   * Whether open handles are named as /proc/self/fd/N (else the backend keeps the host path it opened
   * each handle from, for readdir).
   */
  namesByProc(): boolean {
    return this.fdCheck !== 'walk' && procFd !== false;
  }

  /**
   * Listing `/proc/self/fd/N` failed with `e`: true when that shows /proc is missing ('auto' mode, not
   * yet known), so the caller retries with the recorded path.
   */
  procMissing(e: unknown): boolean {
    if (this.fdCheck === 'auto' && procFd === undefined && (e as { code?: string }).code === 'ENOENT') {
      procFd = false;
      return true;
    }
    return false;
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
  atParent<T>(path: string, rootOk: boolean, op: (host: string) => T, dirs?: DirCache): T {
    const host = this.hostPath(path);
    if (path === '') {
      if (!rootOk) throw new WasiError(Errno.BUSY, 'cannot remove or move the backend root');
      return hostCall(() => op(host));
    }
    const parent = parentPath(path);
    // A held directory fd checked to lie inside the root (DirCache.heldChild) stands for the parent opened here.
    const via = dirs?.heldChild(path, parent);
    if (via !== undefined) return hostCall(() => op(via));
    if (!this.procUsable()) {
      const real = hostCall(() => fs.realpathSync.native(this.hostPath(parent)));
      if (!this.isInside(real)) throw new WasiError(ESCAPE_ERRNO, `parent of ${path} is outside the root`);
      return hostCall(() => op(host));
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
      return hostCall(() => op(`/proc/self/fd/${pfd}/${path.slice(parent === '' ? 0 : parent.length + 1)}`));
    } finally {
      fs.closeSync(pfd);
    }
  }

  /** Checks that an fd just opened from `path` lies inside the root; if not (or on doubt) closes it and throws. */
  checkOpened(fd: number, path: string): void {
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

  /**
   * Opens the file of `handle` again through /proc/self/fd (Linux) with other flags, checked to be the same
   * inode; ENOTSUP without /proc.
   */
  reopen(handle: number, flags: number): number {
    if (!this.procUsable()) throw new WasiError(Errno.NOTSUP, 'changing O_APPEND of an open host file needs /proc');
    const fd = hostCall(() => fs.openSync(`/proc/self/fd/${handle}`, flags));
    try {
      const a = fs.fstatSync(handle, { bigint: true }), b = fs.fstatSync(fd, { bigint: true });
      if (a.dev !== b.dev || a.ino !== b.ino) throw new WasiError(Errno.IO, 'reopened a different file');
    } catch (e) {
      fs.closeSync(fd);
      throw hostError(e);
    }
    return fd;
  }

  /**
   * The path to stat a listed directory's entries through: `dir` (how it was listed, e.g. /proc/self/fd/N)
   * or, cheaper, its real path when that lies inside the root and names the directory `self` (a stat
   * through /proc/self/fd costs ~35% more). The caller checks stillNames() after the stats.
   */
  listingPath(dir: string, self: FileId): string {
    if (!dir.startsWith('/proc/')) return dir;
    try {
      const real = fs.readlinkSync(dir);
      if (this.isInside(real) && sameFile(fs.lstatSync(real), self)) return real;
    } catch {
      // keep /proc
    }
    return dir;
  }

  /** Whether `path` (a listingPath()) still names the directory `self` (else the entries are redone via /proc). */
  stillNames(path: string, self: FileId): boolean {
    try {
      return sameFile(fs.lstatSync(path), self);
    } catch {
      return false; // moved away meanwhile
    }
  }
}

/** Largest number of directories a DirCache holds (emptied when full: the walk refills it). */
const DIR_CACHE_MAX = 4096;
/** Most directory fds a DirCache holds (least recently used closed first); the root's comes on top. */
const HELD_MAX = 16;
/** O_PATH (Linux): an fd naming a directory without reading it (no read permission needed, nothing blocks). */
const O_PATH = process.platform === 'linux' ? 0o10000000 : 0;

interface Dir {
  /** Backend-relative path (the key). */
  path: string;
  dev: number;
  ino: number;
  /** Host path (validated once, when recorded). */
  host: string;
  /** Proven once through an fd (see DirCache). */
  proven: boolean;
  /** The held O_PATH fd of a proven directory (-1: none; checked by lstat then), its held-fds.ts row, its /proc name. */
  fd: number;
  row: number;
  proc: string;
  /** The lookup (DirCache.seq) whose check found it at its path; parentFd() takes that check once. */
  checked: number;
}

/** Closes what a collected DirCache still held (a thread that keeps running but drops its backends). */
const collected = new FinalizationRegistry<Map<number, number>>((holding) => {
  for (const [row, fd] of holding) dropFd(row, fd);
});

/**
 * Directories whose components the kernel's resolver walked and found to be real directories, by
 * backend-relative path, with the identity (dev, ino) they had. verified(path) lets the resolver skip the
 * walk of `path` (one lstat per component: 6-8 host calls for the absolute host paths napi-rs loaders pass)
 * for one host call: a path costs two however deep it is. Held directory fds also let opens and mutations
 * act on a name inside the directory with no further check (parentFd()).
 *
 * Why this keeps the sandbox. An entry is trusted only once proven: the walk records a directory as a
 * candidate; the first time the resolver asks for it, the directory is opened (O_PATH|O_DIRECTORY|O_NOFOLLOW)
 * and the kernel's own name for that fd (readlink /proc/self/fd/N) must be exactly `<realRoot>/<path>`: that
 * directory D, of the recorded identity, was at that moment at that path with real directories all the way,
 * whatever races happened around the walk. (Without /proc nothing is cached.) The fd is then kept (up to
 * HELD_MAX, least recently used closed first), and verified(P) answers true only when the kernel's name of
 * D is again exactly `<realRoot>/P`: D is, at that moment, at P inside the root, through real directories,
 * whatever a host process or another thread did meanwhile (moved away, even out of the root and linked
 * back; removed: "... (deleted)"; anything else: another name, false, the resolver walks). The lookup of the
 * final name then races with a swap exactly as a walk would (a metadata leak at most: the top of this file);
 * an open or mutation acts on `/proc/self/fd/<D>/<name>` (O_NOFOLLOW where the final component must not be
 * followed): a direct child of D, wherever D is now, and D was inside the root when the same syscall checked
 * it: what atParent()'s fresh parent fd gives, without the open, check and close.
 *
 * The root itself has one held fd, proven once and trusted from then on: whatever is named through it is a
 * child of the sandbox's own root directory, even if a host process moved that directory (Wasmtime's
 * preopens, fds too, behave the same).
 *
 * A proven directory whose fd could not be held (the held-fds.ts record full) is checked as before: an
 * lstat of `<realRoot>/P` (final component not followed) must find a directory with D's identity. A
 * directory has one parent (no hard links to directories), so the host lookup of P reached D either through
 * the same real directories (the walk would find the same), or through a symlink that now stands where an
 * ancestor of D was moved away from:
 *  - P itself swapped for a symlink, removed, renamed, or replaced: lstat finds no directory, or another
 *    identity: false, the resolver walks (and sees the symlink, or ENOENT). A new directory made at P that
 *    got D's inode number is a real directory at P: the walk would find it too.
 *  - an ancestor moved and a symlink put in its place by the guest (rename, link, symlink: the only calls
 *    that can create a symlink where a directory was): each bumps the process-wide generation `sab` once it
 *    is done, which empties every thread's cache (closing its fds) before its next lookup; a walk that
 *    overlapped such a change records nothing. A lookup racing with such a swap races exactly as the walk
 *    itself does.
 *  - the same done by another host process: D is reached where it now is. If that is inside the root,
 *    nothing outside is named. If a host process moved D out of the root and linked it back, opens and
 *    mutations below it still fail with EPERM (no held fd: checkOpened() and atParent() check the real path
 *    of the opened fd or parent); lstat/readlink of names in D would read their metadata, the same leak a
 *    race with the walk already allows (see the top of this file).
 * Identities are kept as numbers, so a directory whose dev or ino is above 2^53 is never cached.
 *
 * Held fds never outlive the thread: release() (the thread's runtime ends: FsBackend.release), the
 * process-wide record of held-fds.ts (swept when a Worker exits, terminated mid-guest too), and a
 * finalizer for caches dropped without either.
 */
export class DirCache {
  /** The generation (Int32 0), shared by every thread's cache of the process (the backend descriptor's `lookups`). */
  readonly sab: SharedArrayBuffer;
  private readonly gen: Int32Array;
  private seen: number;
  /** The generation when the current resolution began (begin()): it remembers nothing if a change came since. */
  private epoch: number;
  /** Resolutions begun (see Dir.checked). */
  private seq = 1;
  private readonly dirs = new Map<string, Dir>();
  /** Entries holding an fd, least recently used (by opens and mutations: verified(p, true)) first. */
  private readonly held = new Map<string, Dir>();
  /** held-fds.ts row -> fd of everything this cache holds (the finalizer's copy). */
  private readonly holding = new Map<number, number>();
  /** The root's held fd (-1: not opened yet or not possible), its row. */
  private rootFd = -1;
  private rootRow = -1;
  private rootTried = false;
  /** The last proven directory an open or mutation used without a held fd (see verified()). */
  private lastUnheld: string | undefined;

  constructor(private readonly guard: HostSandbox, sab?: SharedArrayBuffer) {
    this.sab = sab ?? new SharedArrayBuffer(4);
    this.gen = new Int32Array(this.sab, 0, 1);
    this.seen = this.epoch = Atomics.load(this.gen, 0);
    collected.register(this, this.holding, this);
  }

  /** A resolution starts (the kernel's resolver, which then walks or asks verified()). */
  begin(): void {
    this.epoch = Atomics.load(this.gen, 0);
    this.seq++;
  }

  /**
   * `st`: an lstat of `path` that found a directory, every component before it walked: a candidate. Not
   * kept when the guest changed the namespace since the resolution began.
   */
  remember(path: string, st: Fs.BigIntStats | Fs.Stats): void {
    // (number stats round an identity above 2^53 to a double that is still above it)
    if (path === '' || st.ino > Number.MAX_SAFE_INTEGER || st.dev > Number.MAX_SAFE_INTEGER || !this.guard.namesByProc()) return;
    this.sync();
    if (this.seen !== this.epoch) return;
    const dev = Number(st.dev), ino = Number(st.ino);
    const old = this.dirs.get(path);
    if (old !== undefined) {
      if (old.dev === dev && old.ino === ino) return;
      this.forget(path, old);
    }
    if (this.dirs.size >= DIR_CACHE_MAX) this.clear();
    this.dirs.set(path, { path, dev, ino, host: this.guard.hostPath(path), proven: false, fd: -1, row: -1, proc: '', checked: 0 });
  }

  /**
   * Whether `path` is still the real directory it was remembered as (one host call; see the class comment).
   * `forUse`: an open or mutation below it follows, so a held fd is checked by its name (what parentFd()
   * then takes); a lookup alone needs only the lstat identity check, which is cheaper than that readlink.
   */
  verified(path: string, forUse = false): boolean {
    this.sync();
    const want = this.dirs.get(path);
    if (want === undefined) return false;
    if (!want.proven) {
      if (this.prove(want)) {
        want.proven = true;
        want.checked = this.seq;
        return true;
      }
      this.dirs.delete(path);
      return false;
    }
    // A proven directory whose fd was let go (16 held, least recently used first) and that opens or
    // mutations use twice in a row is held again: a tree walked directory by directory then acts through
    // held fds (no parent open or check after the open) without re-holding anything for a single use, so
    // a round robin over many directories does not churn fds.
    if (forUse && want.fd < 0) {
      if (this.lastUnheld === path && this.prove(want)) {
        this.lastUnheld = undefined;
        want.checked = this.seq;
        return true;
      }
      this.lastUnheld = path;
    }
    if (want.fd >= 0 && forUse) {
      if (!this.stillAt(want)) {
        this.forget(path, want);
        return false;
      }
      want.checked = this.seq;
      this.held.delete(path);
      this.held.set(path, want);
      return true;
    }
    let st: Fs.Stats | undefined;
    try {
      st = fs.lstatSync(want.host, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (st !== undefined && st.isDirectory() && st.ino === want.ino && st.dev === want.dev) return true;
    this.forget(path, want);
    return false;
  }

  /**
   * A held fd of directory `parent` that lies inside the root now, to act on `/proc/self/fd/<fd>/<name>`
   * (see the class comment), or -1 (the caller then opens and checks the parent itself). The check the
   * current resolution made (verified()) is used once; otherwise the fd's name is checked again here.
   */
  parentFd(parent: string): number {
    if (!this.guard.namesByProc()) return -1;
    if (parent === '') return this.root();
    this.sync();
    const d = this.dirs.get(parent);
    if (d === undefined || d.fd < 0) return -1;
    if (d.checked !== this.seq && !this.stillAt(d)) {
      this.forget(parent, d);
      return -1;
    }
    d.checked = 0;
    return d.fd;
  }

  /**
   * `/proc/self/fd/<held>/<name>` for canonical `path` (not the root) whose parent `parent` is a directory
   * this cache holds, inside the root now (parentFd()): a host path that names a direct child of that
   * directory whatever happens to any path meanwhile. undefined: no such fd (the caller checks as usual).
   */
  heldChild(path: string, parent = parentPath(path)): string | undefined {
    const fd = this.parentFd(parent);
    return fd < 0 ? undefined : `/proc/self/fd/${fd}/${path.slice(parent === '' ? 0 : parent.length + 1)}`;
  }

  /** The root's held fd (opened and proven on first use), or -1. */
  private root(): number {
    if (this.rootFd >= 0 || this.rootTried) return this.rootFd;
    this.rootTried = true;
    const host = this.guard.realRoot;
    let fd: number;
    try {
      fd = fs.openSync(host, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    } catch {
      return -1;
    }
    let ok = false;
    try {
      ok = fs.readlinkSync(`/proc/self/fd/${fd}`) === host;
    } catch {
      // not provable
    }
    const row = ok ? holdFd(fd) : -1;
    if (row < 0) {
      fs.closeSync(fd);
      return -1;
    }
    this.holding.set(row, fd);
    this.rootRow = row;
    return (this.rootFd = fd);
  }

  /** The directory at `want.host`, opened, is named exactly so by the kernel and has the recorded identity; its fd is kept when possible. */
  private prove(want: Dir): boolean {
    let fd: number;
    try {
      fd = fs.openSync(want.host, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    } catch {
      return false;
    }
    let ok = false;
    try {
      const st = fs.fstatSync(fd);
      ok = st.isDirectory() && st.ino === want.ino && st.dev === want.dev && fs.readlinkSync(`/proc/self/fd/${fd}`) === want.host;
    } catch {
      // not proven
    }
    const row = ok ? holdFd(fd) : -1;
    if (row < 0) {
      fs.closeSync(fd);
      return ok;
    }
    want.fd = fd;
    want.row = row;
    want.proc = `/proc/self/fd/${fd}`;
    this.holding.set(row, fd);
    for (const [p, d] of this.held) {
      if (this.held.size < HELD_MAX) break;
      this.unhold(p, d); // the least recently used: checked by lstat from now on
    }
    this.held.set(want.path, want);
    return true;
  }

  /** The kernel's name of the held fd is still exactly the directory's host path. */
  private stillAt(d: Dir): boolean {
    try {
      return fs.readlinkSync(d.proc) === d.host;
    } catch {
      return false;
    }
  }

  private unhold(path: string, d: Dir): void {
    if (d.fd < 0) return;
    this.held.delete(path);
    this.holding.delete(d.row);
    dropFd(d.row, d.fd);
    d.fd = d.row = -1;
    d.proc = '';
  }

  private forget(path: string, d: Dir): void {
    this.unhold(path, d);
    this.dirs.delete(path);
  }

  private clear(): void {
    for (const [p, d] of this.held) this.unhold(p, d);
    this.dirs.clear();
  }

  /** A namespace change that may have put a symlink where a directory was: every thread starts over. */
  changed(): void {
    Atomics.add(this.gen, 0, 1);
    this.sync();
  }

  /** The thread is done with this cache: closes every fd it holds (it may be used again: it refills). */
  release(): void {
    this.clear();
    if (this.rootFd >= 0) {
      this.holding.delete(this.rootRow);
      dropFd(this.rootRow, this.rootFd);
    }
    this.rootFd = this.rootRow = -1;
    this.rootTried = false;
  }

  private sync(): void {
    const g = Atomics.load(this.gen, 0);
    if (g !== this.seen) {
      this.seen = g;
      this.clear();
    }
  }
}
