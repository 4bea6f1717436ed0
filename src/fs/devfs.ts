/**
 * /dev: the device directory every process gets in its root view by default (a preopen named '/dev',
 * added after the user's own unless one of them is already '/dev'). A backend of its own, with no
 * storage: its nodes are fixed, and what depends on the process (its fds, its terminal) comes from hooks
 * the kernel passes in.
 *
 *   null zero full random urandom   character devices, read and written as on Linux
 *   tty                             the terminal, present only when stdin is one
 *   stdin stdout stderr             symlinks to fd/0, fd/1, fd/2
 *   fd/N                            the process's open fds; stat answers for the fd itself
 *
 * Opening fd/N (or stdin, ...) and tty is not an open of this backend: `alias()` tells the kernel which
 * fd to duplicate (or that the terminal is meant), and path_open makes the new fd share that fd's open
 * description (dup semantics, as BSD's fdescfs; Linux reopens regular files instead, see docs).
 * Nothing can be created, removed or renamed here (EACCES, as for an unprivileged user on Linux).
 */
import { Errno, WasiError } from '../abi/errno.js';
import { Filetype } from '../abi/constants.js';
import type { BackendDescriptor, DirEntry, FsBackend, OpenOptions, Stat, TimeSpec } from './backend.js';

export type DevDescriptor = Extract<BackendDescriptor, { kind: 'dev' }>;

/** What /dev needs from the process it belongs to (the kernel of the calling thread). */
export interface DevHooks {
  /** Fills dst with random bytes (random, urandom). */
  random(dst: Uint8Array): void;
  /** The process's open fds, ascending (fd/). */
  openFds(): number[];
  /** stat of the process's fd N, or undefined when it is not open. */
  fdStat(fd: number): Stat | undefined;
}

/** Handles: the two directories and one per device (stateless, the same in every thread). */
const H = { ROOT: 0, FD: 1, NULL: 2, ZERO: 3, FULL: 4, RANDOM: 5, URANDOM: 6, TTY: 7 } as const;
const DEVICES: Record<string, number> = {
  null: H.NULL, zero: H.ZERO, full: H.FULL, random: H.RANDOM, urandom: H.URANDOM, tty: H.TTY,
};
const LINKS: Record<string, string> = { stdin: 'fd/0', stdout: 'fd/1', stderr: 'fd/2' };
/** Inode numbers: handles + 1; the symlinks after them. */
const LINK_INO: Record<string, bigint> = { stdin: 20n, stdout: 21n, stderr: 22n };
/** st_dev of every /dev node (the other backends report their own). */
export const DEV_DEVICE = 0x5n;

export class DevFs implements FsBackend {
  readonly readOnly = false;
  private readonly timeNs: bigint;

  constructor(private readonly d: DevDescriptor, private readonly hooks?: DevHooks) {
    this.timeNs = BigInt(Math.round(d.timeMs)) * 1_000_000n;
  }

  describe(): BackendDescriptor {
    return this.d;
  }

  private stat(filetype: number, ino: bigint, size = 0n): Stat {
    const t = this.timeNs;
    return { dev: DEV_DEVICE, ino, filetype, nlink: filetype === Filetype.DIRECTORY ? 2n : 1n, size, atimNs: t, mtimNs: t, ctimNs: t };
  }

  private device(name: string): number | undefined {
    const h = DEVICES[name];
    if (h === H.TTY && !this.d.tty) return undefined;
    return h;
  }

  /** The fd number of 'fd/N' (canonical decimal), else undefined. */
  private fdOf(path: string): number | undefined {
    const m = /^fd\/(0|[1-9][0-9]{0,9})$/.exec(path);
    return m ? Number(m[1]) : undefined;
  }

  private need(): DevHooks {
    if (!this.hooks) throw new WasiError(Errno.NOTSUP); // the coordinator's copy only opens and closes
    return this.hooks;
  }

  lstat(path: string): Stat {
    if (path === '') return this.stat(Filetype.DIRECTORY, BigInt(H.ROOT + 1));
    if (path === 'fd') return this.stat(Filetype.DIRECTORY, BigInt(H.FD + 1));
    const dev = this.device(path);
    if (dev !== undefined) return this.stat(Filetype.CHARACTER_DEVICE, BigInt(dev + 1));
    const link = LINKS[path];
    if (link) return this.stat(Filetype.SYMBOLIC_LINK, LINK_INO[path]!, BigInt(link.length));
    const fd = this.fdOf(path);
    if (fd !== undefined) {
      const st = this.need().fdStat(fd);
      if (st) return st;
    }
    throw new WasiError(Errno.NOENT);
  }

