import { Errno } from '../../abi/errno.js';
import { Clock, EventRwFlags, EventType, SubClockFlags } from '../../abi/constants.js';
import { Event, Subscription } from '../../abi/layouts.js';
import { FdKind } from '../shared/fd-table.js';
import type { Kernel } from '../kernel.js';
import { readReadiness, Scan, STDIN_EOF_BIT, waitReady, writeReadiness } from '../readiness.js';
import { blocking, type Preview1Table } from './types.js';

interface Ready {
  sub: number;
  type: number;
  error: number;
  nbytes: number;
  flags: number;
}

/**
 * poll_oneoff: clocks, fd_read and fd_write subscriptions, over the readiness engine epoll_wait uses too
 * (../readiness.ts), so any mix of stdin, pipes, eventfds, sockets and files waits for whichever is first.
 */
export function pollSyscalls(k: Kernel): Preview1Table {
  return {
    poll_oneoff: blocking(function poll_oneoff(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number) {
      const m = k.mem.sync();
      const n = nsubs >>> 0;
      if (n === 0) return Errno.INVAL;
      if (n > m.size / Subscription.size) return Errno.FAULT;
      const inp = m.check(inPtr, n * Subscription.size);
      const out = m.check(outPtr, n * Event.size);
      m.check(neventsPtr, 4);
      const dv = m.dv;
      const nowMono = k.monotonicMs();
      const ready: Ready[] = [];
      const deadlines = new Array<number | undefined>(n);
      let earliest = Infinity;
      const fdSubs: { s: number; base: number; type: number }[] = [];
      for (let s = 0; s < n; s++) {
        const p = inp + s * Subscription.size;
        const tag = dv.getUint8(p + Subscription.tag);
        if (tag === EventType.CLOCK) {
          const id = dv.getUint32(p + Subscription.clockId, true);
          const timeoutMs = Number(dv.getBigUint64(p + Subscription.clockTimeout, true)) / 1e6;
          const abs = (dv.getUint16(p + Subscription.clockFlags, true) & SubClockFlags.ABSTIME) !== 0;
          let deadline: number;
          if (id === Clock.MONOTONIC) deadline = abs ? timeoutMs : nowMono + timeoutMs;
          else if (id === Clock.REALTIME) {
            deadline = abs ? nowMono + (timeoutMs - (performance.timeOrigin + performance.now())) : nowMono + timeoutMs;
          } else if (id === Clock.PROCESS_CPUTIME_ID || id === Clock.THREAD_CPUTIME_ID) {
            // CPU clocks advance at most as fast as wall time; treat as relative wall time.
            deadline = nowMono + (abs ? 0 : timeoutMs);
          } else {
            ready.push({ sub: s, type: tag, error: Errno.INVAL, nbytes: 0, flags: 0 });
            continue;
          }
          deadlines[s] = deadline;
          if (deadline < earliest) earliest = deadline;
        } else if (tag === EventType.FD_READ || tag === EventType.FD_WRITE) {
          const fd = dv.getUint32(p + Subscription.fdFd, true);
          if (k.fds.kind(fd) === FdKind.FREE) {
            ready.push({ sub: s, type: tag, error: Errno.BADF, nbytes: 0, flags: 0 });
            continue;
          }
          fdSubs.push({ s, base: k.fds.at(fd, 0), type: tag });
        } else {
          return Errno.INVAL;
        }
      }

      /** Subscriptions on served stdin, as the last scan found them. */
      const served: number[] = [];
      const scan = (): number => {
        let waiting: number = Scan.NONE;
        served.length = 0;
        for (const f of fdSubs) {
          const r = f.type === EventType.FD_READ ? readReadiness(k, f.base) : writeReadiness(k, f.base);
          if (r === undefined) {
            served.push(f.s);
            waiting |= Scan.STDIN;
          } else if (r.ready) {
            ready.push({ sub: f.s, type: f.type, error: 0, nbytes: r.nbytes, flags: r.hangup ? EventRwFlags.HANGUP : 0 });
          } else {
            waiting |= Scan.STREAMS;
          }
        }
        return ready.length > 0 ? Scan.DONE : waiting;
      };
      const stdin = waitReady(k, earliest, scan);
      if (stdin !== undefined) {
        for (const s of served) {
          ready.push({
            sub: s, type: EventType.FD_READ, error: 0, nbytes: stdin & ~STDIN_EOF_BIT,
            flags: stdin & STDIN_EOF_BIT ? EventRwFlags.HANGUP : 0,
          });
        }
      }
      const t = k.monotonicMs();
      for (let s = 0; s < n; s++) {
        const d = deadlines[s];
        if (d !== undefined && d <= t) ready.push({ sub: s, type: EventType.CLOCK, error: 0, nbytes: 0, flags: 0 });
      }

      const mm = k.mem.sync();
      for (let e = 0; e < ready.length; e++) {
        const r = ready[e]!;
        const o = out + e * Event.size;
        mm.u8.fill(0, o, o + Event.size);
        mm.u8.copyWithin(o + Event.userdata, inp + r.sub * Subscription.size + Subscription.userdata, inp + r.sub * Subscription.size + 8);
        mm.dv.setUint16(o + Event.error, r.error, true);
        mm.dv.setUint8(o + Event.type, r.type);
        if (r.type !== EventType.CLOCK) {
          mm.dv.setUint32(o + Event.nbytes, r.nbytes, true);
          mm.dv.setUint16(o + Event.flags, r.flags, true);
        }
      }
      mm.setU32(neventsPtr, ready.length);
      return 0;
    }),
  };
}
