import { Errno } from '../abi/errno.js';
import type { Kernel } from './kernel.js';
import {
  blocking, type AnySyscallTable, type Namespaces, type Preview1Table, type WasixTable,
} from './syscalls/types.js';
import { wasiThreadSyscalls } from './syscalls/wasi-threads.js';
import { SignalDelivery } from './signals.js';
import { createStreams } from './streams.js';
import { WasixState } from './shared/wasix-state.js';
import { wasixThreadSyscalls } from './syscalls/wasix-threads.js';
import { wasixSignalSyscalls } from './syscalls/wasix-signals.js';
import { wasixTtyClockSyscalls } from './syscalls/wasix-tty-clock.js';
import { wasixFdSyscalls } from './syscalls/wasix-fd.js';
import { wasixSpawnSyscalls } from './syscalls/wasix-spawn.js';
import { wasixForkSyscalls } from './syscalls/wasix-fork.js';
import { wasixWaitSyscalls } from './syscalls/wasix-wait.js';
import { processTree } from './syscalls/wasix-tree.js';
import { NetState } from './shared/net-state.js';
import { socketLayer } from './syscalls/wasix-sock.js';
import { epollRelease, wasixEpollSyscalls } from './syscalls/wasix-epoll.js';
import { FdKind as Kinds } from './shared/fd-table.js';
import { preview1Table } from './preview1.js';
import { bindSyscall } from './boundary.js';
import { syscallSignature } from '../abi/syscalls.js';
import type { ValType } from '../abi/wasm-types.js';
import { userImport } from './user-imports.js';

// bindSyscall lives in its own module (so the WASI class loads no WASIX code); re-exported for the tests.
export { bindSyscall } from './boundary.js';

/**
 * Sockets and epoll (WASIX, or a preview1 module given --tcp-listen): the wasix_32v1 socket calls, and
 * the preview1 sock_* calls wasix-libc imports for send/recv/shutdown, which then work on every socket.
 */
function networkTables(k: Kernel): { wasix: WasixTable; p1: Preview1Table } {
  if (!k.cfg.netSab) return { wasix: {}, p1: {} };
  const net = (k.net = new NetState(k.cfg.netSab));
  const sock = socketLayer(k, net);
  k.releaseHooks[Kinds.EPOLL] = epollRelease(net);
  const t = sock.table;
  const p1: Preview1Table = {
    sock_recv: t.sock_recv,
    sock_send: t.sock_send,
    sock_shutdown: t.sock_shutdown,
    sock_accept: blocking(function sock_accept(fd: number, flags: number, retFd: number) {
      const m = k.mem.sync();
      m.check(retFd, 4);
      m.setU32(retFd, sock.accept(fd, flags).fd);
      return 0;
    }),
  };
  return { wasix: { ...t, ...wasixEpollSyscalls(k, net) }, p1 };
}

/** Import namespaces served by the kernel, keyed by module name. */
export function namespaces(k: Kernel): Namespaces {
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
  const tree = processTree(k);
  const fd = wasixFdSyscalls(k, st);
  const wx = {
    ...wasixThreadSyscalls(k), ...wasixSignalSyscalls(k, st), ...wasixTtyClockSyscalls(k, st), ...fd,
    ...wasixSpawnSyscalls(k, st, tree), ...wasixForkSyscalls(k, st, tree), ...wasixWaitSyscalls(k, tree),
  };
  const p1x: Preview1Table = { ...p1, proc_raise: wx.proc_raise, fd_renumber: fd.fd_renumber, ...netTables.p1 };
  const wasix: WasixTable = { ...p1x, ...wx, ...netTables.wasix };
  return { wasi_snapshot_preview1: { ...p1x, ...threads }, wasi: threads, wasix_32v1: wasix };
}

/**
 * Builds the import object for one instance: the module's memory import gets the process memory, every
 * function import gets its syscall behind the boundary (bindSyscall), a user import (run()'s `imports`)
 * a call to the coordinator, a WASI/WASIX name weft does not implement a stub returning ENOSYS (in the
 * result type the module declares), and any other function one that traps naming itself (run() only
 * gets this far with such imports when allowUnknownImports is set). The result is a plain mutable object.
 */
export function buildImports(
  k: Kernel,
  module: WebAssembly.Module,
  memory: WebAssembly.Memory | undefined,
  tables: Readonly<Record<string, AnySyscallTable | undefined>>,
): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  const plan = k.cfg.imports;
  let fi = 0; // index among the function imports (ImportPlan.importResults is in that order)
  for (const imp of WebAssembly.Module.imports(module)) {
    const ns = (imports[imp.module] ??= {});
    if (imp.kind === 'memory') {
      if (memory) ns[imp.name] = memory;
      continue;
    }
    if (imp.kind !== 'function') continue; // globals/tables: left for the instantiation error to name
    const results = plan?.importResults?.[fi++];
    const name = `${imp.module}.${imp.name}`;
    const table = tables[imp.module];
    const entry = table && Object.hasOwn(table, imp.name) ? table[imp.name] : undefined;
    let fn: (...args: never[]) => unknown;
    if (entry) fn = bindSyscall(k, imp.module, imp.name, entry);
    else if (plan?.userImports.includes(name)) fn = userImport(k, imp.module, imp.name, results?.length);
    else if (syscallSignature(imp.module, imp.name)) fn = enosys(k, name, results ?? specResults(imp.module, imp.name));
    else fn = unknownImport(name);
    ns[imp.name] = fn;
  }
  return imports;
}

function specResults(module: string, name: string): ValType[] {
  return syscallSignature(module, name)?.result === 'none' ? [] : ['i32'];
}

/** A WASI/WASIX call weft does not implement: ENOSYS as the declared result type (logged once when tracing). */
function enosys(k: Kernel, name: string, results: ValType[]): () => unknown {
  const value = (t: ValType): unknown => (t === 'i64' ? BigInt(Errno.NOSYS) : t === 'ref' ? null : Errno.NOSYS);
  const ret = results.length === 0 ? undefined : results.length === 1 ? value(results[0]!) : results.map(value);
  let warned = false;
  return () => {
    if (!warned && k.cfg.trace) {
      warned = true;
      k.host.log(`weft: ${name} is not implemented (ENOSYS)`);
    }
    return ret;
  };
}

/** An import nothing provides (allowed by allowUnknownImports): calling it traps with its name. */
function unknownImport(name: string): () => never {
  return () => {
    throw new WebAssembly.RuntimeError(`unknown import ${name} was called (weft does not provide it)`);
  };
}
