import type { PREVIEW1 } from '../../abi/syscall-names.js';
import type { SyscallSignature, SyscallSpec } from '../../abi/syscalls.js';

/**
 * Syscall table entries, typed from the witx signatures (abi/syscall-names.ts, generated `as const`): a
 * body takes exactly its import's parameters, a number for each i32 and a bigint for each i64, so a body
 * with the wrong arity or argument types does not compile (test/typed-seam.test.mjs). A body only does
 * the work: it returns its result (0 or an errno for 'errno' calls) or throws (a WasiError carries the
 * errno; a host error with a Node `code` is mapped). The glue every call needs is applied once, where the
 * import object is built (kernel/boundary.ts): the liveness check, the exception -> errno conversion and,
 * for WASIX modules, signal delivery after the call.
 */

/**
 * - 'errno': returns an errno (0 on success); exceptions become their errno.
 * - 'blocking': the same, for calls that may wait (sleeps, futexes, pipes, stdin, poll): the thread's
 *   liveness is checked again when the call returns, so a thread woken by the process ending unwinds.
 * - 'void': no result (the wasm import has none); exceptions other than the exit sentinels are dropped.
 * - 'ends': ends the thread or the process (proc_exit, thread_exit): called bare, it only throws.
 */
export type SyscallKind = 'errno' | 'blocking' | 'void' | 'ends';

/** The JS type of a wasm value type. */
type JsType<T> = T extends 'i32' ? number : T extends 'i64' ? bigint : never;

/** The JS parameters of a wasm parameter list, in order. */
export type ParamsOf<P extends readonly unknown[]> = { -readonly [K in keyof P]: JsType<P[K]> };

/** A table entry: its kind, its body and the body's parameter count (fn.length). */
export interface Syscall<K extends SyscallKind, F> {
  readonly kind: K;
  readonly fn: F;
  readonly arity: F extends (...args: infer A) => unknown ? A['length'] : never;
}

/**
 * The entries the import `S` accepts: a body of exactly its parameters, of a kind that fits its result.
 * (Spelt out rather than as a Syscall<K, F>: between two instances of one generic type the compiler
 * compares F alone, and a body with fewer parameters is assignable to a longer function type.)
 */
export type EntryFor<S extends SyscallSignature> = S['result'] extends 'none'
  ? { readonly kind: 'void' | 'ends'; readonly fn: (...args: ParamsOf<S['params']>) => void; readonly arity: S['params']['length'] }
  : { readonly kind: 'errno' | 'blocking'; readonly fn: (...args: ParamsOf<S['params']>) => number; readonly arity: S['params']['length'] };

/** A table for the names of one module's spec; every entry typed from its own signature. */
export type TableOf<Spec> = { [N in keyof Spec]?: Spec[N] extends SyscallSignature ? EntryFor<Spec[N]> : never };

/**
 * A table that certainly has the entries K (which a caller copies into another table by name: an entry
 * missing there would be `undefined` and replace the one it meant to override).
 */
export type Provides<T, K extends keyof T> = T & Required<Pick<T, K>>;

/** The wasi_snapshot_preview1 calls of the witx file. */
export type Preview1Table = TableOf<typeof PREVIEW1>;
/** wasi (wasi-threads). */
export type WasiTable = TableOf<SyscallSpec['wasi']>;
/** wasix_32v1 (the preview1 set included). */
export type WasixTable = TableOf<SyscallSpec['wasix_32v1']>;
/** The import namespaces of an instance: each module's table (wasi_snapshot_preview1 with the older spellings). */
export type Namespaces = { [M in keyof SyscallSpec]?: TableOf<SyscallSpec[M]> };

/**
 * What the boundary calls: a body whose parameter types the table's type already checked against the
 * import's signature, seen with the values wasm passes (numbers and bigints).
 */
export type SyscallBody = (...args: (number | bigint)[]) => number | void;

/** Any entry, looked up by a name known only at run time (import objects, the boundary). */
export interface AnySyscall {
  readonly kind: SyscallKind;
  readonly fn: unknown;
  readonly arity: number;
}

/** Any module's table, looked up by a name known only at run time. */
export type AnySyscallTable = Readonly<Partial<Record<string, AnySyscall>>>;

type Fn = (...args: never[]) => unknown;
const entry = <K extends SyscallKind, F extends Fn>(kind: K, fn: F): Syscall<K, F> =>
  ({ kind, fn, arity: fn.length }) as Syscall<K, F>;

export const errno = <F extends (...args: never[]) => number>(fn: F): Syscall<'errno', F> => entry('errno', fn);
export const blocking = <F extends (...args: never[]) => number>(fn: F): Syscall<'blocking', F> => entry('blocking', fn);
export const voidCall = <F extends (...args: never[]) => void>(fn: F): Syscall<'void', F> => entry('void', fn);
export const ends = <F extends (...args: never[]) => void>(fn: F): Syscall<'ends', F> => entry('ends', fn);
