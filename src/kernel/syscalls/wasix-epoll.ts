import { Errno, WasiError } from '../../abi/errno.js';
import { FdFlags, Filetype, Rights } from '../../abi/constants.js';
import { EpollCtl, EpollEvent, EpollType } from '../../abi/net.js';
import { spinLock, spinUnlock } from '../shared/lock.js';
import { Desc, FdSlot, FdKind, type FdEntry } from '../shared/fd-table.js';
import type { Kernel } from '../kernel.js';
import { EPOLL_ENTRIES, EpollEntry, NetState } from '../shared/net-state.js';
import { readReadiness, Scan, waitReady, writeReadiness } from '../readiness.js';
import { blocking, errno, type WasixTable } from './types.js';

const EPOLL_RIGHTS = Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;
/** Events a caller may ask for (ERR and HUP are always reported). */
const EPOLL_KNOWN = EpollType.IN | EpollType.OUT | EpollType.RDHUP | EpollType.PRI | EpollType.ERR | EpollType.HUP |
  EpollType.ET | EpollType.ONESHOT;

interface Entry {
  n: number;
  fd: number;
  events: number;
}

/**
 * epoll_create/epoll_ctl/epoll_wait. The interest lists live in NetState, so every thread sees the same
 * list; readiness is computed from the shared state of each fd when epoll_wait scans it (level-triggered;
 * EPOLLET is honoured as level-triggered, which is safe for programs that read until EAGAIN), and a
 * thread with nothing ready waits on the shared readiness word that every pipe, eventfd and socket
 * change bumps — so a write in one thread wakes an epoll_wait in another at once.
 */
