import { Errno } from '../abi/errno.js';
import type { Kernel } from './kernel.js';
import { coreSyscalls } from './syscalls/core.js';
import { fdSyscalls } from './syscalls/fd.js';
import { fsSyscalls } from './syscalls/fs.js';
import { pollSyscalls, stdioReadProbe, type ReadProbe } from './syscalls/poll.js';
import { Fd } from './fdtable.js';
import type { SyscallFn, SyscallTable } from './syscalls/types.js';
import { createFileOps } from './files.js';
import { traced } from './trace.js';
import { wasiThreadSyscalls } from '../threads/spawn.js';
import { SignalDelivery } from './signals.js';
import { createStreams } from './streams.js';
import { WasixState } from './wasix-state.js';
import { wasixThreadSyscalls } from './syscalls/wasix-threads.js';
import { wasixProcSyscalls } from './syscalls/wasix-proc.js';
import { wasixFdSyscalls } from './syscalls/wasix-fd.js';
import { wasixProcessSyscalls } from './syscalls/wasix-process.js';

/** The wasi_snapshot_preview1 functions, as one table. */
export function preview1Table(k: Kernel): SyscallTable {
  const files = createFileOps(k);
  return {
    ...coreSyscalls(k),
    ...fdSyscalls(k, files),
    ...fsSyscalls(k),
    ...pollSyscalls(k, { read: readProbe(k) }),
  };
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
    const p1 = preview1Table(k);
    return {
      wasi_snapshot_preview1: { ...p1, 'thread-spawn': threads['thread-spawn']!, thread_spawn: threads['thread_spawn']! },
      wasi: threads,
    };
  }
  // A WASIX module: pipes and eventfds join the fd kinds, signals are delivered at syscall boundaries,
  // and proc_raise uses WASIX (Linux) signal numbers in both namespaces.
  const st = new WasixState(k.cfg.wasixSab, k.cfg.objSab!);
  k.signals = new SignalDelivery(k, st);
  createStreams(k, st);
  const p1 = preview1Table(k);
  const wx = { ...wasixThreadSyscalls(k), ...wasixProcSyscalls(k, st), ...wasixProcessSyscalls(k, st) };
  const p1x: SyscallTable = { ...p1, proc_raise: wx['proc_raise']!, fd_renumber: wx['fd_renumber']! };
  const wasix: SyscallTable = { ...p1x, ...wx, ...wasixFdSyscalls(k, st, p1['path_open']!) };
  return {
    wasi_snapshot_preview1: { ...p1x, 'thread-spawn': threads['thread-spawn']!, thread_spawn: threads['thread_spawn']! },
    wasi: threads,
    wasix_32v1: wasix,
  };
}

/** Functions that return nothing (their wasm type has no result). */
const VOID_CALLS = new Set(['proc_exit', 'proc_exit2', 'thread_exit', 'callback_signal', 'stack_restore', 'proc_exec', 'proc_exec2']);
/** Calls that may unwind the stack (asyncify): no signal delivery while the stack is half gone. */
const UNWINDING_CALLS = new Set(['proc_fork', 'stack_checkpoint']);

/**
 * Builds the import object for one instance: the module's memory import gets the process memory, every
 * function import gets its syscall, and anything unknown gets a function returning ENOSYS (logged), so
 * modules always instantiate. The result is a plain mutable object.
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
    const full = `${imp.module}.${imp.name}`;
    let fn: SyscallFn | undefined = tables[imp.module]?.[imp.name];
    if (!fn) fn = enosys(k, full);
    if (k.signals && !VOID_CALLS.has(imp.name) && !UNWINDING_CALLS.has(imp.name)) fn = withSignals(k, fn);
    if (k.cfg.trace) fn = traced(k, full, fn, !VOID_CALLS.has(imp.name) && imp.name !== 'thread-spawn' && imp.name !== 'thread_spawn');
    ns[imp.name] = fn as WebAssembly.ImportValue;
  }
  return imports;
}

/** Delivers the calling thread's pending signals when a syscall returns (WASIX semantics). */
function withSignals(k: Kernel, fn: SyscallFn): SyscallFn {
  const signals = k.signals!;
  return (...args: unknown[]) => {
    const r = fn(...args);
    if (signals.pending()) signals.deliver();
    return r;
  };
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
