import { Errno } from '../../abi/errno.js';
import { Clock } from '../../abi/constants.js';
import { Tty } from '../../abi/wasix.js';
import type { Kernel } from '../kernel.js';
import { WasixHeader, type WasixState } from '../shared/wasix-state.js';
import { errno, type WasixTable } from './types.js';

/**
 * wasix_32v1 settings of the host a guest may ask about or change: the terminal modes (recorded, the host
 * terminal itself is left alone) and the clocks (never set from a sandbox).
 */
export function wasixTtyClockSyscalls(k: Kernel, st: WasixState): WasixTable {
  return {
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
      const s = Atomics.load(st.i32, WasixHeader.TTY);
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
      Atomics.store(st.i32, WasixHeader.TTY, 1 | bit(Tty.echo, 1) | bit(Tty.lineBuffered, 2) | bit(Tty.lineFeeds, 3));
      return 0;
    }),
  };
}
