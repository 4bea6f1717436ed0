import { Errno, WasiError } from '../../abi/errno.js';
import { FdFlags, Filetype, Rights } from '../../abi/constants.js';
import { AddressFamily, AddrIp, AddrPort, RoFlags, SdFlags, SockOption, SockProto, SockStatus, SockType } from '../../abi/net.js';
import { Desc, FdSlot, FdKind, type FdEntry } from '../shared/fd-table.js';
import { withDesc } from '../files.js';
import type { Kernel } from '../kernel.js';
import { gather } from '../iovec.js';
import { isLoopback, parseIp } from '../net-addr.js';
import { ACC_SLOTS, NetState, Sock, SockFlag, SockKind, SockState, Want, type SockAddr } from '../shared/net-state.js';
import { SOCKET_RIGHTS } from '../rights.js';
import type { StreamOps } from '../streams.js';
import { anyAddr, describeAddr, readAddr, writeAddr } from '../sockets/guest-addr.js';
import { bindLocal, connectLocal, linkPair, localListener } from '../sockets/loopback.js';
import { backlogWord, socketOptionSyscalls } from '../sockets/options.js';
import { deny, netAllowed } from '../sockets/policy.js';
import { RingTransport } from '../sockets/ring-transport.js';
import { blocking, errno, type Provides, type WasixTable } from './types.js';
import { argFormatters } from '../trace.js';

/** Socket calls as seen by a guest thread: shared-state work here, host socket work in the owner. */
export interface SocketLayer {
  /** The sock_* calls; the preview1 namespace takes sock_recv, sock_send and sock_shutdown from it. */
  table: Provides<WasixTable, 'sock_recv' | 'sock_send' | 'sock_shutdown'>;
  accept(fd: number, fdflags: number): { fd: number; peer: SockAddr };
}

/**
 * The wasix_32v1 socket calls (and the preview1 sock_* calls wasix-libc imports), each a few lines over
 * the parts in ../sockets/: the network policy, in-process loopback links, the ring transport (the data
 * path, accept queue and readiness), socket options and guest address structs. Host sockets are the
 * owner's (process/net-owner.ts): bind/listen/connect/resolve ask it, data goes through the rings.
 */
