import { Errno } from '../abi/errno.js';
import type { Kernel } from './kernel.js';
import { coreSyscalls } from './syscalls/core.js';
import { fdSyscalls } from './syscalls/fd.js';
import { fsSyscalls } from './syscalls/fs.js';
import { pollSyscalls, stdioReadProbe } from './syscalls/poll.js';
import type { SyscallFn, SyscallTable } from './syscalls/types.js';
import { createFileOps } from './files.js';
import { traced } from './trace.js';
import { wasiThreadSyscalls } from '../threads/spawn.js';

/** The wasi_snapshot_preview1 functions, as one table. */
export function preview1Table(k: Kernel): SyscallTable {
  const files = createFileOps(k);
  return {
    ...coreSyscalls(k),
    ...fdSyscalls(k, files),
    ...fsSyscalls(k),
    ...pollSyscalls(k, { read: stdioReadProbe(k) }),
  };
}

/** Import namespaces served by the kernel, keyed by module name. */
export function namespaces(k: Kernel): Record<string, SyscallTable> {
  const p1 = preview1Table(k);
  const threads = wasiThreadSyscalls(k);
  return {
    wasi_snapshot_preview1: { ...p1, 'thread-spawn': threads['thread-spawn']!, thread_spawn: threads['thread_spawn']! },
    wasi: threads,
  };
}

/** Functions that return nothing (their wasm type has no result). */
const VOID_CALLS = new Set(['proc_exit', 'proc_exit2', 'thread_exit', 'callback_signal', 'stack_restore']);

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
    if (k.cfg.trace) fn = traced(k, full, fn, !VOID_CALLS.has(imp.name) && imp.name !== 'thread-spawn' && imp.name !== 'thread_spawn');
    ns[imp.name] = fn as WebAssembly.ImportValue;
  }
  return imports;
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
