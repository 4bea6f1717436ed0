import { Errno, WasiError } from '../../abi/errno.js';
import { FdFlags, Filetype, Rights } from '../../abi/constants.js';
import {
  AddressFamily, AddrIp, AddrPort, RiFlags, RoFlags, SdFlags, SockOption, SockProto, SockStatus, SockType,
} from '../../abi/net.js';
import { OptionTimestamp } from '../../abi/wasix.js';
import { Desc, FdSlot, FdKind, type FdEntry } from '../shared/fd-table.js';
import { withDesc } from '../files.js';
import type { Kernel } from '../kernel.js';
import { gather, iovBytes } from '../iovec.js';
import { ipString, isAny, isLoopback, parseIp } from '../net-addr.js';
import {
  ACC_SLOTS, DGRAM_HEADER, MAX_SOCKETS, NET_RING_BYTES, NetState, Sock, SockFlag, SockKind, SockState, Want, type SockAddr,
} from '../shared/net-state.js';
import type { StreamOps } from '../streams.js';
import { blocking, errno, type SyscallTable } from './types.js';
import { argFormatters } from '../trace.js';

export const SOCKET_RIGHTS = Rights.FD_READ | Rights.FD_WRITE | Rights.POLL_FD_READWRITE |
  Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET | Rights.SOCK_SHUTDOWN | Rights.SOCK_ACCEPT;

/** How long one wait on a socket lasts before re-checking that the process is alive (ms). */
const WAIT_SLICE_MS = 200;

/** Socket calls as seen by a guest thread: shared-state work here, host socket work in the owner. */
export interface SocketLayer {
  table: SyscallTable;
  stream: StreamOps;
  /** Socket object of fd (throws EBADF / ENOTSOCK). */
  objectOf(fd: number): { base: number; o: number };
  /** Creates a socket fd for an object (accept, --tcp-listen). */
  insertFd(o: number, kind: number, flags: number): number;
  accept(fd: number, fdflags: number): { fd: number; peer: SockAddr };
}

/** Is addr:port allowed by the process's network policy? */
export function netAllowed(k: Kernel, a: SockAddr | undefined): boolean {
  const p = k.cfg.net;
  if (!p) return false;
  if (p.all) return true;
  if (!a) return p.allow.length > 0;
  const text = ipString(a);
  return p.allow.some((e) => {
    if (e.port !== 0 && e.port !== a.port) return false;
    if (e.host === '*') return true;
    if (e.host === 'localhost') return isLoopback(a);
    const h = parseIp(e.host);
    return !!h && ipString({ family: h.family, port: 0, ip: h.ip }) === text;
  });
}

