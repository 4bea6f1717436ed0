import { Errno } from '../abi/errno.js';
import { syscallSignature } from '../abi/syscalls.js';
import type { Kernel } from './kernel.js';
import { coreSyscalls } from './syscalls/core.js';
import { fdSyscalls } from './syscalls/fd.js';
import { fsSyscalls } from './syscalls/fs.js';
import { pollSyscalls, stdioReadProbe, type ReadProbe, type WriteProbe } from './syscalls/poll.js';
import { Fd } from './fdtable.js';
import { blocking, bodyOf, type Syscall, type SyscallFn, type SyscallKind, type SyscallTable } from './syscalls/types.js';
import { createFileOps } from './files.js';
import { traced } from './trace.js';
import { wasiThreadSyscalls } from './syscalls/wasi-threads.js';
import { SignalDelivery } from './signals.js';
import { createStreams } from './streams.js';
import { WasixState } from './wasix-state.js';
import { wasixThreadSyscalls } from './syscalls/wasix-threads.js';
import { wasixProcSyscalls } from './syscalls/wasix-proc.js';
import { wasixFdSyscalls } from './syscalls/wasix-fd.js';
import { wasixProcessSyscalls } from './syscalls/wasix-process.js';
import { Ctl } from './control.js';
import { ThreadKilled } from './exits.js';
import { NetState } from './net-state.js';
import { socketLayer } from './syscalls/wasix-sock.js';
import { epollRelease, wasixEpollSyscalls } from './syscalls/wasix-epoll.js';
import { FdKind as Kinds } from './fdtable.js';

/** The wasi_snapshot_preview1 functions, as one table. */
export function preview1Table(k: Kernel): SyscallTable {
  const files = createFileOps(k);
  return {
    ...coreSyscalls(k),
    ...fdSyscalls(k, files),
    ...fsSyscalls(k),
    ...pollSyscalls(k, { read: readProbe(k), write: writeProbe(k) }),
  };
}

/** fd_write readiness for poll_oneoff: streams that can be full or not yet connected (sockets). */
function writeProbe(k: Kernel): WriteProbe {
  return (_fd, base) => {
    const stream = k.streams[k.fds.i32[base + Fd.KIND]!];
    if (!stream?.writeReady) return { nbytes: 0, hangup: false };
    const r = stream.writeReady(base);
    return r.ready ? r : null;
  };
}

/**
 * Sockets and epoll (WASIX, or a preview1 module given --tcp-listen): the wasix_32v1 socket calls, and
 * the preview1 sock_* calls wasix-libc imports for send/recv/shutdown, which then work on every socket.
 */
function networkTables(k: Kernel): { wasix: SyscallTable; p1: SyscallTable } {
  if (!k.cfg.netSab) return { wasix: {}, p1: {} };
  const net = (k.net = new NetState(k.cfg.netSab));
  const sock = socketLayer(k, net);
  k.releaseHooks[Kinds.EPOLL] = epollRelease(net);
  const t = sock.table;
  const p1: SyscallTable = {
    sock_recv: t['sock_recv']!,
    sock_send: t['sock_send']!,
    sock_shutdown: t['sock_shutdown']!,
    sock_accept: blocking(function sock_accept(fd: number, flags: number, retFd: number) {
      const m = k.mem.sync();
      m.check(retFd, 4);
      m.setU32(retFd, sock.accept(fd, flags).fd);
      return 0;
    }),
  };
  return { wasix: { ...t, ...wasixEpollSyscalls(k, net) }, p1 };
}

/** fd_read readiness for poll_oneoff: in-kernel streams (pipes, eventfds) first, then stdio and files. */
function readProbe(k: Kernel): ReadProbe {
  const stdio = stdioReadProbe(k);
  return (fd, base) => {
    const stream = k.streams[k.fds.i32[base + Fd.KIND]!];
    if (!stream) return stdio(fd, base);
    const r = stream.readReady(base);
    return r.ready ? r : null;
  };
}

/** Import namespaces served by the kernel, keyed by module name. */
export function namespaces(k: Kernel): Record<string, SyscallTable> {
  const threads = wasiThreadSyscalls(k);
  if (!k.cfg.usesWasix || !k.cfg.wasixSab) {
    // A preview1 program in a WASIX process tree can still inherit pipe ends.
    if (k.cfg.wasixSab && k.cfg.objSab) createStreams(k, new WasixState(k.cfg.wasixSab, k.cfg.objSab));
    // A preview1 module has sockets only when the host handed it listeners (--tcp-listen).
    return { wasi_snapshot_preview1: { ...preview1Table(k), ...networkTables(k).p1, ...threads }, wasi: threads };
  }
  // A WASIX module: pipes and eventfds join the fd kinds, signals are delivered at syscall boundaries,
  // and proc_raise uses WASIX (Linux) signal numbers in both namespaces.
  const st = new WasixState(k.cfg.wasixSab, k.cfg.objSab);
  k.signals = new SignalDelivery(k, st);
  createStreams(k, st);
  const netTables = networkTables(k);
  const p1 = preview1Table(k);
  const wx = { ...wasixThreadSyscalls(k), ...wasixProcSyscalls(k, st), ...wasixProcessSyscalls(k, st) };
  const p1x: SyscallTable = { ...p1, proc_raise: wx['proc_raise']!, fd_renumber: wx['fd_renumber']!, ...netTables.p1 };
  const wasix: SyscallTable = {
    ...p1x, ...wx, ...wasixFdSyscalls(k, st, bodyOf(p1['path_open']!)), ...netTables.wasix,
  };
  return { wasi_snapshot_preview1: { ...p1x, ...threads }, wasi: threads, wasix_32v1: wasix };
}

/**
 * Builds the import object for one instance: the module's memory import gets the process memory, every
 * function import gets its syscall behind the boundary (bindSyscall), and anything unknown gets a function
 * returning ENOSYS (logged), so modules always instantiate. The result is a plain mutable object.
 */
export function buildImports(
  k: Kernel,
  module: WebAssembly.Module,
  memory: WebAssembly.Memory | undefined,
  tables: Record<string, SyscallTable>,
): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const ns = (imports[imp.module] ??= {});
    if (imp.kind === 'memory') {
      if (memory) ns[imp.name] = memory;
      continue;
    }
    if (imp.kind !== 'function') continue; // globals/tables: left for the instantiation error to name
    const table = tables[imp.module];
    const entry = table && Object.hasOwn(table, imp.name) ? table[imp.name] : undefined;
    ns[imp.name] = (entry ? bindSyscall(k, imp.module, imp.name, entry) : enosys(k, `${imp.module}.${imp.name}`)) as WebAssembly.ImportValue;
  }
  return imports;
}

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

function enosys(k: Kernel, name: string): SyscallFn {
  let warned = false;
  return () => {
    if (!warned && k.cfg.trace) {
      warned = true;
      k.host.log(`weft: ${name} is not implemented (ENOSYS)`);
    }
    return Errno.NOSYS;
  };
}
