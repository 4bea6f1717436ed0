import { Errno } from '../../abi/errno.js';
import { LIBC_MAIN_TID } from '../../abi/wasix.js';
import { MAIN_TID } from '../shared/control-block.js';
import type { Kernel, ToCoordinator } from '../kernel.js';
import { validSignal } from '../signals.js';
import type { WasixState } from '../shared/wasix-state.js';
import { errno, voidCall, type Provides, type WasixTable } from './types.js';

/**
 * wasix_32v1 signals within a process: raising one for a thread or the process, registering the callback
 * that delivers them, interval timers. Everything runs in the calling thread; only proc_raise_interval
 * needs the coordinator (it owns timers). Signals between processes (proc_signal) are in wasix-wait.ts.
 */
export function wasixSignalSyscalls(k: Kernel, st: WasixState): Provides<WasixTable, 'proc_raise'> {
  /** Live slot of a tid the guest named (the libc's main-thread sentinel included), or -1. */
  function slotOfTid(tid: number): number {
    return k.ctl.findTid(tid === LIBC_MAIN_TID ? MAIN_TID : tid);
  }

  return {
    thread_signal: errno(function thread_signal(tid: number, sig: number) {
      if (!validSignal(sig)) return Errno.INVAL;
      const slot = slotOfTid(tid);
      if (slot < 0) return Errno.SRCH;
      if (sig !== 0) k.signals!.raiseSlot(slot, sig);
      return 0;
    }),

    // No errno to return: a bad pointer or an over-long name leaves the registration unchanged.
    callback_signal: voidCall(function callback_signal(namePtr: number, nameLen: number): void {
      const name = k.mem.sync().bytes(namePtr, nameLen).slice();
      if (!st.setHandlerName(name) && k.cfg.trace) k.host.log(`weft: callback_signal name too long (${nameLen} bytes)`);
    }),

    proc_raise: errno(function proc_raise(sig: number) {
      if (!validSignal(sig)) return Errno.INVAL;
      if (sig !== 0) k.signals!.raiseSelf(sig);
      return 0;
    }),

    proc_raise_interval: errno(function proc_raise_interval(sig: number, interval: bigint, repeat: number) {
      if (!validSignal(sig)) return Errno.INVAL;
      // A timestamp (ns), as wasix-libc's setitimer computes it. (Wasmer reads it as ms.)
      k.host.post({ t: 'itimer', sig, ms: Number(interval) / 1e6, repeat: repeat !== 0 } satisfies ToCoordinator);
      return 0;
    }),
  };
}