export function socketLayer(k: Kernel, net: NetState): SocketLayer {
  const fds = k.fds;
  const i32 = net.i32;
  const w = (o: number, f: number): number => net.s(o, f);

  function deny(what: string, a?: SockAddr): never {
    if (k.cfg.trace) {
      k.host.log(`weft: [tid ${k.tid}] network ${what}${a ? ` ${ipString(a)}:${a.port}` : ''} not allowed (--net / --net-allow)`);
    }
    throw new WasiError(Errno.ACCES);
  }

  function objectOf(fd: number): { base: number; o: number } {
    const base = fds.require(fd, 0);
    if (fds.i32[base + FdSlot.KIND] !== FdKind.SOCKET) throw new WasiError(Errno.NOTSOCK);
    return { base, o: fds.i32[fds.desc(base) + Desc.OBJECT]! };
  }

  const directWrite = k.host.socketWrite?.bind(k.host);
  const nonblocking = (base: number): boolean => (fds.i32[base + FdSlot.FLAGS]! & FdFlags.NONBLOCK) !== 0;
  const state = (o: number): number => Atomics.load(i32, w(o, Sock.STATE));
  const kindOf = (o: number): number => i32[w(o, Sock.TYPE)]!;

  /** Takes the pending asynchronous error of o (0 when none). */
  function takeError(o: number): number {
    return Atomics.exchange(i32, w(o, Sock.ERROR), 0);
  }

  /** Waits for a change of o after seq, at most ms (Infinity: one slice); false when ms ran out. */
  function waitChange(o: number, seq: number, deadline: number): boolean {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    // No spinning first: on a machine with few cores the spinner takes the CPU its peer needs to answer
    // (measured: a 1 KB round trip got 2-10x slower with 20k-100k checks before parking).
    net.waitSeq(o, seq, Math.min(left, WAIT_SLICE_MS));
    k.checkAlive();
    return true;
  }

  /** Deadline for a blocking wait under a SO_RCVTIMEO/SO_SNDTIMEO option (ms; 0 = none). */
  function deadlineOf(o: number, opt: number): number {
    const ms = i32[w(o, Sock.OPTS + opt)]!;
    return ms > 0 ? performance.now() + ms : Infinity;
  }

  function readAddr(ptr: number): SockAddr {
    const m = k.mem.sync();
    const p = m.check(ptr, AddrPort.size);
    const tag = m.dv.getUint8(p + AddrPort.tag);
    const port = m.dv.getUint16(p + AddrPort.port, true);
    if (tag === AddressFamily.INET4) return { family: tag, port, ip: m.u8.slice(p + AddrPort.addr, p + AddrPort.addr + 4) };
    if (tag === AddressFamily.INET6) return { family: tag, port, ip: m.u8.slice(p + AddrPort.addr, p + AddrPort.addr + 16) };
    throw new WasiError(Errno.AFNOSUPPORT);
  }

  function writeAddr(ptr: number, a: SockAddr): void {
    const m = k.mem.sync();
    const p = m.check(ptr, AddrPort.size);
    m.u8.fill(0, p, p + AddrPort.size);
    m.dv.setUint8(p + AddrPort.tag, a.family);
    m.dv.setUint16(p + AddrPort.port, a.port, true);
    m.u8.set(a.ip, p + AddrPort.addr);
  }

  function anyAddr(family: number): SockAddr {
    return { family, port: 0, ip: new Uint8Array(family === AddressFamily.INET6 ? 16 : 4) };
  }

  function insertFd(o: number, kind: number, flags: number): number {
    return fds.insert({
      kind: FdKind.SOCKET, filetype: kind === SockKind.STREAM ? Filetype.SOCKET_STREAM : Filetype.SOCKET_DGRAM,
      flags, rightsBase: SOCKET_RIGHTS, rightsInheriting: 0, handle: 0, backend: -1, object: o,
    });
  }

  /** Asks the owner; throws the errno of a negative reply. */
  function ask(op: 'bind' | 'listen' | 'connect', o: number): number {
    const r = k.request({ t: 'net', op, o });
    if (r === undefined) throw new WasiError(Errno.IO);
    if (r < 0) throw new WasiError(-r);
    return r;
  }

  function bind(o: number, a: SockAddr): void {
    if (a.family !== i32[w(o, Sock.FAMILY)]) throw new WasiError(Errno.AFNOSUPPORT);
    if (state(o) !== SockState.NEW) throw new WasiError(Errno.INVAL);
    if (!netAllowed(k, a)) deny('bind', a);
    if (!k.cfg.netHost) return bindLocal(o, a);
    net.setAddr(o, Sock.LOCAL, a);
    ask('bind', o);
  }

  /** Same port and overlapping address (equal, or either one the wildcard)? */
  function clash(x: SockAddr, y: SockAddr): boolean {
    return x.family === y.family && x.port === y.port && (isAny(x) || isAny(y) || ipString(x) === ipString(y));
  }

  /** bind without a host network (browser): ports are the process's own. */
  function bindLocal(o: number, a: SockAddr): void {
    if (kindOf(o) !== SockKind.STREAM) throw new WasiError(Errno.NOTSUP);
    if (!isLoopback(a) && !isAny(a)) throw new WasiError(Errno.ADDRNOTAVAIL);
    const taken = (p: number): boolean => {
      for (let j = 0; j < MAX_SOCKETS; j++) {
        if (j === o || i32[w(j, Sock.TYPE)] !== SockKind.STREAM) continue;
        const sj = state(j);
        if ((sj === SockState.BOUND || sj === SockState.LISTENING) && clash(net.getAddr(j, Sock.LOCAL), { ...a, port: p })) return true;
      }
      return false;
    };
    let port = a.port;
    if (port === 0) {
      do port = net.nextPort(); while (taken(port));
    } else if (taken(port)) {
      throw new WasiError(Errno.ADDRINUSE);
    }
    net.setAddr(o, Sock.LOCAL, { ...a, port });
    Atomics.store(i32, w(o, Sock.STATE), SockState.BOUND);
  }

  /** A listening socket of this process tree that a connect to a lands on (loopback only); -1 if none. */
  function localListener(a: SockAddr): number {
    for (let j = 0; j < MAX_SOCKETS; j++) {
      if (i32[w(j, Sock.TYPE)] !== SockKind.STREAM || state(j) !== SockState.LISTENING) continue;
      const l = net.getAddr(j, Sock.LOCAL);
      if (l.family !== a.family || l.port !== a.port) continue;
      if (isAny(l) ? isLoopback(a) || isAny(a) : ipString(l) === ipString(a) && isLoopback(a)) return j;
    }
    return -1;
  }

  /**
   * connect() to a listener of this same process tree: an in-process pair whose ends write straight into
   * each other's RX rings (no host socket, no owner: a round trip is two futex wake-ups).
   */
  function connectLocal(o: number, lst: number, a: SockAddr): number {
    const fam = i32[w(o, Sock.FAMILY)]!;
    const s = net.alloc(SockKind.STREAM, fam);
    if (s < 0) return Errno.NFILE;
    const ip = a.family === AddressFamily.INET6 ? Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) : Uint8Array.of(127, 0, 0, 1);
    const mine: SockAddr = state(o) === SockState.BOUND ? net.getAddr(o, Sock.LOCAL) : { family: fam, port: net.nextPort(), ip };
    net.setAddr(o, Sock.LOCAL, mine);
    net.setAddr(o, Sock.PEER, a);
    net.setAddr(s, Sock.LOCAL, a);
    net.setAddr(s, Sock.PEER, mine);
    i32[w(Math.min(o, s), Sock.PAIR_REFS)] = 2;
    Atomics.store(i32, w(s, Sock.LINK), o + 1);
    Atomics.store(i32, w(o, Sock.LINK), s + 1);
    Atomics.store(i32, w(s, Sock.STATE), SockState.CONNECTED);
    const room = Math.max(1, Math.min(i32[optWord(lst, SockOption.NOOP)]! || ACC_SLOTS, ACC_SLOTS));
    net.lockSock(lst);
    const head = Atomics.load(i32, w(lst, Sock.ACC_HEAD)), tail = i32[w(lst, Sock.ACC_TAIL)]!;
    const fits = ((tail - head) >>> 0) < room;
    if (fits) {
      i32[w(lst, Sock.ACC_Q + (tail >>> 0) % ACC_SLOTS)] = s;
      Atomics.store(i32, w(lst, Sock.ACC_TAIL), (tail + 1) | 0);
    }
    net.unlockSock(lst);
    if (!fits) {
      // A full backlog refuses (Linux would retry SYNs until a timeout).
      Atomics.store(i32, w(o, Sock.LINK), 0);
      i32[w(Math.min(o, s), Sock.PAIR_REFS)] = 0;
      net.free(s);
      return Errno.CONNREFUSED;
    }
    Atomics.store(i32, w(o, Sock.STATE), SockState.CONNECTED);
    net.changed(lst);
    net.changed(o);
    return 0;
  }

  // ---- stream data path -----------------------------------------------------------------------------

  function sendStream(o: number, base: number, data: Uint8Array, dontWait: boolean): number {
    let done = 0;
    const deadline = deadlineOf(o, SockOption.SEND_TIMEOUT);
    while (done < data.length) {
      const err = takeError(o);
      if (err) {
        if (done > 0) return done;
        throw new WasiError(err);
      }
      const st = state(o);
      if (st !== SockState.CONNECTED) throw new WasiError(st === SockState.FAILED ? Errno.PIPE : Errno.NOTCONN);
      if (i32[w(o, Sock.FLAGS)]! & (SockFlag.TX_SHUT | SockFlag.PEER_GONE)) {
        if (done > 0) return done;
        throw new WasiError(Errno.PIPE);
      }
      // In-process peer: straight into its RX ring (its readers bump its SEQ as they consume);
      // otherwise into our TX ring for the owner.
      const peer = net.linkOf(o);
      const ro = peer >= 0 ? peer : o, rr = peer >= 0 ? 0 : 1;
      const tailWord = w(ro, rr === 0 ? Sock.RX_TAIL : Sock.TX_TAIL);
      const seq = Atomics.load(i32, w(ro, Sock.SEQ));
      net.lockSock(o);
      if (peer < 0 && directWrite && Atomics.load(i32, w(o, Sock.DIRECT)) === 1 && net.used(o, 1) === 0) {
        // Nothing queued anywhere: write to the host socket from this thread (no owner hop).
        let wrote: number;
        try {
          wrote = directWrite(i32[w(o, Sock.HOST_FD)]! - 1, data.subarray(done));
        } catch (e) {
          net.unlockSock(o);
          if (done > 0) return done;
          throw e;
        }
        done += wrote;
        if (done === data.length) {
          net.unlockSock(o);
          return done;
        }
      }
      const tail = i32[tailWord]! >>> 0;
      const free = NET_RING_BYTES - net.used(ro, rr);
      const n = Math.min(free, data.length - done);
      if (n > 0) {
        if (peer < 0) Atomics.store(i32, w(o, Sock.DIRECT), 0);
        net.copyIn(ro, rr, tail, data.subarray(done, done + n));
        Atomics.store(i32, tailWord, (tail + n) | 0);
      }
      net.unlockSock(o);
      if (n > 0) {
        done += n;
        if (peer >= 0) net.changed(peer);
        else net.want(o, Want.TX);
        continue;
      }
      if (nonblocking(base) || dontWait) {
        if (done > 0) return done;
        throw new WasiError(Errno.AGAIN);
      }
      if (!waitChange(ro, seq, deadline)) {
        if (done > 0) return done;
        throw new WasiError(Errno.AGAIN);
      }
    }
    return done;
  }

  function recvStream(o: number, base: number, iovs: Uint8Array[], flags: number): number {
    const want = iovBytes(iovs);
    if (want === 0) return 0;
    const deadline = deadlineOf(o, SockOption.RECV_TIMEOUT);
    let got = 0;
    for (;;) {
      const seq = Atomics.load(i32, w(o, Sock.SEQ));
      net.lockSock(o);
      const head = i32[w(o, Sock.RX_HEAD)]! >>> 0;
      const avail = net.used(o, 0);
      const n = Math.min(avail, want - got);
      if (n > 0) {
        let left = n, pos = head, skip = got;
        for (const v of iovs) {
          if (skip >= v.length) {
            skip -= v.length;
            continue;
          }
          const c = Math.min(v.length - skip, left);
          net.copyOut(o, 0, pos, v, skip, c);
          pos += c;
          left -= c;
          skip = 0;
          if (left === 0) break;
        }
        if (!(flags & RiFlags.PEEK)) Atomics.store(i32, w(o, Sock.RX_HEAD), (head + n) | 0);
      }
      net.unlockSock(o);
      if (n > 0) {
        if (!(flags & RiFlags.PEEK)) {
          if (net.linkOf(o) >= 0) net.changed(o); // a writer blocked on our full ring
          else if (i32[w(o, Sock.FLAGS)]! & SockFlag.PAUSED) net.want(o, Want.RX);
        }
        got += n;
        if (got >= want || !(flags & RiFlags.WAITALL) || flags & RiFlags.PEEK) return got;
        continue;
      }
      if (got > 0 && (Atomics.load(i32, w(o, Sock.FLAGS)) & SockFlag.RX_EOF)) return got;
      const fl = Atomics.load(i32, w(o, Sock.FLAGS));
      if (fl & (SockFlag.RX_EOF | SockFlag.RX_SHUT)) {
        if (got > 0) return got;
        const err = takeError(o);
        if (err) throw new WasiError(err);
        return 0;
      }
      const err = takeError(o);
      if (err) {
        if (got > 0) return got;
        throw new WasiError(err);
      }
      const st = state(o);
      if (st !== SockState.CONNECTED && st !== SockState.CONNECTING) {
        if (got > 0) return got;
        throw new WasiError(st === SockState.CLOSED || st === SockState.FAILED ? Errno.CONNRESET : Errno.NOTCONN);
      }
      if (nonblocking(base) || flags & RiFlags.DONT_WAIT) {
        if (got > 0) return got;
        throw new WasiError(Errno.AGAIN);
      }
      if (!waitChange(o, seq, deadline)) {
        if (got > 0) return got;
        throw new WasiError(Errno.AGAIN);
      }
    }
  }

  // ---- datagrams ------------------------------------------------------------------------------------

  const frame = new Uint8Array(DGRAM_HEADER);
  const frameDv = new DataView(frame.buffer);

  function sendDgram(o: number, base: number, data: Uint8Array, to: SockAddr, dontWait: boolean): number {
    if (data.length + DGRAM_HEADER > NET_RING_BYTES) throw new WasiError(Errno.MSGSIZE);
    const deadline = deadlineOf(o, SockOption.SEND_TIMEOUT);
    for (;;) {
      const err = takeError(o);
      if (err) throw new WasiError(err);
      const seq = Atomics.load(i32, w(o, Sock.SEQ));
      net.lockSock(o);
      const tail = i32[w(o, Sock.TX_TAIL)]! >>> 0;
      const free = NET_RING_BYTES - net.used(o, 1);
      const fits = free >= data.length + DGRAM_HEADER;
      if (fits) {
        frame.fill(0);
        frameDv.setUint32(0, data.length, true);
        frameDv.setUint16(4, to.family, true);
        frameDv.setUint16(6, to.port, true);
        frame.set(to.ip, 8);
        net.copyIn(o, 1, tail, frame);
        net.copyIn(o, 1, tail + DGRAM_HEADER, data);
        Atomics.store(i32, w(o, Sock.TX_TAIL), (tail + DGRAM_HEADER + data.length) | 0);
      }
      net.unlockSock(o);
      if (fits) {
        net.want(o, Want.TX);
        return data.length;
      }
      if (nonblocking(base) || dontWait || !waitChange(o, seq, deadline)) throw new WasiError(Errno.AGAIN);
    }
  }

  function recvDgram(o: number, base: number, iovs: Uint8Array[], flags: number): { n: number; from: SockAddr; trunc: boolean } {
    const deadline = deadlineOf(o, SockOption.RECV_TIMEOUT);
    for (;;) {
      const seq = Atomics.load(i32, w(o, Sock.SEQ));
      net.lockSock(o);
      if (net.used(o, 0) >= DGRAM_HEADER) {
        const head = i32[w(o, Sock.RX_HEAD)]! >>> 0;
        net.copyOut(o, 0, head, frame, 0, DGRAM_HEADER);
        const len = frameDv.getUint32(0, true);
        const family = frameDv.getUint16(4, true);
        const from: SockAddr = { family, port: frameDv.getUint16(6, true), ip: frame.slice(8, family === AddressFamily.INET6 ? 24 : 12) };
        let pos = head + DGRAM_HEADER, left = len, n = 0;
        for (const v of iovs) {
          const c = Math.min(v.length, left);
          net.copyOut(o, 0, pos, v, 0, c);
          pos += c;
          left -= c;
          n += c;
          if (left === 0) break;
        }
        if (!(flags & RiFlags.PEEK)) Atomics.store(i32, w(o, Sock.RX_HEAD), (head + DGRAM_HEADER + len) | 0);
        net.unlockSock(o);
        return { n, from, trunc: n < len };
      }
      net.unlockSock(o);
      const err = takeError(o);
      if (err) throw new WasiError(err);
      if (nonblocking(base) || flags & RiFlags.DONT_WAIT || !waitChange(o, seq, deadline)) throw new WasiError(Errno.AGAIN);
    }
  }

  /** UDP sockets need a host socket before anything can arrive: bind to the wildcard on first use. */
  function ensureBound(o: number): void {
    if (state(o) === SockState.NEW) bind(o, anyAddr(i32[w(o, Sock.FAMILY)]!));
  }

  /** send with the fd's description pinned: a close in another thread cannot release the socket meanwhile. */
  function send(fd: number, iovs: Uint8Array[], to: SockAddr | undefined, dontWait: boolean): number {
    return withDesc(k, objectOf(fd).base, () => sendUnpinned(fd, iovs, to, dontWait));
  }

  function sendUnpinned(fd: number, iovs: Uint8Array[], to: SockAddr | undefined, dontWait: boolean): number {
    const { base, o } = objectOf(fd);
    if (!(fds.i32[base + FdSlot.RIGHTS_BASE]! & Rights.FD_WRITE)) throw new WasiError(Errno.NOTCAPABLE);
    const data = gather(iovs);
    if (kindOf(o) === SockKind.STREAM) return sendStream(o, base, data, dontWait);
    const dest = to ?? (state(o) === SockState.CONNECTED ? net.getAddr(o, Sock.PEER) : undefined);
    if (!dest) throw new WasiError(Errno.DESTADDRREQ);
    if (!netAllowed(k, dest)) deny('send to', dest);
    if (dest.family !== i32[w(o, Sock.FAMILY)]) throw new WasiError(Errno.AFNOSUPPORT);
    if (state(o) === SockState.NEW) {
      // Allowed to send to dest, so the implicit wildcard bind is allowed too.
      net.setAddr(o, Sock.LOCAL, anyAddr(dest.family));
      ask('bind', o);
    }
    return sendDgram(o, base, data, dest, dontWait);
  }

  /** recv with the fd's description pinned: a close in another thread cannot release the socket meanwhile. */
  function recv(fd: number, iovs: Uint8Array[], flags: number): { n: number; from?: SockAddr; trunc: boolean } {
    return withDesc(k, objectOf(fd).base, () => recvUnpinned(fd, iovs, flags));
  }

  function recvUnpinned(fd: number, iovs: Uint8Array[], flags: number): { n: number; from?: SockAddr; trunc: boolean } {
    const { base, o } = objectOf(fd);
    if (!(fds.i32[base + FdSlot.RIGHTS_BASE]! & Rights.FD_READ)) throw new WasiError(Errno.NOTCAPABLE);
    if (kindOf(o) === SockKind.STREAM) {
      const n = recvStream(o, base, iovs, flags);
      return { n, trunc: false };
    }
    if (state(o) === SockState.NEW) throw new WasiError(Errno.NOTCONN);
    return recvDgram(o, base, iovs, flags);
  }

  /** accept with the fd's description pinned: a close in another thread cannot release the socket meanwhile. */
  function accept(fd: number, fdflags: number): { fd: number; peer: SockAddr } {
    return withDesc(k, objectOf(fd).base, () => acceptUnpinned(fd, fdflags));
  }

  function acceptUnpinned(fd: number, fdflags: number): { fd: number; peer: SockAddr } {
    const { base, o } = objectOf(fd);
    if (kindOf(o) !== SockKind.STREAM) throw new WasiError(Errno.NOTSUP);
    if (state(o) !== SockState.LISTENING) throw new WasiError(Errno.INVAL);
    if (fdflags & ~(FdFlags.APPEND | FdFlags.DSYNC | FdFlags.NONBLOCK | FdFlags.RSYNC | FdFlags.SYNC)) throw new WasiError(Errno.INVAL);
    const deadline = deadlineOf(o, SockOption.ACCEPT_TIMEOUT);
    for (;;) {
      const seq = Atomics.load(i32, w(o, Sock.SEQ));
      net.lockSock(o);
      const head = i32[w(o, Sock.ACC_HEAD)]!;
      let c = -1;
      if (head !== Atomics.load(i32, w(o, Sock.ACC_TAIL))) {
        c = i32[w(o, Sock.ACC_Q + (head >>> 0) % ACC_SLOTS)]!;
        Atomics.store(i32, w(o, Sock.ACC_HEAD), (head + 1) | 0);
      }
      net.unlockSock(o);
      if (c >= 0) {
        net.want(o, Want.ACCEPT);
        let nfd: number;
        try {
          nfd = insertFd(c, SockKind.STREAM, fdflags & FdFlags.NONBLOCK);
        } catch (e) {
          net.want(c, Want.CLOSE);
          throw e;
        }
        return { fd: nfd, peer: net.getAddr(c, Sock.PEER) };
      }
      const err = takeError(o);
      if (err) throw new WasiError(err);
      if (nonblocking(base) || !waitChange(o, seq, deadline)) throw new WasiError(Errno.AGAIN);
    }
  }

  // ---- readiness ------------------------------------------------------------------------------------

  const stream: StreamOps = {
    read(base, iovs) {
      const o = fds.i32[fds.desc(base) + Desc.OBJECT]!;
      if (kindOf(o) === SockKind.STREAM) return recvStream(o, base, iovs, 0);
      if (state(o) === SockState.NEW) throw new WasiError(Errno.NOTCONN);
      return recvDgram(o, base, iovs, 0).n;
    },
    write(base, iovs) {
      const o = fds.i32[fds.desc(base) + Desc.OBJECT]!;
      if (kindOf(o) === SockKind.STREAM) return sendStream(o, base, gather(iovs), false);
      if (state(o) !== SockState.CONNECTED) throw new WasiError(Errno.DESTADDRREQ);
      return sendDgram(o, base, gather(iovs), net.getAddr(o, Sock.PEER), false);
    },
    readReady(base) {
      const o = fds.i32[fds.desc(base) + Desc.OBJECT]!;
      const st = state(o);
      const fl = Atomics.load(i32, w(o, Sock.FLAGS));
      if (st === SockState.LISTENING) {
        const q = (Atomics.load(i32, w(o, Sock.ACC_TAIL)) - Atomics.load(i32, w(o, Sock.ACC_HEAD))) >>> 0;
        return { nbytes: q, hangup: false, ready: q > 0 };
      }
      const nbytes = net.used(o, 0);
      const hangup = (fl & (SockFlag.RX_EOF | SockFlag.RX_SHUT)) !== 0 || st === SockState.FAILED || st === SockState.CLOSED;
      const err = Atomics.load(i32, w(o, Sock.ERROR)) !== 0;
      return { nbytes, hangup, ready: nbytes > 0 || hangup || err };
    },
    writeReady(base) {
      const o = fds.i32[fds.desc(base) + Desc.OBJECT]!;
      const st = state(o);
      const err = Atomics.load(i32, w(o, Sock.ERROR)) !== 0;
      if (st === SockState.FAILED || st === SockState.CLOSED || err) return { nbytes: 0, hangup: true, ready: true };
      if (kindOf(o) === SockKind.DGRAM) {
        const free = NET_RING_BYTES - net.used(o, 1);
        return { nbytes: free, hangup: false, ready: free > DGRAM_HEADER };
      }
      if (st !== SockState.CONNECTED) return { nbytes: 0, hangup: false, ready: false };
      const peer = net.linkOf(o);
      const free = NET_RING_BYTES - (peer >= 0 ? net.used(peer, 0) : net.used(o, 1));
      const shut = (Atomics.load(i32, w(o, Sock.FLAGS)) & (SockFlag.TX_SHUT | SockFlag.PEER_GONE)) !== 0;
      return { nbytes: free, hangup: shut, ready: free > 0 || shut };
    },
  };

  // ---- options ----------------------------------------------------------------------------------------

  const FLAG_OPTS = new Set<number>([
    SockOption.REUSE_PORT, SockOption.REUSE_ADDR, SockOption.NO_DELAY, SockOption.DONT_ROUTE, SockOption.ONLY_V6,
    SockOption.BROADCAST, SockOption.MULTICAST_LOOP_V4, SockOption.MULTICAST_LOOP_V6, SockOption.KEEP_ALIVE,
    SockOption.OOB_INLINE, SockOption.PROMISCUOUS,
  ]);
  const TIME_OPTS = new Set<number>([
    SockOption.RECV_TIMEOUT, SockOption.SEND_TIMEOUT, SockOption.CONNECT_TIMEOUT, SockOption.ACCEPT_TIMEOUT, SockOption.LINGER,
  ]);
  const SIZE_OPTS = new Set<number>([
    SockOption.RECV_BUF_SIZE, SockOption.SEND_BUF_SIZE, SockOption.RECV_LOWAT, SockOption.SEND_LOWAT, SockOption.TTL,
    SockOption.MULTICAST_TTL_V4,
  ]);
  const SIZE_DEFAULTS: Record<number, number> = {
    [SockOption.RECV_BUF_SIZE]: NET_RING_BYTES, [SockOption.SEND_BUF_SIZE]: NET_RING_BYTES,
    [SockOption.RECV_LOWAT]: 1, [SockOption.SEND_LOWAT]: 1, [SockOption.TTL]: 64, [SockOption.MULTICAST_TTL_V4]: 1,
  };
  /** Word of an option (OPTS + SockOption.NOOP keeps the listen backlog). */
  const optWord = (o: number, opt: number): number => w(o, Sock.OPTS + opt);

  function sockStatus(o: number): number {
    switch (state(o)) {
      case SockState.LISTENING: case SockState.CONNECTED: return SockStatus.OPENED;
      case SockState.CLOSED: return SockStatus.CLOSED;
      case SockState.FAILED: return SockStatus.FAILED;
      default: return SockStatus.OPENING;
    }
  }

  const table: SyscallTable = {
    sock_open: errno(function sock_open(af: number, type: number, proto: number, retFd: number) {
      const m = k.mem.sync();
      m.check(retFd, 4);
      if (af !== AddressFamily.INET4 && af !== AddressFamily.INET6) return Errno.AFNOSUPPORT;
      let kind: number;
      if (type === SockType.STREAM && (proto === SockProto.IP || proto === SockProto.TCP)) kind = SockKind.STREAM;
      else if (type === SockType.DGRAM && (proto === SockProto.IP || proto === SockProto.UDP)) kind = SockKind.DGRAM;
      else if (type === SockType.STREAM || type === SockType.DGRAM) return Errno.PROTONOSUPPORT;
      else return Errno.NOTSUP;
      if (!netAllowed(k, undefined)) deny('socket');
      const o = net.alloc(kind, af);
      if (o < 0) return Errno.NFILE;
      let fd: number;
      try {
        fd = insertFd(o, kind, 0);
      } catch (e) {
        net.free(o);
        throw e;
      }
      m.setU32(retFd, fd);
      return 0;
    }),

    // socketpair(): two stream sockets linked in-process (no network, so no permission needed).
    sock_pair: errno(function sock_pair(af: number, type: number, proto: number, ret0: number, ret1: number) {
      const m = k.mem.sync();
      m.check(ret0, 4);
      m.check(ret1, 4);
      if (af !== AddressFamily.INET4 && af !== AddressFamily.INET6 && af !== AddressFamily.UNIX) return Errno.AFNOSUPPORT;
      if (type !== SockType.STREAM) return type === SockType.DGRAM ? Errno.NOTSUP : Errno.PROTOTYPE;
      if (proto !== SockProto.IP && proto !== SockProto.TCP) return Errno.PROTONOSUPPORT;
      const a = net.alloc(SockKind.STREAM, af);
      if (a < 0) return Errno.NFILE;
      const b = net.alloc(SockKind.STREAM, af);
      if (b < 0) {
        net.free(a);
        return Errno.NFILE;
      }
      i32[w(Math.min(a, b), Sock.PAIR_REFS)] = 2;
      Atomics.store(i32, w(a, Sock.LINK), b + 1);
      Atomics.store(i32, w(b, Sock.LINK), a + 1);
      Atomics.store(i32, w(a, Sock.STATE), SockState.CONNECTED);
      Atomics.store(i32, w(b, Sock.STATE), SockState.CONNECTED);
      let fa = -1;
      try {
        fa = insertFd(a, SockKind.STREAM, 0);
        const fb = insertFd(b, SockKind.STREAM, 0);
        m.sync().setU32(ret0, fa);
        m.setU32(ret1, fb);
      } catch (e) {
        if (fa >= 0) fds.remove(fa);
        else net.closeLinked(a);
        net.closeLinked(b);
        throw e;
      }
      return 0;
    }),

    sock_bind: errno(function sock_bind(fd: number, addrPtr: number) {
      const { o } = objectOf(fd);
      bind(o, readAddr(addrPtr));
      return 0;
    }),

    sock_listen: errno(function sock_listen(fd: number, backlog: number) {
      const { o } = objectOf(fd);
      if (kindOf(o) !== SockKind.STREAM) return Errno.NOTSUP;
      const st = state(o);
      if (st === SockState.LISTENING) return 0;
      if (st !== SockState.NEW && st !== SockState.BOUND) return Errno.INVAL;
      if (st === SockState.NEW) bind(o, anyAddr(i32[w(o, Sock.FAMILY)]!));
      i32[optWord(o, SockOption.NOOP)] = Math.max(1, Math.min(backlog | 0 || 1, ACC_SLOTS));
      if (k.cfg.netHost) ask('listen', o);
      else {
        Atomics.store(i32, w(o, Sock.STATE), SockState.LISTENING);
        net.changed(o);
      }
      return 0;
    }),

    sock_accept_v2: blocking(function sock_accept_v2(fd: number, flags: number, retFd: number, retAddr: number) {
      const m = k.mem.sync();
      m.check(retFd, 4);
      m.check(retAddr, AddrPort.size);
      const r = accept(fd, flags);
      m.setU32(retFd, r.fd);
      writeAddr(retAddr, r.peer);
      return 0;
    }),

    sock_connect: blocking(function sock_connect(fd: number, addrPtr: number) {
      const { base, o } = objectOf(fd);
      const a = readAddr(addrPtr);
      if (a.family !== i32[w(o, Sock.FAMILY)]) return Errno.AFNOSUPPORT;
      if (!netAllowed(k, a)) deny('connect to', a);
      if (kindOf(o) === SockKind.DGRAM) {
        ensureBound(o);
        net.setAddr(o, Sock.PEER, a);
        Atomics.store(i32, w(o, Sock.STATE), SockState.CONNECTED);
        return 0;
      }
      const st = state(o);
      if (st === SockState.CONNECTING) return Errno.ALREADY;
      if (st === SockState.CONNECTED) return Errno.ISCONN;
      // A second connect() after a failed nonblocking one reports why (wasix-libc's getsockopt(SO_ERROR)
      // always says 0, so this is how a program learns it).
      if (st === SockState.FAILED) return takeError(o) || Errno.CONNREFUSED;
      if (st !== SockState.NEW && st !== SockState.BOUND) return Errno.INVAL;
      if (a.port === 0) return Errno.CONNREFUSED;
      const lst = localListener(a);
      if (lst >= 0) return connectLocal(o, lst, a);
      if (!k.cfg.netHost && (!k.cfg.netRemote || isLoopback(a))) return isLoopback(a) ? Errno.CONNREFUSED : Errno.NETUNREACH;
      net.setAddr(o, Sock.PEER, a);
      Atomics.store(i32, w(o, Sock.STATE), SockState.CONNECTING);
      k.host.post({ t: 'net', op: 'connect', o });
      if (nonblocking(base)) return Errno.INPROGRESS;
      const deadline = deadlineOf(o, SockOption.CONNECT_TIMEOUT);
      for (;;) {
        const seq = Atomics.load(i32, w(o, Sock.SEQ));
        const now = state(o);
        if (now === SockState.CONNECTED) return 0;
        if (now !== SockState.CONNECTING) return takeError(o) || Errno.CONNREFUSED;
        if (!waitChange(o, seq, deadline)) return Errno.TIMEDOUT;
      }
    }),

    // preview1 signatures (wasix-libc imports these from wasi_snapshot_preview1).
    sock_recv: blocking(function sock_recv(fd: number, iovsPtr: number, iovsLen: number, flags: number, retN: number, retFlags: number) {
      const m = k.mem.sync();
      m.check(retN, 4);
      m.check(retFlags, 2);
      const iovs = m.iovecs(iovsPtr, iovsLen);
      const r = recv(fd, iovs, flags);
      const mm = k.mem.sync();
      mm.setU32(retN, r.n);
      mm.setU16(retFlags, r.trunc ? RoFlags.DATA_TRUNCATED : 0);
      return 0;
    }),

    sock_recv_from: blocking(function sock_recv_from(fd: number, iovsPtr: number, iovsLen: number, flags: number, retN: number, retFlags: number, retAddr: number) {
      const m = k.mem.sync();
      m.check(retN, 4);
      m.check(retFlags, 2);
      m.check(retAddr, AddrPort.size);
      const iovs = m.iovecs(iovsPtr, iovsLen);
      const r = recv(fd, iovs, flags);
      const from = r.from ?? net.getAddr(objectOf(fd).o, Sock.PEER);
      const mm = k.mem.sync();
      mm.setU32(retN, r.n);
      mm.setU16(retFlags, r.trunc ? RoFlags.DATA_TRUNCATED : 0);
      writeAddr(retAddr, from);
      return 0;
    }),

    sock_send: blocking(function sock_send(fd: number, iovsPtr: number, iovsLen: number, _flags: number, retN: number) {
      const m = k.mem.sync();
      m.check(retN, 4);
      const n = send(fd, m.iovecs(iovsPtr, iovsLen), undefined, false);
      k.mem.sync().setU32(retN, n);
      return 0;
    }),

    sock_send_to: blocking(function sock_send_to(fd: number, iovsPtr: number, iovsLen: number, _flags: number, addrPtr: number, retN: number) {
      const m = k.mem.sync();
      m.check(retN, 4);
      const iovs = m.iovecs(iovsPtr, iovsLen);
      const { o } = objectOf(fd);
      const to = kindOf(o) === SockKind.DGRAM ? readAddr(addrPtr) : undefined;
      const n = send(fd, iovs, to, false);
      k.mem.sync().setU32(retN, n);
      return 0;
    }),

    sock_shutdown: errno(function sock_shutdown(fd: number, how: number) {
      const { base, o } = objectOf(fd);
      if (!(fds.i32[base + FdSlot.RIGHTS_BASE]! & Rights.SOCK_SHUTDOWN)) return Errno.NOTCAPABLE;
      if (how === 0 || how & ~(SdFlags.RD | SdFlags.WR)) return Errno.INVAL;
      if (state(o) !== SockState.CONNECTED) return Errno.NOTCONN;
      if (how & SdFlags.RD) Atomics.or(i32, w(o, Sock.FLAGS), SockFlag.RX_SHUT);
      if (how & SdFlags.WR) {
        Atomics.or(i32, w(o, Sock.FLAGS), SockFlag.TX_SHUT);
        const peer = net.linkOf(o);
        if (peer >= 0) {
          Atomics.or(i32, w(peer, Sock.FLAGS), SockFlag.RX_EOF);
          net.changed(peer);
        } else if (kindOf(o) === SockKind.STREAM) net.want(o, Want.SHUT_WR);
      }
      net.changed(o);
      return 0;
    }),

    sock_status: errno(function sock_status(fd: number, ret: number) {
      const m = k.mem.sync();
      m.check(ret, 1);
      const { o } = objectOf(fd);
      m.setU8(ret, sockStatus(o));
      return 0;
    }),

    sock_addr_local: errno(function sock_addr_local(fd: number, ret: number) {
      k.mem.sync().check(ret, AddrPort.size);
      const { o } = objectOf(fd);
      const st = state(o);
      writeAddr(ret, st === SockState.NEW ? anyAddr(i32[w(o, Sock.FAMILY)]!) : net.getAddr(o, Sock.LOCAL));
      return 0;
    }),

    sock_addr_peer: errno(function sock_addr_peer(fd: number, ret: number) {
      k.mem.sync().check(ret, AddrPort.size);
      const { o } = objectOf(fd);
      if (state(o) !== SockState.CONNECTED) return Errno.NOTCONN;
      writeAddr(ret, net.getAddr(o, Sock.PEER));
      return 0;
    }),

    sock_set_opt_flag: errno(function sock_set_opt_flag(fd: number, opt: number, flag: number) {
      const { o } = objectOf(fd);
      if (!FLAG_OPTS.has(opt)) return Errno.INVAL;
      if (flag !== 0 && flag !== 1) return Errno.INVAL;
      i32[optWord(o, opt)] = flag;
      if (opt === SockOption.NO_DELAY || opt === SockOption.KEEP_ALIVE) net.want(o, Want.OPTS);
      return 0;
    }),

    sock_get_opt_flag: errno(function sock_get_opt_flag(fd: number, opt: number, ret: number) {
      const m = k.mem.sync();
      m.check(ret, 1);
      const { o } = objectOf(fd);
      let v: number;
      if (opt === SockOption.LISTENING) v = state(o) === SockState.LISTENING ? 1 : 0;
      else if (FLAG_OPTS.has(opt)) v = i32[optWord(o, opt)]! ? 1 : 0;
      else return Errno.INVAL;
      m.setU8(ret, v);
      return 0;
    }),

    sock_set_opt_time: errno(function sock_set_opt_time(fd: number, opt: number, ptr: number) {
      const m = k.mem.sync();
      const p = m.check(ptr, OptionTimestamp.size);
      const { o } = objectOf(fd);
      if (!TIME_OPTS.has(opt)) return Errno.INVAL;
      const tag = m.dv.getUint8(p + OptionTimestamp.tag);
      if (tag > 1) return Errno.INVAL;
      const ns = tag === 1 ? m.dv.getBigUint64(p + OptionTimestamp.value, true) : 0n;
      // Stored as whole ms, rounded up (a tiny timeout is not "none"), capped at ~24 days; -1 is some(0).
      i32[optWord(o, opt)] = tag === 0 ? 0 : ns === 0n ? -1 : Math.min(0x7ffffffe, Math.ceil(Number(ns) / 1e6));
      return 0;
    }),

    sock_get_opt_time: errno(function sock_get_opt_time(fd: number, opt: number, ret: number) {
      const m = k.mem.sync();
      const p = m.check(ret, OptionTimestamp.size);
      const { o } = objectOf(fd);
      if (!TIME_OPTS.has(opt)) return Errno.INVAL;
      const v = i32[optWord(o, opt)]!;
      m.u8.fill(0, p, p + OptionTimestamp.size);
      if (v !== 0) {
        m.dv.setUint8(p + OptionTimestamp.tag, 1);
        m.dv.setBigUint64(p + OptionTimestamp.value, v < 0 ? 0n : BigInt(v) * 1000000n, true);
      }
      return 0;
    }),

    sock_set_opt_size: errno(function sock_set_opt_size(fd: number, opt: number, size: bigint) {
      const { o } = objectOf(fd);
      if (!SIZE_OPTS.has(opt)) return Errno.INVAL;
      const v = BigInt.asUintN(64, BigInt(size));
      if (opt === SockOption.TTL && (v < 1n || v > 255n)) return Errno.INVAL;
      i32[optWord(o, opt)] = Number(v > 0x7fffffffn ? 0x7fffffffn : v);
      return 0;
    }),

    sock_get_opt_size: errno(function sock_get_opt_size(fd: number, opt: number, ret: number) {
      const m = k.mem.sync();
      m.check(ret, 8);
      const { o } = objectOf(fd);
      let v: number;
      if (opt === SockOption.LAST_ERROR) v = takeError(o);
      else if (opt === SockOption.TYPE) v = kindOf(o) === SockKind.STREAM ? SockType.STREAM : SockType.DGRAM;
      else if (opt === SockOption.PROTO) v = kindOf(o) === SockKind.STREAM ? SockProto.TCP : SockProto.UDP;
      else if (SIZE_OPTS.has(opt)) v = i32[optWord(o, opt)]! || SIZE_DEFAULTS[opt]!;
      else return Errno.INVAL;
      m.setU64n(ret, v);
      return 0;
    }),

    sock_join_multicast_v4: () => Errno.NOTSUP,
    sock_leave_multicast_v4: () => Errno.NOTSUP,
    sock_join_multicast_v6: () => Errno.NOTSUP,
    sock_leave_multicast_v6: () => Errno.NOTSUP,

    resolve: blocking(function resolve(hostPtr: number, hostLen: number, port: number, addrsPtr: number, naddrs: number, retN: number) {
      const m = k.mem.sync();
      m.check(retN, 4);
      const n = naddrs >>> 0;
      if (n > m.size / AddrIp.size) return Errno.FAULT;
      const out = m.check(addrsPtr, n * AddrIp.size);
      if ((hostLen >>> 0) > 1024) return Errno.INVAL;
      const host = new TextDecoder().decode(m.bytes(hostPtr, hostLen).slice());
      if (!netAllowed(k, undefined)) deny(`resolve ${JSON.stringify(host)}`);
      // IP literals need no lookup.
      const lit = parseIp(host);
      let list: { family: number; ip: Uint8Array }[];
      if (lit) list = [lit];
      else if (!k.cfg.netHost) {
        // No host resolver (browser): only the loopback names exist.
        if (host !== 'localhost' && host !== 'localhost.localdomain') return Errno.NOENT;
        list = [{ family: AddressFamily.INET4, ip: Uint8Array.of(127, 0, 0, 1) }];
      } else {
        const seq = k.chan.begin();
        k.host.post({ t: 'net', op: 'resolve', o: -1, host, port: port & 0xffff, slot: k.slot, seq });
        const r = k.chan.wait(seq);
        if (r === undefined) return Errno.IO;
        if (r < 0) return -r;
        list = [];
        const d = k.chan.data;
        for (let i = 0; i < r; i++) {
          const fam = d[i * 17]!;
          list.push({ family: fam, ip: d.slice(i * 17 + 1, i * 17 + 1 + (fam === AddressFamily.INET6 ? 16 : 4)) });
        }
      }
      const mm = k.mem.sync();
      const count = Math.min(n, list.length);
      for (let i = 0; i < count; i++) {
        const p = out + i * AddrIp.size;
        mm.u8.fill(0, p, p + AddrIp.size);
        mm.dv.setUint8(p + AddrIp.tag, list[i]!.family);
        mm.u8.set(list[i]!.ip, p + AddrIp.addr);
      }
      mm.setU32(retN, count);
      return 0;
    }),
  };

  k.streams[FdKind.SOCKET] = stream;
  k.releaseHooks[FdKind.SOCKET] = (e: FdEntry) => {
    const o = e.object ?? 0;
    const gen = Atomics.load(i32, w(o, Sock.CLOSED_GEN));
    const hosted = net.release(o, !!k.cfg.netHost);
    // close() of a socket with a host side returns once the owner let go of it, as on Linux: the port is
    // free and the peer sees the end before the next call (a bounded wait: the owner never blocks).
    if (!hosted) return;
    const deadline = performance.now() + 2000;
    while (Atomics.load(i32, w(o, Sock.CLOSED_GEN)) === gen && performance.now() < deadline) {
      Atomics.wait(i32, w(o, Sock.CLOSED_GEN), gen, 50);
      k.checkAlive();
    }
  };
  return { table, stream, objectOf, insertFd, accept };
}

/** Trace decoding: the address a bind/connect/send_to names, e.g. "127.0.0.1:8080". */
function describeAddr(k: Kernel, ptr: number): string {
  try {
    const m = k.mem.sync();
    const p = m.check(ptr, AddrPort.size);
    const family = m.dv.getUint8(p + AddrPort.tag);
    if (family !== AddressFamily.INET4 && family !== AddressFamily.INET6) return `family ${family}`;
    const ip = m.u8.slice(p + AddrPort.addr, p + AddrPort.addr + (family === AddressFamily.INET6 ? 16 : 4));
    const port = m.dv.getUint16(p + AddrPort.port, true);
    const text = ipString({ family, port, ip });
    return family === AddressFamily.INET6 ? `[${text}]:${port}` : `${text}:${port}`;
  } catch {
    return 'bad address pointer';
  }
}
argFormatters['sock_bind'] = (k, a) => describeAddr(k, a[1] as number);
argFormatters['sock_connect'] = (k, a) => describeAddr(k, a[1] as number);
argFormatters['sock_send_to'] = (k, a) => describeAddr(k, a[4] as number);
