import type * as Dgram from 'node:dgram';
import type * as Net from 'node:net';
import { builtin } from './builtins.js';
import { Errno, toErrno } from '../../abi/errno.js';
import { AddressFamily, SockOption } from '../../abi/net.js';
import { ipString, toSockAddr } from '../../kernel/net-addr.js';
import {
  ACC_SLOTS, DGRAM_HEADER, MAX_SOCKETS, NET_RING_BYTES, NetHeader, NetState, Sock, SockFlag, SockKind, SockState, Want,
  type SockAddr,
} from '../../kernel/shared/net-state.js';
import type { NetOwner, NetReply, NetRequest } from '../../process/net-owner.js';

/** Received bytes queued on the owner beyond the RX ring before the host socket is paused. */
const RX_HIGH_WATER = 1024 * 1024;

/** Bytes Node may buffer for a socket before the owner stops draining its TX ring (back-pressure). */
const HIGH_WATER = 256 * 1024;

interface Hosted {
  /** The socket's number in NetState. */
  o: number;
  tcp?: Net.Socket;
  /** Cleared when a bound socket connects instead of listening. */
  server?: Net.Server | undefined;
  udp?: Dgram.Socket;
  /** Received bytes that did not fit in the RX ring yet (the host socket is paused past RX_HIGH_WATER). */
  pending: Buffer[];
  pendingBytes: number;
  ended: boolean;
  /** Waiting for 'drain' before taking more from the TX ring. */
  blocked: boolean;
  shutPending: boolean;
  /** Accepted connections beyond the accept queue's room. */
  overflow: number[];
}

/** Where a hosted node:net socket keeps its record (nodeNetOwner's shared handlers look it up). */
const kHosted = Symbol('weft.hosted');
type HostedSocket = Net.Socket & { [kHosted]?: Hosted };
const noop = (): void => {};

const errnoOf = (e: unknown): number => {
  const n = toErrno(e);
  return n === Errno.IO && (e as { code?: string })?.code === 'ENOTFOUND' ? Errno.NOENT : n;
};

/**
 * The owner of host sockets on Node: runs on the coordinator's event loop and never blocks. Guests move
 * bytes through the rings in NetState themselves; this side feeds received data into RX rings, drains
 * TX rings into node:net / node:dgram, and wakes on the NetState doorbell (Atomics.waitAsync) when a
 * guest queued work.
 */
