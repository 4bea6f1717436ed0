import { Errno } from '../../abi/errno.js';
import { JoinFlags, JoinStatus, JoinStatusType, OptionPid, SignalDisposition } from '../../abi/wasix.js';
import type { Kernel } from '../kernel.js';
import { ProcRow, ProcState, ProcTableHeader } from '../shared/process-table.js';
import { processSignalSlot, validSignal } from '../signals.js';
import { argFormatters } from '../trace.js';
import { blocking, ends, errno, type WasixTable } from './types.js';
import type { ProcessTree } from './wasix-tree.js';

/** Longest a blocked waitpid sleeps between checks for signals and process teardown. */
const WAIT_SLICE_MS = 100;

/**
 * wasix_32v1 process lifetime as other processes see it: exit, waitpid (proc_join: finding and reaping a
 * zombie child in the shared process table), kill between processes, process identity, and the signal
 * dispositions a spawned child inherits.
 */
export function wasixWaitSyscalls(k: Kernel, tree: ProcessTree): WasixTable {
  const { table, pid, post } = tree;

  return {
    proc_exit2: ends(function proc_exit2(code: number): void {
      k.exit(code >>> 0 > 255 ? code & 0xff : code);
    }),

    proc_id: errno(function proc_id(ptr: number) {
      k.mem.sync().setU32(ptr, pid);
      return 0;
    }),

    proc_parent: errno(function proc_parent(of: number, ptr: number) {
      const m = k.mem.sync();
      m.check(ptr, 4);
      if (!table) {
        if (of !== pid) return Errno.SRCH;
        m.setU32(ptr, 0);
        return 0;
      }
      const row = table.rowOf(of);
      if (row < 0) return Errno.SRCH;
      m.setU32(ptr, table.get(row, ProcRow.PPID));
      return 0;
    }),

    proc_join: blocking(function proc_join(pidPtr: number, flags: number, statusPtr: number) {
      const { table: t } = tree.require();
      const m = k.mem.sync();
      const pp = m.checkAligned(pidPtr, OptionPid.size, OptionPid.align);
      const sp = m.checkAligned(statusPtr, JoinStatus.size, JoinStatus.align);
      const want = m.u8[pp + OptionPid.tag] === 1 ? m.dv.getInt32(pp + OptionPid.pid, true) : -1;
      const target = want === 0 ? -1 : want; // no process groups: 0 means any child
      for (;;) {
        const seq = Atomics.load(t.i32, ProcTableHeader.SEQ);
        const z = t.reap(pid, target);
        if (z === 'none') return Errno.CHILD;
        const m2 = k.mem.sync();
        if (z !== 'running') {
          m2.u8.fill(0, sp, sp + JoinStatus.size);
          m2.dv.setUint8(pp + OptionPid.tag, 1);
          m2.dv.setUint32(pp + OptionPid.pid, z.pid, true);
          if (z.termsig) {
            m2.dv.setUint8(sp + JoinStatus.tag, JoinStatusType.EXIT_SIGNAL);
            m2.dv.setUint8(sp + JoinStatus.signal, z.termsig);
          } else {
            m2.dv.setUint8(sp + JoinStatus.tag, JoinStatusType.EXIT_NORMAL);
            m2.dv.setUint16(sp + JoinStatus.code, z.code & 0xff, true);
          }
          return 0;
        }
        if (flags & JoinFlags.NON_BLOCKING) {
          m2.u8.fill(0, sp, sp + JoinStatus.size);
          m2.dv.setUint8(pp + OptionPid.tag, 1);
          m2.dv.setUint32(pp + OptionPid.pid, 0, true);
          return 0;
        }
        if (k.signals?.pending()) return Errno.INTR;
        Atomics.wait(t.i32, ProcTableHeader.SEQ, seq, WAIT_SLICE_MS);
        k.checkAlive();
      }
    }),

    proc_signal: errno(function proc_signal(target: number, sig: number) {
      if (!validSignal(sig)) return Errno.INVAL;
      if (target === pid || target === 0 || !table) {
        if (target !== pid && target !== 0) return Errno.SRCH;
        if (sig !== 0) k.signals!.raiseSlot(processSignalSlot(k.ctl, k.slot), sig);
        return 0;
      }
      if (target === -1) {
        // every other process of the tree (Linux leaves out the caller)
        let any = false;
        for (let r = 0; r < table.max; r++) {
          const p = table.get(r, ProcRow.PID);
          if (table.get(r, ProcRow.STATE) !== ProcState.RUNNING || p === pid) continue;
          any = true;
          if (sig !== 0) post({ t: 'kill', pid: p, sig });
        }
        return any ? 0 : Errno.SRCH;
      }
      const abs = target < 0 ? -target : target; // no process groups: a group is its leader
      if (table.rowOf(abs) < 0) return Errno.SRCH;
      if (sig !== 0) post({ t: 'kill', pid: abs, sig });
      return 0;
    }),

    proc_signals_sizes_get: errno(function proc_signals_sizes_get(ptr: number) {
      k.mem.sync().setU32(ptr, (k.cfg.ignoredSignals ?? []).length);
      return 0;
    }),

    proc_signals_get: errno(function proc_signals_get(buf: number) {
      const ign = k.cfg.ignoredSignals ?? [];
      const m = k.mem.sync();
      const p = m.check(buf, ign.length * SignalDisposition.size);
      ign.forEach((sig, i) => {
        m.u8[p + i * SignalDisposition.size + SignalDisposition.sig] = sig;
        m.u8[p + i * SignalDisposition.size + SignalDisposition.disp] = 1;
      });
      return 0;
    }),
  };
}

/** --trace: the pid asked of waitpid. */
argFormatters['proc_join'] = (k, a) => {
  try {
    const m = k.mem.sync();
    const p = m.check(a[0] as number, OptionPid.size);
    return m.u8[p + OptionPid.tag] === 1 ? `{pid=${m.dv.getInt32(p + OptionPid.pid, true)}}` : '{any child}';
  } catch {
    return '';
  }
};