export function wasixEpollSyscalls(k: Kernel, net: NetState): WasixTable {
  const fds = k.fds;
  const i32 = net.i32;

  function listOf(epfd: number): number {
    const base = fds.require(epfd, 0);
    if (fds.i32[base + FdSlot.KIND] !== FdKind.EPOLL) throw new WasiError(Errno.INVAL);
    return fds.i32[fds.desc(base) + Desc.OBJECT]!;
  }

  function find(e: number, fd: number): number {
    for (let n = 0; n < EPOLL_ENTRIES; n++) if (i32[net.epEntry(e, n, EpollEntry.FD)] === fd + 1) return n;
    return -1;
  }

  /** Readiness of fd as epoll bits; undefined for served stdin (only the coordinator can tell). */
  function readiness(fd: number): number | undefined {
    const kind = fds.kind(fd);
    if (kind === FdKind.FREE) return 0;
    const base = fds.at(fd, 0);
    if (k.streams[kind]) {
      let bits = 0;
      const r = readReadiness(k, base)!;
      if (r.nbytes > 0 || (r.ready && !r.hangup)) bits |= EpollType.IN;
      if (r.hangup) bits |= EpollType.IN | EpollType.RDHUP | EpollType.HUP;
      const wr = writeReadiness(k, base);
      if (wr.ready && !wr.hangup) bits |= EpollType.OUT;
      if (kind === FdKind.SOCKET && wr.hangup && !r.hangup) bits |= EpollType.ERR | EpollType.OUT;
      return bits;
    }
    if (kind === FdKind.STDIO) {
      if (fds.handle(base) !== 0) return EpollType.OUT;
      const r = readReadiness(k, base);
      if (r === undefined) return undefined;
      return EpollType.IN | (r.hangup ? EpollType.HUP : 0);
    }
    if (kind === FdKind.EPOLL) return 0;
    return EpollType.IN | EpollType.OUT; // files and directories never block
  }

  /** Writes entry n of list e as the epoll_event at p, reporting `events`. */
  function writeEvent(p: number, e: number, n: number, events: number): void {
    const mm = k.mem.sync();
    const at = (f: number): number => net.epEntry(e, n, f);
    mm.u8.fill(0, p, p + EpollEvent.size);
    mm.dv.setUint32(p + EpollEvent.events, events, true);
    mm.dv.setUint32(p + EpollEvent.ptr, i32[at(EpollEntry.PTR)]!, true);
    mm.dv.setUint32(p + EpollEvent.fd, i32[at(EpollEntry.DATA_FD)]!, true);
    mm.dv.setUint32(p + EpollEvent.data1, i32[at(EpollEntry.DATA1)]!, true);
    mm.dv.setUint32(p + EpollEvent.data2, i32[at(EpollEntry.DATA2_LO)]!, true);
    mm.dv.setUint32(p + EpollEvent.data2 + 4, i32[at(EpollEntry.DATA2_HI)]!, true);
  }

  return {
    epoll_create: errno(function epoll_create(retFd: number) {
      const m = k.mem.sync();
      m.check(retFd, 4);
      const e = net.allocEpoll();
      if (e < 0) return Errno.NFILE;
      let fd: number;
      try {
        fd = fds.insert({
          kind: FdKind.EPOLL, filetype: Filetype.UNKNOWN, flags: 0, rightsBase: EPOLL_RIGHTS, rightsInheriting: 0,
          handle: 0, backend: -1, object: e,
        });
      } catch (err) {
        net.freeEpoll(e);
        throw err;
      }
      m.setU32(retFd, fd);
      return 0;
    }),

    epoll_ctl: errno(function epoll_ctl(epfd: number, opIn: number, fd: number, eventPtr: number) {
      const op = opIn === EpollCtl.ADD_HEADER ? EpollCtl.ADD : opIn;
      const e = listOf(epfd);
      if (fds.kind(fd) === FdKind.FREE) return Errno.BADF;
      if (fd === epfd) return Errno.INVAL;
      if (op !== EpollCtl.ADD && op !== EpollCtl.MOD && op !== EpollCtl.DEL) return Errno.INVAL;
      let ev: { events: number; ptr: number; dfd: number; d1: number; d2lo: number; d2hi: number } | undefined;
      if (op !== EpollCtl.DEL) {
        const m = k.mem.sync();
        const p = m.check(eventPtr, EpollEvent.size);
        const dv = m.dv;
        const events = dv.getUint32(p + EpollEvent.events, true);
        if (events & ~EPOLL_KNOWN) return Errno.INVAL;
        ev = {
          events, ptr: dv.getUint32(p + EpollEvent.ptr, true), dfd: dv.getUint32(p + EpollEvent.fd, true),
          d1: dv.getUint32(p + EpollEvent.data1, true), d2lo: dv.getUint32(p + EpollEvent.data2, true),
          d2hi: dv.getUint32(p + EpollEvent.data2 + 4, true),
        };
      }
      const lock = net.ep(e, NetState.EP_LOCK);
      spinLock(i32, lock);
      try {
        let n = find(e, fd);
        if (op === EpollCtl.ADD) {
          if (n >= 0) return Errno.EXIST;
          for (n = 0; n < EPOLL_ENTRIES; n++) if (i32[net.epEntry(e, n, EpollEntry.FD)] === 0) break;
          if (n === EPOLL_ENTRIES) return Errno.NOSPC;
        } else if (n < 0) {
          return Errno.NOENT;
        }
        if (op === EpollCtl.DEL) {
          i32[net.epEntry(e, n, EpollEntry.FD)] = 0;
          return 0;
        }
        const at = (f: number): number => net.epEntry(e, n, f);
        i32[at(EpollEntry.EVENTS)] = ev!.events;
        i32[at(EpollEntry.PTR)] = ev!.ptr;
        i32[at(EpollEntry.DATA_FD)] = ev!.dfd;
        i32[at(EpollEntry.DATA1)] = ev!.d1;
        i32[at(EpollEntry.DATA2_LO)] = ev!.d2lo;
        i32[at(EpollEntry.DATA2_HI)] = ev!.d2hi;
        i32[at(EpollEntry.LAST)] = 0;
        i32[at(EpollEntry.FD)] = fd + 1;
      } finally {
        spinUnlock(i32, lock);
      }
      net.bumpReady(); // a waiter in epoll_wait re-scans the new interest list
      return 0;
    }),

    epoll_wait: blocking(function epoll_wait(epfd: number, eventsPtr: number, maxevents: number, timeout: bigint, retN: number) {
      const m = k.mem.sync();
      m.check(retN, 4);
      const max = maxevents >>> 0;
      if (max === 0 || max > m.size / EpollEvent.size) return max === 0 ? Errno.INVAL : Errno.FAULT;
      const out = m.check(eventsPtr, max * EpollEvent.size);
      const e = listOf(epfd);
      const epBase = fds.require(epfd, 0);
      const t = BigInt.asUintN(64, BigInt(timeout));
      // wasix-libc passes -1 (all ones) for "forever"; anything beyond ~292 years is forever too.
      const deadline = t >= 0x7fffffffffffffffn ? Infinity : k.monotonicMs() + Number(t) / 1e6;
      const lock = net.ep(e, NetState.EP_LOCK);
      let entries: Entry[] = [];
      let count = 0;
      // The list may change while this thread waits (epoll_ctl bumps the readiness word): always STREAMS.
      const scan = (): number => {
        entries = [];
        spinLock(i32, lock);
        for (let n = 0; n < EPOLL_ENTRIES; n++) {
          const fdp1 = i32[net.epEntry(e, n, EpollEntry.FD)]!;
          if (fdp1 !== 0) entries.push({ n, fd: fdp1 - 1, events: i32[net.epEntry(e, n, EpollEntry.EVENTS)]! });
        }
        spinUnlock(i32, lock);
        let waiting: number = Scan.STREAMS;
        for (const en of entries) {
          if (count >= max) break;
          const bits = readiness(en.fd);
          if (bits === undefined) {
            waiting |= Scan.STDIN;
            continue;
          }
          const hit = bits & (en.events | EpollType.ERR | EpollType.HUP) & ~(EpollType.ET | EpollType.ONESHOT);
          if (!hit || (en.events & ~(EpollType.ET | EpollType.ONESHOT)) === 0) continue;
          writeEvent(out + count * EpollEvent.size, e, en.n, hit);
          if (en.events & EpollType.ONESHOT) i32[net.epEntry(e, en.n, EpollEntry.EVENTS)] = en.events & (EpollType.ET | EpollType.ONESHOT);
          count++;
        }
        return count > 0 || fds.i32[epBase + FdSlot.FLAGS]! & FdFlags.NONBLOCK ? Scan.DONE : waiting;
      };
      if (waitReady(k, deadline, scan) !== undefined) {
        // Served stdin became readable first: report it for every entry on it that asked for EPOLLIN.
        for (const en of entries) {
          if (count >= max) break;
          if (readiness(en.fd) !== undefined || !(en.events & EpollType.IN)) continue;
          writeEvent(out + count * EpollEvent.size, e, en.n, EpollType.IN);
          count++;
        }
      }
      k.mem.sync().setU32(retN, count);
      return 0;
    }),
  };
}

/** Frees an epoll list when its last fd closes. */
export function epollRelease(net: NetState): (e: FdEntry) => void {
  return (e) => net.freeEpoll(e.object ?? 0);
}
