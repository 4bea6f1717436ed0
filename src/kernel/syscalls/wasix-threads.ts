import { Errno } from '../../abi/errno.js';
import { LIBC_MAIN_TID, OptionTimestamp, ThreadStart } from '../../abi/wasix.js';
import { Ctl, MAIN_TID, Slot, TID_LIMIT } from '../shared/control-block.js';
import { spawnThread } from './wasi-threads.js';
import { ThreadExit } from '../exits.js';
import type { Kernel } from '../kernel.js';
import { argFormatters } from '../trace.js';
import { blocking, ends, errno, type WasixTable } from './types.js';

/** Longest a futex_wait sleeps between checks for a signal raised for its thread. */
const SIGNAL_SLICE_MS = 100;

/** wasix_32v1 threads and futexes. Everything runs in the calling thread. */
export function wasixThreadSyscalls(k: Kernel): WasixTable {
  const ctl = k.ctl;

  const spawnV2 = errno(function thread_spawn_v2(startPtr: number, retTid: number): number {
    const m = k.mem.sync();
    m.check(retTid, 4);
    m.checkAligned(startPtr, ThreadStart.size, ThreadStart.align);
    const tid = spawnThread(k, startPtr);
    if (tid < 0) return -tid;
    m.sync().setU32(retTid, tid);
    return 0;
  });

  const sleepNs = (ns: bigint): void => {
    const end = k.monotonicMs() + Number(ns) / 1e6;
    for (let left = end - k.monotonicMs(); left > 0; left = end - k.monotonicMs()) {
      k.sleepMs(left);
      k.checkAlive();
    }
  };

  /**
   * Atomics.wait that also ends when a signal is raised for this thread (true, like a wake-up). The raiser
   * notifies the published word; slices of SIGNAL_SLICE_MS close the window where that notify lands just
   * before the wait starts.
   */
  function waitOrSignal(i32: Int32Array, index: number, expected: number, ms: number): boolean {
    const signals = k.signals;
    if (!signals) return Atomics.wait(i32, index, expected, ms) !== 'timed-out';
    const end = ms === Infinity ? Infinity : performance.now() + ms;
    for (;;) {
      if (signals.pending()) return true;
      const left = end - performance.now();
      if (left <= 0) return false;
      const r = Atomics.wait(i32, index, expected, Math.min(left, SIGNAL_SLICE_MS));
      if (r !== 'timed-out') return true;
    }
  }

  /** Wakes `count` waiters (all when undefined) on a guest word; writes whether anyone was woken. */
  function futexWake(addr: number, wokenPtr: number, count: number | undefined): number {
    const m = k.mem.sync();
    m.check(wokenPtr, 1);
    const a = m.checkAligned(addr, 4, 4);
    const n = m.i32 ? Atomics.notify(m.i32, a >> 2, count) : 0;
    m.setU8(wokenPtr, n > 0 ? 1 : 0);
    return 0;
  }

  return {
    thread_spawn_v2: spawnV2,
    thread_spawn: spawnV2,

    thread_id: errno(function thread_id(ptr: number) {
      k.mem.sync().setU32(ptr, k.tid);
      return 0;
    }),

    thread_join: blocking(function thread_join(tidArg: number) {
      const tid = tidArg === LIBC_MAIN_TID ? MAIN_TID : tidArg;
      if (tid <= 0 || tid >= TID_LIMIT) return Errno.INVAL;
      if (tid === k.tid) return Errno.DEADLK;
      if (tid >= Atomics.load(ctl.i32, Ctl.NEXT_TID)) return Errno.SRCH; // never issued
      for (;;) {
        k.checkAlive();
        const slot = ctl.findTid(tid);
        if (slot >= 0) {
          // The slot's TID word is cleared and notified when the thread ends.
          Atomics.wait(ctl.i32, ctl.slotIndex(slot, Slot.TID), tid, 1000);
          continue;
        }
        if (!ctl.queued(tid)) return 0; // ended (or never started and no longer queued)
        k.sleepMs(1);
      }
    }),

    thread_exit: ends(function thread_exit(code: number): void {
      throw new ThreadExit(code);
    }),

    thread_sleep: blocking(function thread_sleep(ns: bigint) {
      if (ns > 0n) sleepNs(ns);
      return 0;
    }),

    thread_parallelism: errno(function thread_parallelism(ptr: number) {
      k.mem.sync().setU32(ptr, Math.max(1, k.host.cpuCount()));
      return 0;
    }),

    futex_wait: blocking(function futex_wait(addr: number, expected: number, timeoutPtr: number, wokenPtr: number) {
      const m = k.mem.sync();
      m.check(wokenPtr, 1);
      const a = m.checkAligned(addr, 4, 4);
      const t = m.checkAligned(timeoutPtr, OptionTimestamp.size, OptionTimestamp.align);
      const tag = m.dv.getUint8(t + OptionTimestamp.tag);
      if (tag > 1) return Errno.INVAL;
      const ms = tag === 1 ? Number(m.dv.getBigUint64(t + OptionTimestamp.value, true)) / 1e6 : Infinity;
      let woken: boolean;
      if (m.i32) {
        // Same words as memory.atomic.wait32/notify: V8 keeps one waiter list for both. The address is
        // published so a signal raised for this thread can wake it (a spurious wake-up for the guest).
        const waitWord = ctl.slotIndex(k.slot, Slot.WAIT_ADDR);
        Atomics.store(ctl.i32, waitWord, (a + 1) | 0);
        try {
          woken = waitOrSignal(m.i32, a >> 2, expected | 0, ms);
        } finally {
          Atomics.store(ctl.i32, waitWord, 0);
        }
      } else if (m.dv.getInt32(a, true) !== (expected | 0)) {
        woken = true;
      } else {
        if (ms === Infinity) return Errno.DEADLK; // unshared memory: no other thread can wake us
        k.sleepMs(ms);
        woken = false;
      }
      m.sync().setU8(wokenPtr, woken ? 1 : 0);
      return 0;
    }),

    futex_wake: errno(function futex_wake(addr: number, wokenPtr: number) {
      return futexWake(addr, wokenPtr, 1);
    }),
    futex_wake_all: errno(function futex_wake_all(addr: number, wokenPtr: number) {
      return futexWake(addr, wokenPtr, undefined);
    }),
  };
}

