/**
 * Syscall table entries. A body only does the work: it returns its result (0 or an errno for 'errno'
 * calls) or throws (a WasiError carries the errno; a host error with a Node `code` is mapped). The glue
 * every call needs is applied once, where the import object is built (kernel/imports.ts, see
 * docs/architecture.md "Adding a syscall"): the liveness check, the exception -> errno conversion and,
 * for WASIX modules, signal delivery after the call.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SyscallFn = (...args: any[]) => number | bigint | void;

/**
 * - 'errno': returns an errno (0 on success); exceptions become their errno.
 * - 'blocking': the same, for calls that may wait (sleeps, futexes, pipes, stdin, poll): the thread's
 *   liveness is checked again when the call returns, so a thread woken by the process ending unwinds.
 * - 'void': no result (the wasm import has none); exceptions other than the exit sentinels are dropped.
 * - 'ends': ends the thread or the process (proc_exit, thread_exit): called bare, it only throws.
 */
export type SyscallKind = 'errno' | 'blocking' | 'void' | 'ends';

export interface Syscall {
  readonly kind: SyscallKind;
  readonly fn: SyscallFn;
}

/**
 * One import module's calls. A bare function is accepted too (the older style, which catches its own
 * errors and returns k.fail(e)): it is served as 'errno', or as 'void' when its signature has no result.
 */
export type SyscallTable = Record<string, Syscall | SyscallFn>;

export const errno = (fn: SyscallFn): Syscall => ({ kind: 'errno', fn });
export const blocking = (fn: SyscallFn): Syscall => ({ kind: 'blocking', fn });
export const voidCall = (fn: SyscallFn): Syscall => ({ kind: 'void', fn });
export const ends = (fn: SyscallFn): Syscall => ({ kind: 'ends', fn });

/** The body of a table entry, whichever style it was written in. */
export function bodyOf(entry: Syscall | SyscallFn): SyscallFn {
  return typeof entry === 'function' ? entry : entry.fn;
}