export function socketLayer(k: Kernel, net: NetState): SocketLayer {
  const fds = k.fds;
  const i32 = net.i32;
  const w = (o: number, f: number): number => net.s(o, f);
  const directWrite = k.host.socketWrite?.bind(k.host);
  const nonblocking = (base: number): boolean => (fds.i32[base + FdSlot.FLAGS]! & FdFlags.NONBLOCK) !== 0;
  const tr = new RingTransport(net, { checkAlive: () => k.checkAlive(), nonblocking, directWrite });
  const state = (o: number): number => tr.state(o);
  const kindOf = (o: number): number => tr.kind(o);

  function objectOf(fd: number): { base: number; o: number } {
    const base = fds.require(fd, 0);
    if (fds.i32[base + FdSlot.KIND] !== FdKind.SOCKET) throw new WasiError(Errno.NOTSOCK);
    return { base, o: fds.i32[fds.desc(base) + Desc.OBJECT]! };
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
    if (!netAllowed(k.cfg.net, a)) deny(k, 'bind', a);
    if (!k.cfg.netHost) return bindLocal(net, o, a);
    net.setAddr(o, Sock.LOCAL, a);
    ask('bind', o);
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
    if (kindOf(o) === SockKind.STREAM) return tr.sendStream(o, base, data, dontWait);
    const dest = to ?? (state(o) === SockState.CONNECTED ? net.getAddr(o, Sock.PEER) : undefined);
    if (!dest) throw new WasiError(Errno.DESTADDRREQ);
    if (!netAllowed(k.cfg.net, dest)) deny(k, 'send to', dest);
    if (dest.family !== i32[w(o, Sock.FAMILY)]) throw new WasiError(Errno.AFNOSUPPORT);
    if (state(o) === SockState.NEW) {
      // Allowed to send to dest, so the implicit wildcard bind is allowed too.
      net.setAddr(o, Sock.LOCAL, anyAddr(dest.family));
      ask('bind', o);
    }
    return tr.sendDgram(o, base, data, dest, dontWait);
  }

  /** recv with the fd's description pinned: a close in another thread cannot release the socket meanwhile. */
  function recv(fd: number, iovs: Uint8Array[], flags: number): { n: number; from?: SockAddr; trunc: boolean } {
    return withDesc(k, objectOf(fd).base, () => recvUnpinned(fd, iovs, flags));
  }

  function recvUnpinned(fd: number, iovs: Uint8Array[], flags: number): { n: number; from?: SockAddr; trunc: boolean } {
    const { base, o } = objectOf(fd);
    if (!(fds.i32[base + FdSlot.RIGHTS_BASE]! & Rights.FD_READ)) throw new WasiError(Errno.NOTCAPABLE);
    if (kindOf(o) === SockKind.STREAM) {
      const n = tr.recvStream(o, base, iovs, flags);
      return { n, trunc: false };
    }
    if (state(o) === SockState.NEW) throw new WasiError(Errno.NOTCONN);
    return tr.recvDgram(o, base, iovs, flags);
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
    const c = tr.takeAccepted(o, base);
    let nfd: number;
    try {
      nfd = insertFd(c, SockKind.STREAM, fdflags & FdFlags.NONBLOCK);
    } catch (e) {
      net.want(c, Want.CLOSE);
      throw e;
    }
    return { fd: nfd, peer: net.getAddr(c, Sock.PEER) };
  }

  /** read/write/poll on a socket fd (fd_read, fd_write, poll_oneoff, epoll). */
  const stream: StreamOps = {
    read(base, iovs) {
      const o = fds.i32[fds.desc(base) + Desc.OBJECT]!;
      if (kindOf(o) === SockKind.STREAM) return tr.recvStream(o, base, iovs, 0);
      if (state(o) === SockState.NEW) throw new WasiError(Errno.NOTCONN);
      return tr.recvDgram(o, base, iovs, 0).n;
    },
    write(base, iovs) {
      const o = fds.i32[fds.desc(base) + Desc.OBJECT]!;
      if (kindOf(o) === SockKind.STREAM) return tr.sendStream(o, base, gather(iovs), false);
      if (state(o) !== SockState.CONNECTED) throw new WasiError(Errno.DESTADDRREQ);
      return tr.sendDgram(o, base, gather(iovs), net.getAddr(o, Sock.PEER), false);
    },
    readReady: (base) => tr.readReady(fds.i32[fds.desc(base) + Desc.OBJECT]!),
    writeReady: (base) => tr.writeReady(fds.i32[fds.desc(base) + Desc.OBJECT]!),
  };

  function sockStatus(o: number): number {
    switch (state(o)) {
      case SockState.LISTENING: case SockState.CONNECTED: return SockStatus.OPENED;
      case SockState.CLOSED: return SockStatus.CLOSED;
      case SockState.FAILED: return SockStatus.FAILED;
      default: return SockStatus.OPENING;
    }
  }

  const table: SocketLayer['table'] = {
    ...socketOptionSyscalls(k, tr, objectOf),

    sock_open: errno(function sock_open(af: number, type: number, proto: number, retFd: number) {
      const m = k.mem.sync();
      m.check(retFd, 4);
      if (af !== AddressFamily.INET4 && af !== AddressFamily.INET6) return Errno.AFNOSUPPORT;
      let kind: number;
      if (type === SockType.STREAM && (proto === SockProto.IP || proto === SockProto.TCP)) kind = SockKind.STREAM;
      else if (type === SockType.DGRAM && (proto === SockProto.IP || proto === SockProto.UDP)) kind = SockKind.DGRAM;
      else if (type === SockType.STREAM || type === SockType.DGRAM) return Errno.PROTONOSUPPORT;
      else return Errno.NOTSUP;
      if (!netAllowed(k.cfg.net, undefined)) deny(k, 'socket');
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
      linkPair(net, a, b);
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
      bind(o, readAddr(k.mem.sync(), addrPtr));
      return 0;
    }),

    sock_listen: errno(function sock_listen(fd: number, backlog: number) {
      const { o } = objectOf(fd);
      if (kindOf(o) !== SockKind.STREAM) return Errno.NOTSUP;
      const st = state(o);
      if (st === SockState.LISTENING) return 0;
      if (st !== SockState.NEW && st !== SockState.BOUND) return Errno.INVAL;
      if (st === SockState.NEW) bind(o, anyAddr(i32[w(o, Sock.FAMILY)]!));
      i32[backlogWord(net, o)] = Math.max(1, Math.min(backlog | 0 || 1, ACC_SLOTS));
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
      writeAddr(k.mem.sync(), retAddr, r.peer);
      return 0;
    }),

    sock_connect: blocking(function sock_connect(fd: number, addrPtr: number) {
      const { base, o } = objectOf(fd);
      const a = readAddr(k.mem.sync(), addrPtr);
      if (a.family !== i32[w(o, Sock.FAMILY)]) return Errno.AFNOSUPPORT;
      if (!netAllowed(k.cfg.net, a)) deny(k, 'connect to', a);
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
      if (st === SockState.FAILED) return tr.takeError(o) || Errno.CONNREFUSED;
      if (st !== SockState.NEW && st !== SockState.BOUND) return Errno.INVAL;
      if (a.port === 0) return Errno.CONNREFUSED;
      const lst = localListener(net, a);
      if (lst >= 0) return connectLocal(net, o, lst, a);
      if (!k.cfg.netHost && (!k.cfg.netRemote || isLoopback(a))) return isLoopback(a) ? Errno.CONNREFUSED : Errno.NETUNREACH;
      net.setAddr(o, Sock.PEER, a);
      Atomics.store(i32, w(o, Sock.STATE), SockState.CONNECTING);
      k.host.post({ t: 'net', op: 'connect', o });
      if (nonblocking(base)) return Errno.INPROGRESS;
      const deadline = tr.deadlineOf(o, SockOption.CONNECT_TIMEOUT);
      for (;;) {
        const seq = Atomics.load(i32, w(o, Sock.SEQ));
        const now = state(o);
        if (now === SockState.CONNECTED) return 0;
        if (now !== SockState.CONNECTING) return tr.takeError(o) || Errno.CONNREFUSED;
        if (!tr.waitChange(o, seq, deadline)) return Errno.TIMEDOUT;
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
      writeAddr(mm, retAddr, from);
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
      const to = kindOf(o) === SockKind.DGRAM ? readAddr(k.mem.sync(), addrPtr) : undefined;
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
      writeAddr(k.mem.sync(), ret, st === SockState.NEW ? anyAddr(i32[w(o, Sock.FAMILY)]!) : net.getAddr(o, Sock.LOCAL));
      return 0;
    }),

    sock_addr_peer: errno(function sock_addr_peer(fd: number, ret: number) {
      k.mem.sync().check(ret, AddrPort.size);
      const { o } = objectOf(fd);
      if (state(o) !== SockState.CONNECTED) return Errno.NOTCONN;
      writeAddr(k.mem.sync(), ret, net.getAddr(o, Sock.PEER));
      return 0;
    }),

    // No multicast: sockets are TCP streams and unicast datagrams.
    sock_join_multicast_v4: errno(function sock_join_multicast_v4(_fd: number, _group: number, _iface: number) {
      return Errno.NOTSUP;
    }),
    sock_leave_multicast_v4: errno(function sock_leave_multicast_v4(_fd: number, _group: number, _iface: number) {
      return Errno.NOTSUP;
    }),
    sock_join_multicast_v6: errno(function sock_join_multicast_v6(_fd: number, _group: number, _iface: number) {
      return Errno.NOTSUP;
    }),
    sock_leave_multicast_v6: errno(function sock_leave_multicast_v6(_fd: number, _group: number, _iface: number) {
      return Errno.NOTSUP;
    }),

    resolve: blocking(function resolve(hostPtr: number, hostLen: number, port: number, addrsPtr: number, naddrs: number, retN: number) {
      const m = k.mem.sync();
      m.check(retN, 4);
      const n = naddrs >>> 0;
      if (n > m.size / AddrIp.size) return Errno.FAULT;
      const out = m.check(addrsPtr, n * AddrIp.size);
      if ((hostLen >>> 0) > 1024) return Errno.INVAL;
      const host = new TextDecoder().decode(m.bytes(hostPtr, hostLen).slice());
      if (!netAllowed(k.cfg.net, undefined)) deny(k, `resolve ${JSON.stringify(host)}`);
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
  return { table, accept };
}

argFormatters['sock_bind'] = (k, a) => describeAddr(k.mem.sync(), a[1] as number);
argFormatters['sock_connect'] = (k, a) => describeAddr(k.mem.sync(), a[1] as number);
argFormatters['sock_send_to'] = (k, a) => describeAddr(k.mem.sync(), a[4] as number);
