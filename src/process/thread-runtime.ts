import { memoryDescriptor } from '../abi/wasm-module.js';
import type { KernelConfig, ThreadHost } from '../kernel/config.js';
import { ProcExit, ThreadExit, ThreadKilled, TRAP_EXIT_CODE } from '../kernel/exits.js';
import { buildImports, namespaces } from '../kernel/imports.js';
import { Kernel, type ToCoordinator } from '../kernel/kernel.js';
import { profileThread, traceEvent } from '../kernel/trace.js';
import { Ctl, MAIN_TID, RETIRE_TID, Slot } from '../kernel/shared/control-block.js';
import type { ForkResume } from '../kernel/resume.js';
import type { ThreadReuse } from '../abi/thread-reuse.js';
import { describeTrap } from './trap-report.js';

/** What the coordinator hands a worker when it starts it. Structured-cloneable. */
export interface BootData {
  role: 'main' | 'pool';
  slot: number;
  module: WebAssembly.Module;
  /** The process's shared memory; undefined when the module's memory is not shared (see memoryLimits). */
  memory: WebAssembly.Memory | undefined;
  /** Limits of a non-shared memory import, created by the (only) thread itself. */
  memoryLimits: { initial: number; maximum: number | undefined } | undefined;
  channel: SharedArrayBuffer;
  kernel: KernelConfig;
  /** Instantiate before work arrives (false for modules whose active data segments would reset memory). */
  preinstantiate: boolean;
  /** A pooled worker with no work for this long retires (ms). */
  idleTimeoutMs: number;
  /** A forked child's main thread: resume the parent's forking thread where proc_fork returns 0. */
  resume?: ForkResume | undefined;
  /** A pooled worker may run its next thread on the same instance (abi/thread-reuse.ts). */
  reuse?: ThreadReuse | undefined;
}


type Outcome = 'returned' | 'thread-exit' | 'ended';

/**
 * Runs a wasm thread inside a worker: the main thread (`_start`), or a pooled worker that parks on the
 * spawn queue and runs `wasi_thread_start(tid, arg)` for each request it takes. wasi-threads gives every
 * thread its own instance (own globals, own stack pointer); a worker keeps its instance for its next
 * thread when the module's code allows it (boot.reuse) and the thread ended at rest, else it makes a
 * fresh one. Reuse saves the instantiation and the native memory V8 keeps per instance until a full GC.
 */
export function runThread(boot: BootData, host: ThreadHost): void {
  const k = new Kernel(boot.kernel, host, boot.slot, boot.channel);
  try {
    runOn(k, boot, host);
  } finally {
    // What the thread's backends hold for it (host directory fds) must not outlive it: a pooled Worker
    // takes another process next, or ends.
    k.releaseBackends();
  }
}

