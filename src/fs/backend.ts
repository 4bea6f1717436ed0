/**
 * The interface every filesystem backend implements (host directories on Node, the shared in-memory
 * filesystem everywhere). The kernel owns sandboxing: it resolves guest paths component by component
 * (using lstat/readlink below) and only ever hands a backend paths that are already inside the backend's
 * root, relative to it, '/'-separated, without '.', '..' or empty components ('' is the root itself),
 * and whose intermediate components are real directories (no symlinks). The final component may be a
 * symlink only where a method says so.
 *
 * All methods are synchronous (they run inside a wasm syscall) and may be called from any thread at once.
 * Failures are thrown as WasiError(errno) (host errors with a Node `code` are mapped by toErrno).
 *
 * A handle is a number meaningful in every thread of the process (a Node fd, or an inode number of the
 * in-memory fs), so the kernel's shared fd table can store it.
 */
export interface Stat {
  dev: bigint;
  ino: bigint;
  filetype: number; // abi/constants Filetype
  nlink: bigint;
  size: bigint;
  atimNs: bigint;
  mtimNs: bigint;
  ctimNs: bigint;
}

export interface DirEntry {
  name: string;
  ino: bigint;
  filetype: number;
}

export interface OpenOptions {
  read: boolean;
  write: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  /** Fail with ENOTDIR unless the target is a directory. */
  directory: boolean;
  /** Writes always go to the end of the file. */
  append: boolean;
}

/** A time to set: a value in ns since the epoch, 'now', or undefined to leave it unchanged. */
export type TimeSpec = bigint | 'now' | undefined;

export interface FsBackend {
  /** Serializable description that rebuilds an equivalent backend in another thread (ThreadHost.openBackend). */
  describe(): BackendDescriptor;
  readonly readOnly: boolean;

  /** Does not follow a final symlink. */
  lstat(path: string): Stat;
  /** Optional: lstat() that returns null for a missing path instead of throwing ENOENT (cheaper on hosts that throw). */
  lstatIfExists?(path: string): Stat | null;
  /**
   * Optional: only the Filetype of lstat(path), or -1 when it does not exist, cheaper than a Stat (the host's
   * number stats; no exact times). The resolver uses it for every component whose Stat nobody reads.
   */
  lstatType?(path: string): number;
  /**
   * Optional fast path of the resolver: true when `path` is canonical (see above; else false) and the backend can vouch, cheaply (at most one host call),
   * that every component of `path` is still a real directory (no symlink) inside its root, so the resolver
   * may look up a name below it without walking it component by component. false = walk as usual (the walk
   * is what teaches the backend which directories to vouch for). See hostfs.ts for the host backend's proof.
   * `forUse`: the caller will open or change a name in it next (the backend may check what that needs now).
   */
  verifiedDir?(path: string, forUse?: boolean): boolean;
  /** Optional: a resolution starts (with verifiedDir: what it walks counts only if nothing changed since). */
  beginLookup?(): void;
  /**
   * Optional: the thread that built this backend is done with it for now (its runtime ended): free what it
   * holds for itself (the host backend's directory fds). It may be used again afterwards.
   */
  release?(): void;
  /** EINVAL when path is not a symlink. */
  readlink(path: string): string;
  /**
   * Optional: readlink() that returns null where readlink() fails with EINVAL (the name is not a symlink),
   * cheaply (no exception), so the kernel can call it without looking the name up first.
   */
  readlinkIfLink?(path: string): string | null;
  /**
   * mkdir(), rmdir() and unlink() report what a lookup of the final name would have (EEXIST; ENOENT, ENOTDIR;
   * ENOENT, EISDIR) as Linux does, errors of a read-only backend included, so the kernel may skip that lookup
   * (ResolveOptions.skipFinal).
   */
  readonly checksNames?: boolean;
  /** Opens a file or directory. A symlink as final component fails with ELOOP (the kernel follows links itself). */
  open(path: string, opts: OpenOptions): number;
  close(handle: number): void;
  /**
   * Optional: a new handle on the same open file with other open flags (fd_fdstat_set_flags turning
   * APPEND on or off where the handle itself appends). The caller closes the old handle. Backends whose
   * handles never append by themselves leave it out.
   */
  reopen?(handle: number, o: { read: boolean; write: boolean; append: boolean }): number;
  /** Reads at a position (no shared cursor: the kernel keeps offsets). Returns bytes read, 0 at EOF. */
  pread(handle: number, dst: Uint8Array, position: number): number;
  /** Writes at a position, or at the end when position is 'append'. Returns bytes written. */
  pwrite(handle: number, src: Uint8Array, position: number | 'append'): number;
  fstat(handle: number): Stat;
  ftruncate(handle: number, size: number): void;
  futimes(handle: number, atim: TimeSpec, mtim: TimeSpec): void;
  fsync(handle: number, dataOnly: boolean): void;
  /** Entries of an open directory in a stable order, without '.' and '..' (the kernel adds those). */
  readdir(handle: number): DirEntry[];

  mkdir(path: string): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  rename(from: string, to: string): void;
  /** Hard link; from's final component is not followed. */
  link(from: string, to: string): void;
  symlink(target: string, path: string): void;
  /** Final component not followed (the kernel resolves when the guest asks to follow). */
  utimes(path: string, atim: TimeSpec, mtim: TimeSpec): void;
  /**
   * Optional: when opening `path` means another of the process's fds (/dev/fd/N, /dev/stdin) or its
   * terminal (/dev/tty) rather than a node of this backend; path_open then duplicates that fd.
   */
  alias?(path: string): { fd: number } | { tty: true } | undefined;
}

export type BackendDescriptor =
  /**
   * `times`: the process's record of times it set (host/node/set-times.ts), shared by its threads;
   * `lookups`: the generation of the verified-directory caches (hostfs.ts), bumped by namespace changes.
   */
  | { kind: 'host'; root: string; readOnly: boolean; times?: SharedArrayBuffer; lookups?: SharedArrayBuffer }
  | { kind: 'memory'; sab: SharedArrayBuffer; root: string; readOnly: boolean }
  /** /dev (fs/devfs.ts): `tty` when stdin is a terminal; `timeMs` its nodes' times (process start). */
  | { kind: 'dev'; tty: boolean; timeMs: number; readOnly?: false };
