import type { ModuleInfo } from '../../abi/wasm-module.js';
import type { KernelConfig, StdioTarget } from '../../kernel/config.js';
import type { ToCoordinator } from '../../kernel/kernel.js';
import { createChannel } from '../../kernel/shared/channel.js';
import { Control, Ctl } from '../../kernel/shared/control-block.js';
import { runThread } from '../../process/thread-runtime.js';
import { NodeThreadHost } from './thread-host.js';

/**
 * Can this module run on the calling thread instead of a Worker? Only a single-threaded preview1 command:
 * no shared memory, no thread spawn, no WASIX (signals, timers and pipes need a coordinator that is free
 * to run). stdin must be readable without a coordinator: a file or nothing; or a pipe/TTY read with a
 * plain blocking read, which is only equivalent when the module cannot poll stdin (a poll_oneoff with a
 * timeout would otherwise turn into a read that blocks past its timeout).
 */
export function canRunHere(info: ModuleInfo, stdin: StdioTarget): boolean {
  if (info.memoryImport?.shared || info.usesWasix || info.usesWasiThreads) return false;
  if (info.exports.includes('wasi_thread_start')) return false;
  if (stdin.kind === 'null' || (stdin.kind === 'fd' && stdin.file)) return true;
  if (stdin.kind !== 'fd') return false;
  return !info.functionImports.includes('wasi_snapshot_preview1.poll_oneoff');
}

/** A thread host for the calling thread: messages meant for a coordinator are handled in place. */
class HereHost extends NodeThreadHost {
  /** What an invoked function returned (KernelConfig.invoke). */
  results: (number | bigint)[] | undefined;

  constructor(logFd: number, private readonly output: (fd: number, data: Uint8Array) => void) {
    super(undefined, logFd);
  }

  override post(msg: unknown): void {
    const m = msg as ToCoordinator;
    // 'exit' needs no action: the exit code is in the control block when runThread returns.
    if (m.t === 'stdout') this.output(m.fd, m.data);
    else if (m.t === 'results') this.results = m.values;
  }
}

/**
 * Runs a single-threaded command (see canRunHere) synchronously on this thread, with the same kernel and
 * thread runtime a worker would use: proc_exit, traps and `_start` returning end it the same way (the
 * runtime unwinds with its sentinels, traps are reported and give 134). Blocks the event loop until then.
 */
export function runHere(
  module: WebAssembly.Module,
  info: ModuleInfo,
  kernel: Omit<KernelConfig, 'ctlSab' | 'maxThreads' | 'hasThreadStart' | 'usesWasix' | 'wasixSab'>,
  logFd: number,
  output: (fd: number, data: Uint8Array) => void,
): { exitCode: number; results: (number | bigint)[] | undefined } {
  const ctl = Control.create(1);
  Atomics.store(ctl.i32, Ctl.LIVE, 1);
  const stdio = kernel.stdio.map((t) => (t.kind === 'fd' ? { ...t, direct: true } : t)) as KernelConfig['stdio'];
  const host = new HereHost(logFd, output);
  runThread(
    {
      role: 'main', slot: 0, module, memory: undefined, memoryLimits: info.memoryImport, channel: createChannel(),
      kernel: { ...kernel, stdio, ctlSab: ctl.sab, maxThreads: 1, hasThreadStart: false, usesWasix: false },
      preinstantiate: false, idleTimeoutMs: 0,
    },
    host,
  );
  return { exitCode: Atomics.load(ctl.i32, Ctl.EXIT_CODE), results: host.results };
}
