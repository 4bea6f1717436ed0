import { Errno } from '../../abi/errno.js';
import { Clock } from '../../abi/constants.js';
import { LIBC_MAIN_TID, Tty } from '../../abi/wasix.js';
import { MAIN_TID } from '../control.js';
import type { Kernel, ToCoordinator } from '../kernel.js';
import { processSignalSlot, validSignal } from '../signals.js';
import { WX, type WasixState } from '../wasix-state.js';
import { PID } from './wasix-threads.js';
import { ends, errno, voidCall, type SyscallTable } from './types.js';

/**
 * wasix_32v1 signals, process identity, clocks and the tty. Everything runs in the calling thread; only
 * proc_raise_interval needs the coordinator (it owns timers).
 */
export function wasixProcSyscalls(k: Kernel, st: WasixState): SyscallTable {
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

    proc_signal: errno(function proc_signal(pid: number, sig: number) {
      if (!validSignal(sig)) return Errno.INVAL;
      if (pid !== PID && pid !== 0) return Errno.SRCH;
      if (sig !== 0) k.signals!.raiseSlot(processSignalSlot(k.ctl, k.slot), sig);
      return 0;
    }),

    proc_signals_sizes_get: errno(function proc_signals_sizes_get(ptr: number) {
      k.mem.sync().setU32(ptr, 0); // no dispositions inherited from a parent
      return 0;
    }),

    proc_signals_get: errno(function proc_signals_get(_buf: number) {
      return 0;
    }),

    proc_exit2: ends(function proc_exit2(code: number): void {
      k.exit(code >>> 0 > 255 ? code & 0xff : code);
    }),

    proc_id: errno(function proc_id(ptr: number) {
      k.mem.sync().setU32(ptr, PID);
      return 0;
    }),

    proc_parent: errno(function proc_parent(pid: number, ptr: number) {
      if (pid !== PID) return Errno.SRCH;
      k.mem.sync().setU32(ptr, 0); // no parent process inside weft
      return 0;
    }),

    clock_time_set: errno(function clock_time_set(id: number, _ts: bigint) {
      if (id >>> 0 > Clock.THREAD_CPUTIME_ID) return Errno.INVAL;
      return Errno.PERM; // a sandboxed program never sets the host's clocks
    }),

    tty_get: errno(function tty_get(ptr: number) {
      const m = k.mem.sync();
      const p = m.check(ptr, Tty.size);
      const isTty = (i: number): number => {
        const t = k.cfg.stdio[i];
        return t?.kind === 'fd' && t.tty ? 1 : 0;
      };
      const s = Atomics.load(st.i32, WX.TTY);
      const set = (s & 1) !== 0;
      m.u8.fill(0, p, p + Tty.size);
      m.dv.setUint32(p + Tty.cols, 80, true);
      m.dv.setUint32(p + Tty.rows, 25, true);
      m.dv.setUint8(p + Tty.stdinTty, isTty(0));
      m.dv.setUint8(p + Tty.stdoutTty, isTty(1));
      m.dv.setUint8(p + Tty.stderrTty, isTty(2));
      m.dv.setUint8(p + Tty.echo, set ? (s >> 1) & 1 : 1);
      m.dv.setUint8(p + Tty.lineBuffered, set ? (s >> 2) & 1 : 1);
      m.dv.setUint8(p + Tty.lineFeeds, set ? (s >> 3) & 1 : 1);
      return 0;
    }),

    tty_set: errno(function tty_set(ptr: number) {
      const m = k.mem.sync();
      const p = m.check(ptr, Tty.size);
      const bit = (off: number, b: number): number => (m.dv.getUint8(p + off) ? 1 << b : 0);
      // Recorded for tty_get; the host terminal itself is not reconfigured.
      Atomics.store(st.i32, WX.TTY, 1 | bit(Tty.echo, 1) | bit(Tty.lineBuffered, 2) | bit(Tty.lineFeeds, 3));
      return 0;
    }),
  };
}