export function nodeNetOwner(st: NetState, log: (line: string) => void): NetOwner {
  const i32 = st.i32;
  const hosted = new Array<Hosted | undefined>(MAX_SOCKETS);
  // (node:net's own destroy, called with the socket as `this` by destroyHosted)
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const socketDestroy = builtin('net').Socket.prototype._destroy;
  let stopped = false;
  const w = (o: number, f: number): number => st.s(o, f);
  const family = (o: number): number => i32[w(o, Sock.FAMILY)]!;
  const setState = (o: number, s: number): void => {
    Atomics.store(i32, w(o, Sock.STATE), s);
  };
  const setError = (o: number, e: number): void => {
    Atomics.compareExchange(i32, w(o, Sock.ERROR), 0, e);
  };
  const opt = (o: number, option: number): number => i32[w(o, Sock.OPTS + option)]!;

  function host(o: number): Hosted {
    let h = hosted[o];
    if (!h) {
      h = hosted[o] = { o, pending: [], pendingBytes: 0, ended: false, blocked: false, shutPending: false, overflow: [] };
      Atomics.or(i32, w(o, Sock.FLAGS), SockFlag.HOSTED);
    }
    return h;
  }

  // ---- receive path ---------------------------------------------------------------------------------

  /** Moves pending received bytes into the RX ring; true when all of them fit. */
  function flushRx(o: number, h: Hosted): boolean {
    let moved = false;
    while (h.pending.length > 0) {
      const free = NET_RING_BYTES - st.used(o, 0);
      if (free === 0) break;
      const b = h.pending[0]!;
      const n = Math.min(free, b.length);
      const tail = i32[w(o, Sock.RX_TAIL)]! >>> 0;
      st.copyIn(o, 0, tail, n === b.length ? b : b.subarray(0, n));
      Atomics.store(i32, w(o, Sock.RX_TAIL), (tail + n) | 0);
      moved = true;
      h.pendingBytes -= n;
      if (n === b.length) h.pending.shift();
      else h.pending[0] = b.subarray(n);
    }
    const done = h.pending.length === 0;
    if (done) {
      Atomics.and(i32, w(o, Sock.FLAGS), ~SockFlag.PAUSED); // nothing waits here: readers need not ring
      if (h.tcp?.isPaused()) h.tcp.resume();
    }
    if (done && h.ended) Atomics.or(i32, w(o, Sock.FLAGS), SockFlag.RX_EOF);
    if (moved || (done && h.ended)) st.changed(o);
    return done;
  }

  // The handlers of every hosted TCP socket are shared (one set per owner, not closures per connection:
  // a server's main thread allocates per connection what V8 then sizes its heap to, issue 20.2). They
  // find their socket's record on it (kHosted); a record no longer in `hosted` is a released socket's.
  const live = (s: Net.Socket): Hosted | undefined => {
    const h = (s as HostedSocket)[kHosted];
    return h && hosted[h.o] === h ? h : undefined;
  };
  /**
   * Node closes the fd inside destroy() (a reset, an error, both sides ended), and 'close' is emitted an
   * event-loop turn later: a connection accepted meanwhile may get the same fd number. Direct writes stop
   * first, under the socket lock (a guest holds it while it writes to HOST_FD), so none reaches the fd's
   * next owner; HOST_FD = 0 keeps drainTx from turning them on again.
   */
  function destroyHosted(this: Net.Socket, err: Error | null, cb: (error?: Error | null) => void): void {
    const h = live(this);
    if (h) {
      st.lockSockSpin(h.o);
      Atomics.store(i32, w(h.o, Sock.DIRECT), 0);
      i32[w(h.o, Sock.HOST_FD)] = 0;
      st.unlockSock(h.o);
    }
    socketDestroy.call(this, err, cb);
  }
  function onData(this: Net.Socket, b: Buffer): void {
    const h = live(this);
    if (!h) return;
    const o = h.o;
    h.pending.push(b);
    h.pendingBytes += b.length;
    if (!flushRx(o, h)) {
      // Publish PAUSED ("bytes wait here") before looking at the ring again: a reader that consumed in
      // between either left room for this second try or sees the flag and rings Want.RX.
      Atomics.or(i32, w(o, Sock.FLAGS), SockFlag.PAUSED);
      if (flushRx(o, h)) Atomics.and(i32, w(o, Sock.FLAGS), ~SockFlag.PAUSED);
      // Keep the host socket flowing into this queue up to a limit: stopping it at every full ring
      // would stall the connection for an event-loop hop each time.
      else if (h.pendingBytes > RX_HIGH_WATER && !this.isPaused()) this.pause();
    }
  }
  function onEnd(this: Net.Socket): void {
    const h = live(this);
    if (!h) return;
    h.ended = true;
    flushRx(h.o, h);
  }
  function onError(this: Net.Socket, e: Error): void {
    const h = live(this);
    if (!h) return;
    setError(h.o, errnoOf(e));
    st.changed(h.o);
  }
  function onClose(this: Net.Socket): void {
    const h = live(this);
    if (!h) return; // (its slot may be another socket's by now: that one's DIRECT is not ours to clear)
    Atomics.store(i32, w(h.o, Sock.DIRECT), 0);
    h.ended = true;
    if (h.pending.length === 0) Atomics.or(i32, w(h.o, Sock.FLAGS), SockFlag.RX_EOF);
    st.changed(h.o);
  }
  function onDrain(this: Net.Socket): void {
    const h = live(this);
    if (!h) return;
    h.blocked = false;
    drainTx(h.o, h);
  }

  function attachTcp(o: number, s: Net.Socket): void {
    const h = host(o);
    h.tcp = s;
    (s as HostedSocket)[kHosted] = h;
    // Let guest threads write to the fd themselves while nothing is queued here (see Sock.DIRECT).
    const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd === 'number' && fd >= 0) {
      i32[w(o, Sock.HOST_FD)] = fd + 1;
      Atomics.store(i32, w(o, Sock.DIRECT), s.writableLength === 0 ? 1 : 0);
    }
    // The owner already coalesces a guest's writes into one host write per wake-up; Nagle on top would
    // add its ACK wait to every request/response turn.
    s.setNoDelay(true);
    if (opt(o, SockOption.KEEP_ALIVE)) s.setKeepAlive(true);
    s._destroy = destroyHosted;
    s.on('data', onData);
    s.on('end', onEnd);
    s.on('error', onError);
    s.on('close', onClose);
    s.on('drain', onDrain);
  }

  // ---- send path --------------------------------------------------------------------------------------

  function drainTx(o: number, h: Hosted): void {
    if (h.udp) return drainDgrams(o, h);
    const s = h.tcp;
    if (!s || h.blocked) return;
    const n = st.used(o, 1);
    if (n > 0) {
      Atomics.store(i32, w(o, Sock.DIRECT), 0); // before taking bytes: no direct write may overtake them
      const head = i32[w(o, Sock.TX_HEAD)]! >>> 0;
      const buf = Buffer.allocUnsafe(n);
      st.copyOut(o, 1, head, buf, 0, n);
      Atomics.store(i32, w(o, Sock.TX_HEAD), (head + n) | 0);
      st.changed(o);
      if (!s.destroyed) {
        s.write(buf, () => {
          // Everything handed over so far is in the kernel: direct writes keep the order again.
          if (hosted[o] === h && !h.shutPending && !s.destroyed && s.writableLength === 0 && st.used(o, 1) === 0 &&
            i32[w(o, Sock.HOST_FD)]! > 0) {
            Atomics.store(i32, w(o, Sock.DIRECT), 1);
          }
        });
      }
      if (s.writableLength > HIGH_WATER) h.blocked = true;
    }
    if (h.shutPending && st.used(o, 1) === 0 && !h.blocked) {
      h.shutPending = false;
      if (!s.destroyed) s.end();
    }
  }

  const hdr = Buffer.alloc(DGRAM_HEADER);
  function drainDgrams(o: number, h: Hosted): void {
    const u = h.udp!;
    let moved = false;
    while (st.used(o, 1) >= DGRAM_HEADER) {
      const head = i32[w(o, Sock.TX_HEAD)]! >>> 0;
      st.copyOut(o, 1, head, hdr, 0, DGRAM_HEADER);
      const len = hdr.readUInt32LE(0);
      const fam = hdr.readUInt16LE(4);
      const to: SockAddr = { family: fam, port: hdr.readUInt16LE(6), ip: hdr.subarray(8, fam === AddressFamily.INET6 ? 24 : 12) };
      const data = Buffer.allocUnsafe(len);
      st.copyOut(o, 1, head + DGRAM_HEADER, data, 0, len);
      Atomics.store(i32, w(o, Sock.TX_HEAD), (head + DGRAM_HEADER + len) | 0);
      moved = true;
      u.send(data, to.port, ipString(to), (e) => {
        if (e) {
          setError(o, errnoOf(e));
          st.changed(o);
        }
      });
    }
    if (moved) st.changed(o);
  }

  function onDatagram(o: number, msg: Buffer, rinfo: Dgram.RemoteInfo): void {
    const free = NET_RING_BYTES - st.used(o, 0);
    if (free < DGRAM_HEADER + msg.length) return; // a full receive buffer drops datagrams, as UDP does
    const from = toSockAddr(rinfo.address, rinfo.port, family(o));
    hdr.fill(0);
    hdr.writeUInt32LE(msg.length, 0);
    hdr.writeUInt16LE(from.family, 4);
    hdr.writeUInt16LE(from.port, 6);
    Buffer.from(from.ip.buffer, from.ip.byteOffset, from.ip.length).copy(hdr, 8);
    const tail = i32[w(o, Sock.RX_TAIL)]! >>> 0;
    st.copyIn(o, 0, tail, hdr);
    st.copyIn(o, 0, tail + DGRAM_HEADER, msg);
    Atomics.store(i32, w(o, Sock.RX_TAIL), (tail + DGRAM_HEADER + msg.length) | 0);
    st.changed(o);
  }

  // ---- accept -----------------------------------------------------------------------------------------

  function queueAccepted(lo: number, h: Hosted): void {
    const room = Math.max(1, Math.min(opt(lo, SockOption.NOOP) || ACC_SLOTS, ACC_SLOTS));
    let moved = false;
    // In-process connects push to the same queue from guest threads: take the lock (spinning).
    st.lockSockSpin(lo);
    try {
      while (h.overflow.length > 0) {
        const head = Atomics.load(i32, w(lo, Sock.ACC_HEAD));
        const tail = i32[w(lo, Sock.ACC_TAIL)]!;
        if (((tail - head) >>> 0) >= room) break;
        i32[w(lo, Sock.ACC_Q + (tail >>> 0) % ACC_SLOTS)] = h.overflow.shift()!;
        Atomics.store(i32, w(lo, Sock.ACC_TAIL), (tail + 1) | 0);
        moved = true;
      }
    } finally {
      st.unlockSock(lo);
    }
    if (moved) st.changed(lo);
  }

  /**
   * Parsed forms of the address texts Node reports for accepted connections, per family: a server sees
   * the same few over and over, and parsing one (regular expressions, arrays) per connection was a good
   * part of what the owner allocated per connection.
   */
  const parsed = new Map<string, SockAddr>();
  const reported: SockAddr = { family: 0, port: 0, ip: new Uint8Array(0) };
  function setReported(o: number, field: number, text: string | undefined, port: number | undefined, fam: number): void {
    const key = fam === AddressFamily.INET6 ? `6${text ?? ''}` : text ?? '';
    let a = parsed.get(key);
    if (!a) {
      if (parsed.size >= 256) parsed.clear();
      a = toSockAddr(text, 0, fam);
      parsed.set(key, a);
    }
    reported.family = a.family;
    reported.port = port ?? 0;
    reported.ip = a.ip;
    st.setAddr(o, field, reported);
  }

  function onConnection(lo: number, c: Net.Socket): void {
    const h = hosted[lo];
    const fam = family(lo);
    const o = h ? st.alloc(SockKind.STREAM, fam) : -1;
    if (o < 0) {
      c.destroy();
      return;
    }
    setReported(o, Sock.LOCAL, c.localAddress, c.localPort, fam);
    setReported(o, Sock.PEER, c.remoteAddress, c.remotePort, fam);
    i32[w(o, Sock.OPTS + SockOption.NO_DELAY)] = opt(lo, SockOption.NO_DELAY);
    setState(o, SockState.CONNECTED);
    attachTcp(o, c);
    h!.overflow.push(o);
    queueAccepted(lo, h!);
  }

  // ---- requests -----------------------------------------------------------------------------------------

  function bind(o: number, reply: NetReply): void {
    const h = host(o);
    const a = st.getAddr(o, Sock.LOCAL);
    const fam = family(o);
    const done = (port: number): void => {
      st.setAddr(o, Sock.LOCAL, { ...a, port });
      setState(o, SockState.BOUND);
      st.changed(o);
      reply(0);
    };
    if (i32[w(o, Sock.TYPE)] === SockKind.DGRAM) {
      const u = builtin('dgram').createSocket({
        type: fam === AddressFamily.INET6 ? 'udp6' : 'udp4', reuseAddr: opt(o, SockOption.REUSE_ADDR) !== 0,
        ipv6Only: opt(o, SockOption.ONLY_V6) !== 0,
      });
      u.once('error', (e) => reply(-errnoOf(e)));
      u.on('message', (msg, rinfo) => onDatagram(o, msg, rinfo));
      u.bind({ port: a.port, address: ipString(a), exclusive: true }, () => {
        u.removeAllListeners('error');
        u.on('error', (e) => {
          setError(o, errnoOf(e));
          st.changed(o);
        });
        if (opt(o, SockOption.BROADCAST)) u.setBroadcast(true);
        h.udp = u;
        done(u.address().port);
      });
      return;
    }
    // TCP: node:net binds and listens in one step; connections that arrive before sock_listen wait in the
    // accept queue (Linux would refuse them), so bind reports EADDRINUSE and the real port at once.
    // allowHalfOpen: a peer's FIN only ends our receiving side; the program still writes (TCP half-close).
    const server = builtin('net').createServer({ pauseOnConnect: false, noDelay: true, allowHalfOpen: true });
    server.once('error', (e) => reply(-errnoOf(e)));
    server.on('connection', (c) => onConnection(o, c));
    server.listen({ host: ipString(a), port: a.port, backlog: 511, exclusive: true, ipv6Only: fam === AddressFamily.INET6 && opt(o, SockOption.ONLY_V6) !== 0 }, () => {
      server.removeAllListeners('error');
      server.on('error', (e) => {
        setError(o, errnoOf(e));
        st.changed(o);
      });
      h.server = server;
      done((server.address() as Net.AddressInfo).port);
    });
  }

  function connect(o: number): void {
    const h = host(o);
    const peer = st.getAddr(o, Sock.PEER);
    const fam = family(o);
    let localAddress: string | undefined, localPort: number | undefined;
    if (h.server) {
      // bind() before connect(): give the address back and connect from it.
      const a = st.getAddr(o, Sock.LOCAL);
      localAddress = ipString(a);
      localPort = a.port;
      h.server.close();
      h.server = undefined;
    }
    const s = builtin('net').connect({
      host: ipString(peer), port: peer.port, localAddress, localPort, family: fam === AddressFamily.INET6 ? 6 : 4, allowHalfOpen: true,
    });
    const fail = (e: Error): void => {
      if (hosted[o] !== h) return;
      setError(o, errnoOf(e));
      setState(o, SockState.FAILED);
      st.changed(o);
    };
    s.once('error', fail);
    s.once('connect', () => {
      s.removeListener('error', fail);
      if (hosted[o] !== h) {
        s.destroy();
        return;
      }
      st.setAddr(o, Sock.LOCAL, toSockAddr(s.localAddress, s.localPort, fam));
      attachTcp(o, s);
      setState(o, SockState.CONNECTED);
      st.changed(o);
      drainTx(o, h);
    });
  }

  function resolve(hostName: string, reply: NetReply): void {
    builtin('dns').lookup(hostName, { all: true, verbatim: true }, (err, list) => {
      if (err) return reply(-(err.code === 'ENOTFOUND' || err.code === 'ENODATA' ? Errno.NOENT : errnoOf(err)));
      const out = new Uint8Array(list.length * 17);
      let n = 0;
      for (const a of list) {
        const f = a.family === 6 ? AddressFamily.INET6 : AddressFamily.INET4;
        const p = toSockAddr(a.address, 0, f);
        out[n * 17] = f;
        out.set(p.ip, n * 17 + 1);
        n++;
      }
      reply(n, out.subarray(0, n * 17));
    });
  }

  // ---- guest work (doorbell) ----------------------------------------------------------------------------

  function release(o: number): void {
    Atomics.store(i32, w(o, Sock.DIRECT), 0);
    const h = hosted[o];
    hosted[o] = undefined;
    if (h) {
      if (h.tcp) {
        // (h is no longer in `hosted`: what it says about a pending drain no longer matters)
        h.blocked = false;
        drainTx(o, h);
        h.tcp.off('data', onData);
        h.tcp.on('error', noop);
        if (h.pending.length || st.used(o, 0)) h.tcp.resetAndDestroy?.();
        else h.tcp.end();
      }
      h.server?.close();
      h.udp?.close();
      for (const c of h.overflow) closeUnaccepted(c);
      // Connections accepted by the host but never by the guest.
      for (let hd = i32[w(o, Sock.ACC_HEAD)]! >>> 0; hd !== i32[w(o, Sock.ACC_TAIL)]! >>> 0; hd = (hd + 1) >>> 0) {
        closeUnaccepted(i32[w(o, Sock.ACC_Q + hd % ACC_SLOTS)]!);
      }
    }
    st.retire(o);
  }

  function closeUnaccepted(c: number): void {
    if (st.linkOf(c) >= 0) return st.closeLinked(c);
    const h = hosted[c];
    hosted[c] = undefined;
    h?.tcp?.destroy();
    st.free(c);
  }

  function serve(): void {
    if (stopped) return;
    st.takeWants(serveSocket);
    arm();
  }

  function serveSocket(o: number, bits: number): void {
    try {
      if (bits & Want.CLOSE) {
        release(o);
        return;
      }
      const h = hosted[o];
      if (!h) return;
      if (bits & Want.SHUT_WR) {
        h.shutPending = true;
        Atomics.store(i32, w(o, Sock.DIRECT), 0);
      }
      if (bits & (Want.TX | Want.SHUT_WR)) drainTx(o, h);
      if (bits & Want.RX && h.tcp && h.pending.length > 0) {
        Atomics.and(i32, w(o, Sock.FLAGS), ~SockFlag.PAUSED);
        if (!flushRx(o, h)) {
          Atomics.or(i32, w(o, Sock.FLAGS), SockFlag.PAUSED);
          if (flushRx(o, h)) Atomics.and(i32, w(o, Sock.FLAGS), ~SockFlag.PAUSED);
        }
        if (h.pendingBytes <= RX_HIGH_WATER / 4 && h.tcp.isPaused()) h.tcp.resume();
      }
      if (bits & Want.ACCEPT) queueAccepted(o, h);
      if (bits & Want.OPTS && h.tcp) h.tcp.setKeepAlive(opt(o, SockOption.KEEP_ALIVE) !== 0);
    } catch (e) {
      log(`weft: network owner: socket ${o}: ${String(e)}`);
    }
  }

  function arm(): void {
    if (!stopped) st.onDoorbell(serve, setImmediate);
  }
  arm();

  return {
    handle(m: NetRequest, reply: NetReply | undefined): void {
      const r = reply ?? (() => {});
      try {
        switch (m.op) {
          case 'bind':
            return bind(m.o, r);
          case 'listen':
            setState(m.o, SockState.LISTENING);
            st.changed(m.o);
            return r(0);
          case 'connect':
            return connect(m.o);
          case 'resolve':
            return resolve(m.host ?? '', r);
        }
      } catch (e) {
        r(-errnoOf(e));
      }
    },
    stop(): void {
      stopped = true;
      Atomics.store(i32, NetHeader.STOPPED, 1);
      Atomics.notify(i32, NetHeader.DOORBELL);
      for (let o = 0; o < MAX_SOCKETS; o++) {
        const h = hosted[o];
        if (!h) continue;
        h.tcp?.destroy();
        h.server?.close();
        h.udp?.close();
        hosted[o] = undefined;
      }
    },
  };
}
