// The syscall boundary (bindSyscall), on its own so the WASI class's bundle need not hold the WASIX tables.
import { syscallSignature } from '../abi/syscalls.js';
import type { Kernel } from './kernel.js';
import { Ctl } from './shared/control-block.js';
import { ThreadKilled } from './exits.js';
import { bodyOf, type Syscall, type SyscallFn, type SyscallKind } from './syscalls/types.js';
import { traced } from './trace.js';

/**
 * The syscall boundary: wraps a table entry once, by its kind, into the function wasm calls.
 *  - liveness: a call made while the process is exiting unwinds the thread (ThreadKilled) instead of
 *    running; a 'blocking' call checks again when it returns;
 *  - errors: whatever the body throws becomes its errno (Kernel.fail); exit sentinels keep unwinding;
 *  - WASIX signals pending for the thread are delivered when the call returns (not for 'void'/'ends');
 *  - tracing (WEFT_LOG=debug / --trace) wraps the result, and only when enabled.
 * The wrapper has the import's own arity (from its witx signature), so neither the wasm-to-JS call nor
 * the call to the body goes through an arguments adaptation or a rest array.
 */
export function bindSyscall(k: Kernel, module: string, name: string, entry: Syscall | SyscallFn): SyscallFn {
  const sig = syscallSignature(module, name);
  const fn = bodyOf(entry);
  const kind: SyscallKind = typeof entry === 'function' ? (sig?.result === 'none' ? 'void' : 'errno') : entry.kind;
  let bound = kind === 'ends' ? fn : wrap(fn, sig ? sig.params.length : fn.length, boundaryFor(k, kind, sig?.result === 'i32'));
  if (k.cfg.trace) bound = traced(k, `${module}.${name}`, bound, kind, sig?.result ?? 'errno');
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
  fail(e: unknown): number;
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
    fail: negativeErrno ? (e) => -k.fail(e) : (e) => k.fail(e),
    leave(r) {
      if (blocks && live[Ctl.EXITING] !== 0) throw new ThreadKilled();
      if (signals && signals.pending()) signals.deliver();
      return r;
    },
  });
  return { b, post: blocks || signals !== undefined };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Wrapper = (fn: any, b: Boundary) => SyscallFn;

/*
 * Fixed-arity wrappers (the largest witx signature has 10 parameters): DIRECT for calls with nothing to do
 * after the body, POST for the others. In POST, leave() runs outside the try: a trap in a guest signal
 * handler must stay a trap, not become an errno. (Ctl.EXITING is word 0.)
 */
const DIRECT: Wrapper[] = [
  (fn, b) => function () { try { if (b.live[0] !== 0) b.killed(); return fn(); } catch (x) { return b.fail(x); } },
  (fn, b) => function (a: any) { try { if (b.live[0] !== 0) b.killed(); return fn(a); } catch (x) { return b.fail(x); } },
  (fn, b) => function (a: any, c: any) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c); } catch (x) { return b.fail(x); }
  },
  (fn, b) => function (a: any, c: any, d: any) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d); } catch (x) { return b.fail(x); }
  },
  (fn, b) => function (a: any, c: any, d: any, e: any) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e); } catch (x) { return b.fail(x); }
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f); } catch (x) { return b.fail(x); }
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g); } catch (x) { return b.fail(x); }
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any, h: any) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g, h); } catch (x) { return b.fail(x); }
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any, h: any, i: any) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g, h, i); } catch (x) { return b.fail(x); }
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any, h: any, i: any, j: any) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g, h, i, j); } catch (x) { return b.fail(x); }
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any, h: any, i: any, j: any, l: any) {
    try { if (b.live[0] !== 0) b.killed(); return fn(a, c, d, e, f, g, h, i, j, l); } catch (x) { return b.fail(x); }
  },
];

const POST: Wrapper[] = [
  (fn, b) => function () {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any, c: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any, c: any, d: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any, c: any, d: any, e: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any, h: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g, h); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any, h: any, i: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g, h, i); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any, h: any, i: any, j: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g, h, i, j); } catch (x) { r = b.fail(x); } return b.leave(r);
  },
  (fn, b) => function (a: any, c: any, d: any, e: any, f: any, g: any, h: any, i: any, j: any, l: any) {
    let r; try { if (b.live[0] !== 0) b.killed(); r = fn(a, c, d, e, f, g, h, i, j, l); } catch (x) { r = b.fail(x); }
    return b.leave(r);
  },
];

/** Bare functions of names no witx signature covers, with more parameters than any that does. */
const wrapAny: Wrapper = (fn, b) => function (...args: any[]) {
  let r; try { if (b.live[0] !== 0) b.killed(); r = fn(...args); } catch (x) { r = b.fail(x); } return b.leave(r);
};
/* eslint-enable @typescript-eslint/no-explicit-any */

function wrap(fn: SyscallFn, arity: number, bp: { b: Boundary; post: boolean }): SyscallFn {
  return ((bp.post ? POST : DIRECT)[arity] ?? wrapAny)(fn, bp.b);
}