/** Trace decoders for WASIX calls whose arguments are structs. */
function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}
function describeThreadStart(k: Kernel, ptr: number): string {
  try {
    const m = k.mem.sync();
    const p = m.check(ptr, ThreadStart.size);
    const u = (o: number): number => m.dv.getUint32(p + o, true);
    return `{stack=${hex(u(ThreadStart.stackUpper))} tls=${hex(u(ThreadStart.tlsBase))} fn=${u(ThreadStart.startFunc)} ` +
      `arg=${hex(u(ThreadStart.startArg))} self=${hex(u(ThreadStart.pthreadSelf))} ` +
      `stack_size=${u(ThreadStart.stackSize)} guard=${u(ThreadStart.guardSize)}}`;
  } catch {
    return '{unreadable ThreadStart}';
  }
}
argFormatters['thread_spawn_v2'] = (k, a) => describeThreadStart(k, a[0] as number);
argFormatters['thread_spawn'] = (k, a) => (k.cfg.usesWasix ? describeThreadStart(k, a[0] as number) : '');
argFormatters['thread-spawn'] = (k, a) => (k.cfg.usesWasix ? describeThreadStart(k, a[0] as number) : '');
argFormatters['futex_wait'] = (k, a) => {
  try {
    const m = k.mem.sync();
    const t = m.check(a[2] as number, 16);
    const cur = m.dv.getInt32(m.check(a[0] as number, 4), true);
    const timeout = m.dv.getUint8(t) === 1 ? `${m.dv.getBigUint64(t + 8, true)}ns` : 'none';
    return `{*addr=${cur} timeout=${timeout}}`;
  } catch {
    return '';
  }
};
argFormatters['callback_signal'] = (k, a) => {
  try {
    return `"${new TextDecoder().decode(k.mem.sync().bytes(a[0] as number, a[1] as number).slice())}"`;
  } catch {
    return '';
  }
};
