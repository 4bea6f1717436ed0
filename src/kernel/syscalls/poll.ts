import { Errno } from '../../abi/errno.js';
import { Clock, EventRwFlags, EventType, SubClockFlags } from '../../abi/constants.js';
import { Event, Subscription } from '../../abi/layouts.js';
import { FdSlot, FdKind } from '../shared/fd-table.js';
import type { Kernel } from '../kernel.js';
import { blocking, type SyscallTable } from './types.js';

/** Result word of a stdin-poll reply: bytes buffered, with this bit set at end of input. */
export const STDIN_EOF_BIT = 0x40000000;

interface Ready {
  sub: number;
  type: number;
  error: number;
  nbytes: number;
  flags: number;
}

/**
 * A readiness probe for fds that can block (pipes, served stdin): returns the fd_read readiness now,
 * null when the fd is an in-kernel stream with nothing to read yet (probe again later), or undefined
 * when only the coordinator can tell (served stdin).
 */
export type ReadProbe = (fd: number, base: number) => { nbytes: number; hangup: boolean } | null | undefined;

/** How often a poll on not-yet-ready in-kernel streams (pipes, eventfds) probes them again. */
const STREAM_POLL_MS = 1;

/** fd_write readiness: null while an in-kernel stream (a connecting or full socket) cannot take data yet. */
export type WriteProbe = (fd: number, base: number) => { nbytes: number; hangup: boolean } | null;

export function pollSyscalls(k: Kernel, probes: { read: ReadProbe; write?: WriteProbe }): SyscallTable {
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
      const deadlines: (number | undefined)[] = new Array(n);
      let earliest = Infinity;
      const servedSubs: number[] = [];
      const streamSubs: { s: number; fd: number; base: number; type: number }[] = [];
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
          const kind = k.fds.kind(fd);
          if (kind === FdKind.FREE) {
            ready.push({ sub: s, type: tag, error: Errno.BADF, nbytes: 0, flags: 0 });
            continue;
          }
          const base = k.fds.at(fd, 0);
          if (tag === EventType.FD_WRITE) {
            const r = probes.write ? probes.write(fd, base) : { nbytes: 0, hangup: false };
            if (r) ready.push({ sub: s, type: tag, error: 0, nbytes: r.nbytes, flags: r.hangup ? EventRwFlags.HANGUP : 0 });
            else streamSubs.push({ s, fd, base, type: tag });
            continue;
          }
          const r = probes.read(fd, base);
          if (r) ready.push({ sub: s, type: tag, error: 0, nbytes: r.nbytes, flags: r.hangup ? EventRwFlags.HANGUP : 0 });
          else if (r === null) streamSubs.push({ s, fd, base, type: tag });
          else servedSubs.push(s);
        } else {
          return Errno.INVAL;
        }
      }

      if (ready.length === 0 && streamSubs.length > 0) {
        // Pipes, eventfds and sockets live in shared memory: probe them again until one is ready or a
        // clock fires. With the network state present, every readiness change bumps one shared word,
        // so the wait wakes exactly when something changed; otherwise probe every STREAM_POLL_MS.
        for (;;) {
          const gen = k.net?.readyGen();
          for (const w of streamSubs) {
            const r = w.type === EventType.FD_READ ? probes.read(w.fd, w.base) : probes.write!(w.fd, w.base);
            if (r) ready.push({ sub: w.s, type: w.type, error: 0, nbytes: r.nbytes, flags: r.hangup ? EventRwFlags.HANGUP : 0 });
          }
          const left = earliest - k.monotonicMs();
          if (ready.length > 0 || left <= 0) break;
          if (k.net) k.net.waitReady(gen!, Math.min(left, 200));
          else k.sleepMs(Math.min(left, STREAM_POLL_MS));
          k.checkAlive();
        }
      } else if (ready.length === 0) {
        if (servedSubs.length > 0) {
          // Ask the coordinator to tell us when stdin becomes readable, bounded by the earliest clock.
          const wait = earliest === Infinity ? Infinity : Math.max(0, earliest - k.monotonicMs());
          const r = k.request({ t: 'stdin-poll' }, wait);
          if (r !== undefined) {
            for (const s of servedSubs) {
              ready.push({
                sub: s, type: EventType.FD_READ, error: 0, nbytes: r & ~STDIN_EOF_BIT,
                flags: r & STDIN_EOF_BIT ? EventRwFlags.HANGUP : 0,
              });
            }
          }
        } else {
          for (let left = earliest - k.monotonicMs(); left > 0; left = earliest - k.monotonicMs()) {
            k.sleepMs(left);
            k.checkAlive();
          }
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

/** Readiness of stdio and file fds that never need waiting; undefined for served stdin. */
export function stdioReadProbe(k: Kernel): ReadProbe {
  return (_fd, base) => {
    const kind = k.fds.i32[base + FdSlot.KIND];
    if (kind !== FdKind.STDIO) return { nbytes: 0, hangup: false };
    const t = k.cfg.stdio[k.fds.handle(base)];
    if (!t || t.kind === 'served') return undefined;
    return { nbytes: 0, hangup: t.kind === 'null' };
  };
}
