// The syscall boundary (bindSyscall), on its own so the WASI class's bundle need not hold the WASIX tables.
import { syscallSignature } from '../abi/syscalls.js';
import type { Kernel } from './kernel.js';
import { Ctl } from './shared/control-block.js';
import { ThreadKilled } from './exits.js';
import type { AnySyscall, SyscallBody, SyscallKind } from './syscalls/types.js';
import { traced } from './trace.js';

/**
 * The syscall boundary: wraps a table entry once, by its kind, into the function wasm calls.
 *  - liveness: a call made while the process is exiting unwinds the thread (ThreadKilled) instead of
 *    running; a 'blocking' call checks again when it returns;
 *  - errors: whatever the body throws becomes its errno (Kernel.fail: an unexpected exception is EIO and
 *    reported with the syscall's name); exit sentinels keep unwinding;
 *  - WASIX signals pending for the thread are delivered when the call returns (not for 'void'/'ends');
 *  - tracing (WEFT_LOG=debug / --trace / --trace-summary) wraps the result, and only when enabled.
 * The wrapper has the import's own arity (from its witx signature), so neither the wasm-to-JS call nor
 * the call to the body goes through an arguments adaptation or a rest array.
 */
export function bindSyscall(k: Kernel, module: string, name: string, entry: AnySyscall): SyscallBody {
  const sig = syscallSignature(module, name);
  if (!sig) throw new Error(`weft: no witx signature for ${module}.${name}`);
  // The table's type checked the body against this signature (kernel/syscalls/types.ts).
  const fn = entry.fn as SyscallBody;
  let bound = entry.kind === 'ends'
    ? fn
    : wrap(fn, sig.params.length, boundaryFor(k, entry.kind, sig.result === 'i32'), `${module}.${name}`);
  if (k.cfg.trace || k.cfg.traceSummary || k.cfg.profileFd !== undefined) bound = traced(k, `${module}.${name}`, bound, entry.kind, sig.result);
  return bound;
}

/**
 * What the wrappers use around a body; one object per kernel and kind (cached on the kernel), so the
 * wrappers' property loads and calls stay monomorphic.
 */
interface Boundary {
  /** The control block: word Ctl.EXITING is non-zero once the process is exiting. */
  readonly live: Int32Array;
  killed(): never;
  /** The errno of what the body threw (Kernel.fail); `syscall` names the call in a report. */
  fail(e: unknown, syscall: string): number;
  /** After the body (blocking calls, WASIX signals); only the POST wrappers call it. */
  leave(r: number): number;
}

function boundaryFor(k: Kernel, kind: SyscallKind, negativeErrno: boolean): { b: Boundary; post: boolean } {
  const signals = kind === 'void' ? undefined : k.signals;
  const blocks = kind === 'blocking';
  const key = `${blocks}/${!!signals}/${negativeErrno}`;
  const cache = (k.boundaries ??= {}) as Record<string, Boundary>;
  const live = k.ctl.i32;
  // A plain read of the shared exit word, not Atomics.load: V8's optimising tier compiles Atomics.load
  // as a builtin call (~10 ns, more than a whole clock_time_get body), while a plain read is a load. It
  // cannot be kept in a register across calls from wasm, so an exit is still seen at the next call.
  const b = (cache[key] ??= {
    live,
    killed(): never {
      throw new ThreadKilled();
    },
    fail: negativeErrno ? (e, syscall) => -k.fail(e, syscall) : (e, syscall) => k.fail(e, syscall),
    leave(r) {
      if (blocks && live[Ctl.EXITING] !== 0) throw new ThreadKilled();
      if (signals && signals.pending()) signals.deliver();
      return r;
    },
  });
  return { b, post: blocks || signals !== undefined };
}

/** The values wasm passes a JS import: numbers for i32, bigints for i64. */
type V = number | bigint;
/** A body with a result (the POST wrappers serve only those: 'void' calls neither block nor deliver signals). */
type NumberBody = (...args: V[]) => number;
type Wrapper<F> = (fn: F, b: Boundary, name: string) => SyscallBody;

/*
 * Fixed-arity wrappers (the largest witx signature has 10 parameters): DIRECT for calls with nothing to do
 * after the body, POST for the others. In POST, leave() runs outside the try: a trap in a guest signal
 * handler must stay a trap, not become an errno. (Ctl.EXITING is word 0.) `name` is only read when the
 * body threw something unexpected (Kernel.fail reports it).
 */
const DIRECT: Wrapper<SyscallBody>[] = [
  (fn, b, name) => function () {
    try { if (b.live[0] !== 0) b.killed(); return fn(); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V, c: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V, c: V, d: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V, h: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g, h); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V, h: V, i: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g, h, i); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V, h: V, i: V, j: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g, h, i, j); } catch (x) { return b.fail(x, name); }
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V, h: V, i: V, j: V, l: V) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g, h, i, j, l); } catch (x) { return b.fail(x, name); }
  },
];

const POST: Wrapper<NumberBody>[] = [
  (fn, b, name) => function () {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(); } catch (x) { r = b.fail(x, name); } return b.leave(r);
  },
  (fn, b, name) => function (a: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a); } catch (x) { r = b.fail(x, name); } return b.leave(r);
  },
  (fn, b, name) => function (a: V, c: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c); } catch (x) { r = b.fail(x, name); } return b.leave(r);
  },
  (fn, b, name) => function (a: V, c: V, d: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d); } catch (x) { r = b.fail(x, name); } return b.leave(r);
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e); } catch (x) { r = b.fail(x, name); }
    return b.leave(r);
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f); } catch (x) { r = b.fail(x, name); }
    return b.leave(r);
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g); } catch (x) { r = b.fail(x, name); }
    return b.leave(r);
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V, h: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g, h); } catch (x) { r = b.fail(x, name); }
    return b.leave(r);
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V, h: V, i: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g, h, i); } catch (x) { r = b.fail(x, name); }
    return b.leave(r);
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V, h: V, i: V, j: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g, h, i, j); } catch (x) { r = b.fail(x, name); }
    return b.leave(r);
  },
  (fn, b, name) => function (a: V, c: V, d: V, e: V, f: V, g: V, h: V, i: V, j: V, l: V) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g, h, i, j, l); } catch (x) { r = b.fail(x, name); }
    return b.leave(r);
  },
];

/** Signatures longer than the fixed wrappers (proc_spawn: 13 parameters, proc_spawn2: 14): a rest parameter. */
const directAny: Wrapper<SyscallBody> = (fn, b, name) => function (...args: V[]) {
  try { if (b.live[0] !== 0) b.killed(); return fn(...args); } catch (x) { return b.fail(x, name); }
};
const postAny: Wrapper<NumberBody> = (fn, b, name) => function (...args: V[]) {
  let r; try { if (b.live[0] !== 0) b.killed(); r = fn(...args); } catch (x) { r = b.fail(x, name); } return b.leave(r);
};

function wrap(fn: SyscallBody, arity: number, bp: { b: Boundary; post: boolean }, name: string): SyscallBody {
  if (bp.post) return (POST[arity] ?? postAny)(fn as NumberBody, bp.b, name);
  return (DIRECT[arity] ?? directAny)(fn, bp.b, name);
}
