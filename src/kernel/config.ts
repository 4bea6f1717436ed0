import type { BackendDescriptor, FsBackend } from '../fs/backend.js';
import type { ValType } from '../abi/wasm-types.js';

/** How one of fds 0-2 reaches the host. */
export type StdioTarget =
  /**
   * A host file descriptor (Node). Reads happen in the calling thread only when `direct` (a regular
   * file, which never blocks indefinitely, or the single-threaded WASI class); otherwise stdin is 'served'.
   */
  | { kind: 'fd'; fd: number; file: boolean; tty: boolean; chardev: boolean; direct: boolean }
  /** Bytes go to a callback on the coordinator (browser, or a Node callback option). */
  | { kind: 'callback' }
  /** stdin served by the coordinator (a pipe, a TTY, a callback or a stream); `tty` for a terminal. */
  | { kind: 'served'; tty?: boolean }
  | { kind: 'null' };

export interface PreopenConfig {
  /** Name the guest sees (fd_prestat_dir_name), e.g. "/data" or ".". */
  guestPath: string;
  backend: BackendDescriptor;
}

/** Everything a thread needs to build its kernel; structured-cloneable (sent to every worker). */
export interface KernelConfig {
  args: string[];
  env: string[];
  stdio: [StdioTarget, StdioTarget, StdioTarget];
  preopens: PreopenConfig[];
  ctlSab: SharedArrayBuffer;
  fdSab: SharedArrayBuffer;
  maxThreads: number;
  /**
   * performance.timeOrigin + performance.now() of the coordinator at process start (ms). Undefined for a
   * process of one thread (the WASI class): its monotonic clock starts at that thread's own time origin,
   * and `performance` (whose first access costs Node 20 2-6 ms) is not touched until a clock is read.
   */
  clockBaseMs?: number;
  /** Log a line per syscall and thread/process event (--trace). */
  trace: boolean;
  /** --trace-summary: the counters every thread adds to (kernel/shared/trace-summary.ts). */
  traceSummary?: SharedArrayBuffer | undefined;
  /**
   * --profile (Node): a host fd opened for appending that every thread writes Chrome Trace Event Format
   * events to (ThreadHost.appendLine): a slice per syscall, on a track per wasm thread.
   */
  profileFd?: number | undefined;
  /** --trace: one Int32 word shared by the process tree, held while a line is stamped and written. */
  traceLock?: SharedArrayBuffer | undefined;
  /** Does the module export wasi_thread_start? */
  hasThreadStart: boolean;
  usesWasix: boolean;
  /** Process-wide WASIX state (kernel/shared/wasix-state.ts), present when the module imports wasix_32v1. */
  wasixSab?: SharedArrayBuffer | undefined;
  /** The process tree's pipe/eventfd object table (shared by every process of the tree). */
  objSab?: SharedArrayBuffer | undefined;
  /** This process in the tree's process table (WASIX modules); its row is also its fd region of fdSab. */
  proc?: {
    tableSab: SharedArrayBuffer; row: number; pid: number; memMax?: number | undefined;
    /**
     * Identities (fs/program-file.ts) of program files the tree had compiled when this process started:
     * exec/spawn of one of them sends the coordinator no bytes (it finds the Module by the identity).
     */
    programs?: string[] | undefined;
  };
  /** Signals the parent asked to start ignored (posix_spawn's signal dispositions). */
  ignoredSignals?: number[] | undefined;
  /** Process-wide network state (kernel/shared/net-state.ts), present for WASIX modules. */
  netSab?: SharedArrayBuffer | undefined;
  /** Is there a host network (an owner of host sockets, Node)? Without it only in-process loopback works. */
  netHost?: boolean;
  /**
   * Can connect() reach addresses outside the process through the owner? True with a host network, and
   * in a browser page that passed a connect hook (bind/listen then stay in-process).
   */
  netRemote?: boolean;
  /** Network permission; undefined or { all: false, allow: [] } means no network at all. */
  net?: NetPolicy | undefined;
  /** Imports beyond the syscalls; without it, known names weft lacks are ENOSYS and others trap. */
  imports?: ImportPlan | undefined;
  /** The main thread calls this export with these arguments instead of `_start` (after `_initialize`). */
  invoke?: { name: string; args: (number | bigint)[] } | undefined;
}

/** How a thread links the module's imports beyond the syscalls (process/link.ts decides it before start). */
export interface ImportPlan {
  /** Result types of the function imports, in import order (undefined without the module's bytes). */
  importResults: ValType[][] | undefined;
  /** Imports the user's `imports` option provides (called on the coordinator), as "module.field". */
  userImports: string[];
  /** Unknown functions trap when called (instead of failing the run before it starts). */
  allowUnknownImports: boolean;
}

/** Which addresses a program may bind, connect or send to. */
export interface NetPolicy {
  /** Everything (--net). */
  all: boolean;
  /** HOST:PORT pairs (--net-allow); host '*' or port 0 match any. Hosts are IP literals or 'localhost'. */
  allow: { host: string; port: number }[];
}

/** What the kernel needs from its host inside one thread. Implemented by host/node and host/browser. */
export interface ThreadHost {
  /** Sends a message to the coordinator; never blocks. */
  post(msg: unknown, transfer?: ArrayBufferLike[]): void;
  /**
   * A spare shared memory of exactly `pages` pages and this maximum that the coordinator handed this
   * worker ahead (the memory of a process of the tree that ended), for fork to copy into instead of a
   * fresh one: a fresh memory pays a page fault per 4 KiB touched (~15 µs each on a busy VM). Optional.
   */
  takeMemory?(pages: number, maximum: number): { memory: WebAssembly.Memory | undefined; left: number };
  /** Writes all of data to a stdio target synchronously (retrying partial writes); returns bytes written. */
  writeStdio(target: StdioTarget, fdNum: number, data: Uint8Array[]): number;
  /** Reads from a stdio target that never blocks indefinitely (a regular file). */
  readStdioSync(target: StdioTarget, dst: Uint8Array): number;
  /** Builds the backend of a preopen in this thread. */
  openBackend(d: BackendDescriptor): FsBackend;
  /** Fills dst with random bytes (dst may be shared memory). */
  randomFill(dst: Uint8Array): void;
  cpuCount(): number;
  processCpuTimeNs(): number;
  threadCpuTimeNs(): number;
  /**
   * Writes to a host socket fd from this thread without blocking (Node: a nonblocking TCP fd owned by the
   * coordinator's event loop); returns the bytes written, 0 when the socket is full. Optional.
   */
  socketWrite?(fd: number, data: Uint8Array): number;
  /** Writes a diagnostic line (trace log, trap report). */
  log(line: string): void;
  /** Appends a line to a host fd in one write (--profile's events). Optional. */
  appendLine?(fd: number, line: string): void;
}
