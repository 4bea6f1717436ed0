/** wasix_32v1 layouts and constants (api_wasix.h), declared once. Offsets are for wasm32. */

/** ThreadStart: sixteen pointer-sized fields; the runtime only reads it (for tracing and validation). */
export const ThreadStart = {
  stackUpper: 0,
  tlsBase: 4,
  startFunc: 8,
  startArg: 12,
  /** reserved[0]: wasix-libc keeps pthread_self here. */
  pthreadSelf: 16,
  stackSize: 56,
  guardSize: 60,
  size: 64,
  align: 4,
} as const;

/** option<timestamp> as passed to futex_wait: tag u8 @0 (0 none, 1 some), u64 relative ns @8. */
export const OptionTimestamp = { tag: 0, value: 8, size: 16, align: 8 } as const;

/** __wasi_tty_t. */
export const Tty = {
  cols: 0, rows: 4, width: 8, height: 12,
  stdinTty: 16, stdoutTty: 17, stderrTty: 18, echo: 19, lineBuffered: 20, lineFeeds: 21,
  size: 24,
} as const;

/** signal_disposition: u8 sig, u8 disp (0 default, 1 ignore). */
export const SignalDisposition = { sig: 0, disp: 1, size: 2 } as const;

/** fdflagsext (u16): bit 0 is close-on-exec. */
export const FdFlagsExt = { CLOEXEC: 1 } as const;

/**
 * eventfdflags (u16): bit 0 is semaphore mode. wasix-libc's eventfd() passes its flags through masked to
 * 16 bits, so EFD_NONBLOCK arrives as O_NONBLOCK = fdflags NONBLOCK (bit 2); its EFD_CLOEXEC
 * (fdflagsext CLOEXEC << 30) never survives the mask.
 */
export const EventFdFlags = { SEMAPHORE: 1, NONBLOCK: 4 } as const;

/** The libc's sentinel tid for the main thread (its pthread_self()->tid before any host tid). */
export const LIBC_MAIN_TID = 0x3fffffff;

/** WASIX signals: Linux numbering (differs from preview1 from 16 on). */
export const WasixSignal = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22,
  URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, POLL: 29, PWR: 30, SYS: 31,
} as const;
export const WASIX_MAX_SIGNAL = 31;

/** Signals whose default action ignores them (everything else ends the process when no handler is registered). */
export const WASIX_IGNORED_BY_DEFAULT: ReadonlySet<number> = new Set([
  WasixSignal.CHLD, WasixSignal.CONT, WasixSignal.URG, WasixSignal.WINCH,
]);

/** option<pid> (proc_join's in/out pid): tag u8 @0 (0 none = any child, 1 some), pid u32 @4. */
export const OptionPid = { tag: 0, pid: 4, size: 8, align: 4 } as const;

/** join_status: tag u8 @0 (JoinStatusType); exit_normal u16 @2; exit_signal { code u16 @2, sig u8 @4 }. */
export const JoinStatus = { tag: 0, code: 2, signal: 4, size: 6, align: 2 } as const;
export const JoinStatusType = { NOTHING: 0, EXIT_NORMAL: 1, EXIT_SIGNAL: 2, STOPPED: 3 } as const;
/** join_flags: bit 0 non-blocking (WNOHANG), bit 1 wake on stopped (WUNTRACED). */
export const JoinFlags = { NON_BLOCKING: 1, WAKE_STOPPED: 2 } as const;

/** proc_spawn_fd_op (posix_spawn file actions), 56 bytes, align 8. */
export const SpawnFdOp = {
  cmd: 0, fd: 4, srcFd: 8, path: 12, pathLen: 16, dirflags: 20, oflags: 24,
  rightsBase: 32, rightsInheriting: 40, fdflags: 48, fdflagsext: 50,
  size: 56, align: 8,
} as const;
export const SpawnFdOpName = { CLOSE: 0, DUP2: 1, OPEN: 2, CHDIR: 3, FCHDIR: 4 } as const;

/** stack_snapshot (setjmp's jmp_buf head): user u64 @0, hash (two u64) @8. */
export const StackSnapshot = { user: 0, hash: 8, size: 24, align: 8 } as const;