function runOn(k: Kernel, boot: BootData, host: ThreadHost): void {
  let memory = boot.memory;
  if (!memory && boot.memoryLimits) {
    memory = new WebAssembly.Memory(memoryDescriptor(boot.memoryLimits, false));
  }
  if (memory) k.setMemory(memory);
  const tables = namespaces(k);
  const instantiate = (): WebAssembly.Instance => {
    if (boot.role === 'pool') {
      // Never before the main thread's instance (see Ctl.MAIN_READY).
      while (Atomics.load(ctl.i32, Ctl.MAIN_READY) === 0 && !ctl.exiting) Atomics.wait(ctl.i32, Ctl.MAIN_READY, 0, 100);
      if (ctl.exiting) throw new ThreadKilled();
    }
    const inst = new WebAssembly.Instance(boot.module, buildImports(k, boot.module, memory, tables));
    // A module that defines its own memory exports it; syscalls use that one.
    if (!memory && inst.exports['memory'] instanceof WebAssembly.Memory) k.setMemory(inst.exports['memory']);
    return inst;
  };
  const ctl = k.ctl;
  const i32 = ctl.i32;
  const tidWord = ctl.slotIndex(boot.slot, Slot.TID);

  /** Runs guest code; turns traps into a process exit (first exit wins) with a report on stderr. */
  const guarded = (fn: () => void): Outcome => {
    try {
      fn();
      return 'returned';
    } catch (e) {
      if (e instanceof ThreadExit) return 'thread-exit';
      if (e instanceof ProcExit || e instanceof ThreadKilled) return 'ended';
      if (ctl.claimExit(TRAP_EXIT_CODE)) {
        traceEvent(k, `+++ killed by trap, exited with ${TRAP_EXIT_CODE} +++`);
        host.log(describeTrap(e, { tid: k.tid, module: boot.module, lastFailedCall: k.lastFailedCall, lastFailedErrno: k.lastFailedErrno }));
        host.post({ t: 'exit', tid: k.tid } satisfies ToCoordinator);
      }
      return 'ended';
    }
  };

  /** Bookkeeping when a thread ends; the last thread to end after main's thread_exit ends the process. */
  const threadEnded = (): void => {
    Atomics.store(i32, tidWord, 0);
    Atomics.notify(i32, tidWord);
    if (Atomics.sub(i32, Ctl.LIVE, 1) === 1 && Atomics.load(i32, Ctl.MAIN_GONE) === 1) {
      if (ctl.claimExit(0)) {
        traceEvent(k, '+++ exited with 0 (last thread ended) +++', false);
        host.post({ t: 'exit', tid: k.tid } satisfies ToCoordinator);
      }
    }
  };

  if (boot.role === 'main') {
    k.tid = MAIN_TID;
    Atomics.store(i32, tidWord, MAIN_TID);
    let instance: WebAssembly.Instance | undefined;
    const outcome = guarded(() => {
      instance = k.instance = instantiate();
      Atomics.store(i32, Ctl.MAIN_READY, 1);
      Atomics.notify(i32, Ctl.MAIN_READY);
      const r = boot.resume;
      profileThread(k);
      traceEvent(k, `+++ process started${r ? ' (forked)' : ''}: ${JSON.stringify(k.cfg.args)} +++`);
      const invoke = r ? undefined : k.cfg.invoke;
      // --invoke: a reactor is initialised first, as Wasmtime does.
      if (invoke && typeof instance.exports['_initialize'] === 'function') (instance.exports['_initialize'] as () => void)();
      const entry = r ? r.entry : invoke ? { name: invoke.name, args: invoke.args as number[] } : { name: '_start', args: [] };
      const start = instance.exports[entry.name];
      if (typeof start !== 'function') throw new Error(`module does not export ${entry.name} (not a WASI command)`);
      if (r) resumeForked(instance, k, r);
      k.resumable.entry = entry;
      let returned: unknown;
      k.resumable.run(() => (returned = (start as (...a: unknown[]) => unknown)(...entry.args)));
      if (invoke) {
        const results = (returned === undefined ? [] : Array.isArray(returned) ? returned : [returned]) as (number | bigint)[];
        host.post({ t: 'results', values: results } satisfies ToCoordinator);
      }
    });
    if (outcome === 'returned') {
      // Returning from _start ends the process with 0, even while other threads run.
      if (ctl.claimExit(0)) {
        traceEvent(k, '+++ exited with 0 +++', false);
        host.post({ t: 'exit', tid: k.tid } satisfies ToCoordinator);
      }
    } else if (outcome === 'thread-exit') {
      traceEvent(k, '+++ thread exited (thread_exit) +++');
      Atomics.store(i32, Ctl.MAIN_GONE, 1);
      threadEnded();
    }
    return;
  }

  // Pooled worker.
  let instance = boot.preinstantiate ? tryInstantiate() : undefined;
  if (instance === null) return;
  // Counted in Ctl.IDLE while free for a spawn: a spawner that finds fewer free workers than queued
  // requests asks the coordinator for more (spawnThread). Counted before 'ready' is posted: the
  // coordinator tops the pool up on 'ready', and a worker not counted yet made it boot a second spare.
  Atomics.add(i32, Ctl.IDLE, 1);
  let free = true;
  host.post({ t: 'ready', slot: boot.slot } satisfies ToCoordinator);
  const req = { tid: 0, arg: 0 };
  for (;;) {
    if (!free) {
      Atomics.add(i32, Ctl.IDLE, 1);
      free = true;
    }
    if (!ctl.pop(req)) {
      const signal = Atomics.load(i32, Ctl.QUEUE_SIGNAL);
      if (!ctl.pop(req)) {
        const r = Atomics.wait(i32, Ctl.QUEUE_SIGNAL, signal, boot.idleTimeoutMs);
        if (ctl.exiting) return;
        if (r === 'timed-out') {
          Atomics.sub(i32, Ctl.IDLE, 1);
          free = false;
          if (ctl.pending() === 0) {
            host.post({ t: 'retired', slot: boot.slot } satisfies ToCoordinator);
            return;
          }
        }
        continue;
      }
    }
    Atomics.sub(i32, Ctl.IDLE, 1);
    free = false;
    if (ctl.exiting) return;
    if (req.tid === RETIRE_TID) {
      // The coordinator trims a pool that stayed larger than its demand.
      host.post({ t: 'retired', slot: boot.slot } satisfies ToCoordinator);
      return;
    }
    k.tid = req.tid;
    Atomics.store(i32, ctl.slotIndex(boot.slot, Slot.SIGNALS), 0); // nothing pending from the slot's last thread
    Atomics.store(i32, tidWord, req.tid);
    const tid = req.tid, arg = req.arg;
    const outcome = guarded(() => {
      const inst = instance ?? (instance = k.instance = instantiate());
      k.instance = inst;
      const entry = inst.exports['wasi_thread_start'] as (tid: number, arg: number) => void;
      // The spawner may have grown memory for this thread's stack, TLS and ThreadStart. V8 (Node 20)
      // tells other workers of a shared memory's growth lazily: seen here as a worker whose memory was
      // still 320 KiB of a real 1.5 MiB, trapping in __wasm_init_tls's memory.init. grow(0) syncs it.
      k.mem.refresh();
      k.resumable.entry = { name: 'wasi_thread_start', args: [tid, arg] };
      profileThread(k);
      traceEvent(k, `+++ thread started: wasi_thread_start(${tid}, 0x${(arg >>> 0).toString(16)}) +++`);
      k.resumable.run(() => entry(tid, arg));
    });
    if (outcome !== 'ended') traceEvent(k, `+++ thread exited${outcome === 'thread-exit' ? ' (thread_exit)' : ''} +++`);
    if (outcome === 'ended') return;
    if (instance && reusable(instance)) {
      // Free again before a joiner learns that the thread ended, so that its next spawn finds this
      // worker counted and asks for no new one.
      Atomics.add(i32, Ctl.IDLE, 1);
      free = true;
      threadEnded();
      k.tid = 0;
      continue;
    }
    threadEnded();
    k.tid = 0;
    // A fresh instance for the next thread, prepared now, off the next spawn's path.
    instance = boot.preinstantiate ? tryInstantiate() : undefined;
    if (instance === null) return;
  }

  /** May the next thread run on this instance: the module allows it and asyncify (if any) is at rest. */
  function reusable(inst: WebAssembly.Instance): boolean {
    const r = boot.reuse;
    if (!r?.ok) return false;
    if (!r.asyncify) return true;
    const state = inst.exports['asyncify_get_state'] as (() => number) | undefined;
    return typeof state === 'function' && state() === 0 /* normal: no unwind or rewind under way */ && !k.resumable.pending;
  }

  function tryInstantiate(): WebAssembly.Instance | undefined | null {
    let inst: WebAssembly.Instance | undefined;
    const outcome = guarded(() => {
      inst = k.instance = instantiate();
    });
    return outcome === 'returned' ? inst : null;
  }
}

/** Gives a forked child's fresh instance the forking thread's stack and TLS, and arms the rewind. */
function resumeForked(instance: WebAssembly.Instance, k: Kernel, r: ForkResume): void {
  const sp = instance.exports['__stack_pointer'], tls = instance.exports['__tls_base'];
  if (sp instanceof WebAssembly.Global) sp.value = r.stackPointer;
  if (tls instanceof WebAssembly.Global) tls.value = r.tlsBase;
  k.resumable.buf = r.buf;
  k.resumable.inheritSnapshots(r.snapshots, r.nextSnapshot);
  k.resumable.prepareRewind(() => {
    k.mem.sync().setU32(r.retPtr, 0);
    return 0;
  });
}