  readlink(path: string): string {
    const link = LINKS[path];
    if (link) return link;
    this.lstat(path); // ENOENT for what does not exist
    throw new WasiError(Errno.INVAL);
  }

  /** What opening `path` means when it is not a node of its own: another fd, or the terminal. */
  alias(path: string): { fd: number } | { tty: true } | undefined {
    if (path === 'tty' && this.d.tty) return { tty: true };
    const fd = this.fdOf(path);
    return fd === undefined ? undefined : { fd };
  }

  open(path: string, o: OpenOptions): number {
    if (path === '' || path === 'fd') {
      if (o.write) throw new WasiError(Errno.ISDIR);
      if (o.exclusive) throw new WasiError(Errno.EXIST);
      return path === '' ? H.ROOT : H.FD;
    }
    const dev = this.device(path);
    if (dev === undefined) {
      if (o.create) throw new WasiError(Errno.ACCES); // nothing can be created here
      this.lstat(path); // ENOENT, or an fd/N the kernel should have opened through alias()
      throw new WasiError(Errno.NOENT);
    }
    if (o.exclusive) throw new WasiError(Errno.EXIST);
    if (o.directory) throw new WasiError(Errno.NOTDIR);
    return dev;
  }

  close(_handle: number): void {
    // nothing is held
  }

  pread(handle: number, dst: Uint8Array, _position: number): number {
    switch (handle) {
      case H.NULL:
        return 0;
      case H.ZERO:
      case H.FULL:
        dst.fill(0);
        return dst.length;
      case H.RANDOM:
      case H.URANDOM:
        this.need().random(dst);
        return dst.length;
      case H.ROOT:
      case H.FD:
        throw new WasiError(Errno.ISDIR);
      default:
        throw new WasiError(Errno.BADF);
    }
  }

  pwrite(handle: number, src: Uint8Array, _position: number | 'append'): number {
    switch (handle) {
      case H.NULL:
      case H.ZERO:
      case H.RANDOM:
      case H.URANDOM:
        return src.length;
      case H.FULL:
        throw new WasiError(Errno.NOSPC);
      case H.ROOT:
      case H.FD:
        throw new WasiError(Errno.ISDIR);
      default:
        throw new WasiError(Errno.BADF);
    }
  }

  fstat(handle: number): Stat {
    if (handle === H.ROOT || handle === H.FD) return this.stat(Filetype.DIRECTORY, BigInt(handle + 1));
    if (handle >= H.NULL && handle <= H.TTY) return this.stat(Filetype.CHARACTER_DEVICE, BigInt(handle + 1));
    throw new WasiError(Errno.BADF);
  }

  ftruncate(): void {
    throw new WasiError(Errno.INVAL);
  }

  futimes(_handle: number, _a: TimeSpec, _m: TimeSpec): void {
    throw new WasiError(Errno.ACCES);
  }

  fsync(): void {
    throw new WasiError(Errno.INVAL);
  }

  readdir(handle: number): DirEntry[] {
    if (handle === H.FD) {
      const hooks = this.need();
      const out: DirEntry[] = [];
      for (const fd of hooks.openFds()) {
        const st = hooks.fdStat(fd);
        if (st) out.push({ name: String(fd), ino: st.ino, filetype: st.filetype });
      }
      return out;
    }
    if (handle !== H.ROOT) throw new WasiError(Errno.NOTDIR);
    const out: DirEntry[] = [];
    for (const name of Object.keys(DEVICES)) {
      const h = this.device(name);
      if (h !== undefined) out.push({ name, ino: BigInt(h + 1), filetype: Filetype.CHARACTER_DEVICE });
    }
    out.push({ name: 'fd', ino: BigInt(H.FD + 1), filetype: Filetype.DIRECTORY });
    for (const name of Object.keys(LINKS)) out.push({ name, ino: LINK_INO[name]!, filetype: Filetype.SYMBOLIC_LINK });
    return out;
  }

  mkdir(): void {
    throw new WasiError(Errno.ACCES);
  }
  rmdir(): void {
    throw new WasiError(Errno.ACCES);
  }
  unlink(): void {
    throw new WasiError(Errno.ACCES);
  }
  rename(): void {
    throw new WasiError(Errno.ACCES);
  }
  link(): void {
    throw new WasiError(Errno.ACCES);
  }
  symlink(): void {
    throw new WasiError(Errno.ACCES);
  }
  utimes(): void {
    throw new WasiError(Errno.ACCES);
  }
}
