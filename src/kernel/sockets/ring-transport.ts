import { Errno, WasiError } from '../../abi/errno.js';
import { AddressFamily, RiFlags, SockOption } from '../../abi/net.js';
import { iovBytes } from '../iovec.js';
import {
  ACC_SLOTS, DGRAM_HEADER, NET_RING_BYTES, type NetState, Sock, SockFlag, SockKind, SockState, Want, type SockAddr,
} from '../shared/net-state.js';
import { optionWord } from './options.js';

/** How long one wait on a socket lasts before re-checking that the process is alive (ms). */
const WAIT_SLICE_MS = 200;

/** What the transport needs of the thread it runs in. */
export interface TransportHost {
  /** Throws the thread's exit sentinel once the process is ending (called after every wait slice). */
  checkAlive(): void;
  /** Is the fd (its fd-table entry `base`) non-blocking? Read only when a call would wait. */
  nonblocking(base: number): boolean;
  /** Writes to a host socket fd from this thread (Node: the owner lets threads write when nothing is queued). */
  directWrite?: ((fd: number, data: Uint8Array) => number) | undefined;
}

/** Readiness of one direction of a socket, as poll and epoll report it. */
export interface Readiness {
  nbytes: number;
  hangup: boolean;
  ready: boolean;
}

/**
 * A socket's data path over its rings in NetState, in the calling thread: stream send/recv (straight into
 * the peer's RX ring for an in-process pair, else the TX ring the owner of host sockets drains), datagram
 * frames, the accept queue, and readiness. Blocking calls wait on the socket's SEQ word in slices, honour
 * SO_RCVTIMEO/SO_SNDTIMEO/accept timeouts, and throw WasiError (EAGAIN, EPIPE, ...). Needs no Kernel:
 * `base` is only handed back to host.nonblocking.
 */
export class RingTransport {
  private readonly i32: Int32Array;
  private readonly frame = new Uint8Array(DGRAM_HEADER);
  private readonly frameDv = new DataView(this.frame.buffer);

  constructor(readonly net: NetState, private readonly host: TransportHost) {
    this.i32 = net.i32;
  }

  state(o: number): number {
    return Atomics.load(this.i32, this.net.s(o, Sock.STATE));
  }

  kind(o: number): number {
    return this.i32[this.net.s(o, Sock.TYPE)]!;
  }

  /** Takes the pending asynchronous error of o (0 when none). */
  takeError(o: number): number {
    return Atomics.exchange(this.i32, this.net.s(o, Sock.ERROR), 0);
  }

  /** Waits for a change of o after seq, until the deadline (one slice at most); false when it passed. */
  waitChange(o: number, seq: number, deadline: number): boolean {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    // No spinning first: on a machine with few cores the spinner takes the CPU its peer needs to answer
    // (measured: a 1 KB round trip got 2-10x slower with 20k-100k checks before parking).
    this.net.waitSeq(o, seq, Math.min(left, WAIT_SLICE_MS));
    this.host.checkAlive();
    return true;
  }

  /** Deadline for a blocking wait under a timeout option (SockOption.*_TIMEOUT); Infinity when none. */
  deadlineOf(o: number, opt: number): number {
    const ms = this.i32[optionWord(this.net, o, opt)]!;
    return ms > 0 ? performance.now() + ms : Infinity;
  }

  // ---- streams ---------------------------------------------------------------------------------------

  sendStream(o: number, base: number, data: Uint8Array, dontWait: boolean): number {
    const net = this.net, i32 = this.i32, directWrite = this.host.directWrite;
    let done = 0;
    const deadline = this.deadlineOf(o, SockOption.SEND_TIMEOUT);
    while (done < data.length) {
      const err = this.takeError(o);
      if (err) {
        if (done > 0) return done;
        throw new WasiError(err);
      }
      const st = this.state(o);
      if (st !== SockState.CONNECTED) throw new WasiError(st === SockState.FAILED ? Errno.PIPE : Errno.NOTCONN);
      if (i32[net.s(o, Sock.FLAGS)]! & (SockFlag.TX_SHUT | SockFlag.PEER_GONE)) {
        if (done > 0) return done;
        throw new WasiError(Errno.PIPE);
      }
      // In-process peer: straight into its RX ring (its readers bump its SEQ as they consume);
      // otherwise into our TX ring for the owner.
      const peer = net.linkOf(o);
      const ro = peer >= 0 ? peer : o, rr = peer >= 0 ? 0 : 1;
      const tailWord = net.s(ro, rr === 0 ? Sock.RX_TAIL : Sock.TX_TAIL);
      const seq = Atomics.load(i32, net.s(ro, Sock.SEQ));
      net.lockSock(o);
      if (peer < 0 && directWrite && Atomics.load(i32, net.s(o, Sock.DIRECT)) === 1 && net.used(o, 1) === 0) {
        // Nothing queued anywhere: write to the host socket from this thread (no owner hop).
        let wrote: number;
        try {
          wrote = directWrite(i32[net.s(o, Sock.HOST_FD)]! - 1, data.subarray(done));
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
        if (peer < 0) Atomics.store(i32, net.s(o, Sock.DIRECT), 0);
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
      if (this.host.nonblocking(base) || dontWait) {
        if (done > 0) return done;
        throw new WasiError(Errno.AGAIN);
      }
      if (!this.waitChange(ro, seq, deadline)) {
        if (done > 0) return done;
        throw new WasiError(Errno.AGAIN);
      }
    }
    return done;
  }

  recvStream(o: number, base: number, iovs: Uint8Array[], flags: number): number {
    const net = this.net, i32 = this.i32;
    const want = iovBytes(iovs);
    if (want === 0) return 0;
    const deadline = this.deadlineOf(o, SockOption.RECV_TIMEOUT);
    let got = 0;
    for (;;) {
      const seq = Atomics.load(i32, net.s(o, Sock.SEQ));
      // The flags are read before the ring: a peer that writes its last bytes and then sets RX_EOF between
      // our empty-ring check and a later flag read would otherwise lose those bytes (EOF reported early).
      const fl = Atomics.load(i32, net.s(o, Sock.FLAGS));
      net.lockSock(o);
      const head = i32[net.s(o, Sock.RX_HEAD)]! >>> 0;
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
        if (!(flags & RiFlags.PEEK)) Atomics.store(i32, net.s(o, Sock.RX_HEAD), (head + n) | 0);
      }
      net.unlockSock(o);
      if (n > 0) {
        if (!(flags & RiFlags.PEEK)) {
          if (net.linkOf(o) >= 0) net.changed(o); // a writer blocked on our full ring
          else if (i32[net.s(o, Sock.FLAGS)]! & SockFlag.PAUSED) net.want(o, Want.RX);
        }
        got += n;
        if (got >= want || !(flags & RiFlags.WAITALL) || flags & RiFlags.PEEK) return got;
        continue;
      }
      if (fl & (SockFlag.RX_EOF | SockFlag.RX_SHUT)) {
        if (got > 0) return got;
        const err = this.takeError(o);
        if (err) throw new WasiError(err);
        return 0;
      }
      const err = this.takeError(o);
      if (err) {
        if (got > 0) return got;
        throw new WasiError(err);
      }
      const st = this.state(o);
      if (st !== SockState.CONNECTED && st !== SockState.CONNECTING) {
        if (got > 0) return got;
        throw new WasiError(st === SockState.CLOSED || st === SockState.FAILED ? Errno.CONNRESET : Errno.NOTCONN);
      }
      if (this.host.nonblocking(base) || flags & RiFlags.DONT_WAIT) {
        if (got > 0) return got;
        throw new WasiError(Errno.AGAIN);
      }
      if (!this.waitChange(o, seq, deadline)) {
        if (got > 0) return got;
        throw new WasiError(Errno.AGAIN);
      }
    }
  }

  // ---- datagrams: frames of DGRAM_HEADER (length, family, port, address) and the payload ---------------

  sendDgram(o: number, base: number, data: Uint8Array, to: SockAddr, dontWait: boolean): number {
    const net = this.net, i32 = this.i32, frame = this.frame, frameDv = this.frameDv;
    if (data.length + DGRAM_HEADER > NET_RING_BYTES) throw new WasiError(Errno.MSGSIZE);
    const deadline = this.deadlineOf(o, SockOption.SEND_TIMEOUT);
    for (;;) {
      const err = this.takeError(o);
      if (err) throw new WasiError(err);
      const seq = Atomics.load(i32, net.s(o, Sock.SEQ));
      net.lockSock(o);
      const tail = i32[net.s(o, Sock.TX_TAIL)]! >>> 0;
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
        Atomics.store(i32, net.s(o, Sock.TX_TAIL), (tail + DGRAM_HEADER + data.length) | 0);
      }
      net.unlockSock(o);
      if (fits) {
        net.want(o, Want.TX);
        return data.length;
      }
      if (this.host.nonblocking(base) || dontWait || !this.waitChange(o, seq, deadline)) throw new WasiError(Errno.AGAIN);
    }
  }

  recvDgram(o: number, base: number, iovs: Uint8Array[], flags: number): { n: number; from: SockAddr; trunc: boolean } {
    const net = this.net, i32 = this.i32, frame = this.frame, frameDv = this.frameDv;
    const deadline = this.deadlineOf(o, SockOption.RECV_TIMEOUT);
    for (;;) {
      const seq = Atomics.load(i32, net.s(o, Sock.SEQ));
      net.lockSock(o);
      if (net.used(o, 0) >= DGRAM_HEADER) {
        const head = i32[net.s(o, Sock.RX_HEAD)]! >>> 0;
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
        if (!(flags & RiFlags.PEEK)) Atomics.store(i32, net.s(o, Sock.RX_HEAD), (head + DGRAM_HEADER + len) | 0);
        net.unlockSock(o);
        return { n, from, trunc: n < len };
      }
      net.unlockSock(o);
      const err = this.takeError(o);
      if (err) throw new WasiError(err);
      if (this.host.nonblocking(base) || flags & RiFlags.DONT_WAIT || !this.waitChange(o, seq, deadline)) {
        throw new WasiError(Errno.AGAIN);
      }
    }
  }

  // ---- the accept queue -------------------------------------------------------------------------------

  /** The socket object of the next connection queued on the listener o (waits unless non-blocking). */
  takeAccepted(o: number, base: number): number {
    const net = this.net, i32 = this.i32;
    const deadline = this.deadlineOf(o, SockOption.ACCEPT_TIMEOUT);
    for (;;) {
      const seq = Atomics.load(i32, net.s(o, Sock.SEQ));
      net.lockSock(o);
      const head = i32[net.s(o, Sock.ACC_HEAD)]!;
      let c = -1;
      if (head !== Atomics.load(i32, net.s(o, Sock.ACC_TAIL))) {
        c = i32[net.s(o, Sock.ACC_Q + (head >>> 0) % ACC_SLOTS)]!;
        Atomics.store(i32, net.s(o, Sock.ACC_HEAD), (head + 1) | 0);
      }
      net.unlockSock(o);
      if (c >= 0) {
        net.want(o, Want.ACCEPT);
        return c;
      }
      const err = this.takeError(o);
      if (err) throw new WasiError(err);
      if (this.host.nonblocking(base) || !this.waitChange(o, seq, deadline)) throw new WasiError(Errno.AGAIN);
    }
  }

  // ---- readiness --------------------------------------------------------------------------------------

  readReady(o: number): Readiness {
    const net = this.net, i32 = this.i32;
    const st = this.state(o);
    const fl = Atomics.load(i32, net.s(o, Sock.FLAGS));
    if (st === SockState.LISTENING) {
      const q = (Atomics.load(i32, net.s(o, Sock.ACC_TAIL)) - Atomics.load(i32, net.s(o, Sock.ACC_HEAD))) >>> 0;
      return { nbytes: q, hangup: false, ready: q > 0 };
    }
    const nbytes = net.used(o, 0);
    const hangup = (fl & (SockFlag.RX_EOF | SockFlag.RX_SHUT)) !== 0 || st === SockState.FAILED || st === SockState.CLOSED;
    const err = Atomics.load(i32, net.s(o, Sock.ERROR)) !== 0;
    return { nbytes, hangup, ready: nbytes > 0 || hangup || err };
  }

  writeReady(o: number): Readiness {
    const net = this.net, i32 = this.i32;
    const st = this.state(o);
    const err = Atomics.load(i32, net.s(o, Sock.ERROR)) !== 0;
    if (st === SockState.FAILED || st === SockState.CLOSED || err) return { nbytes: 0, hangup: true, ready: true };
    if (this.kind(o) === SockKind.DGRAM) {
      const free = NET_RING_BYTES - net.used(o, 1);
      return { nbytes: free, hangup: false, ready: free > DGRAM_HEADER };
    }
    if (st !== SockState.CONNECTED) return { nbytes: 0, hangup: false, ready: false };
    const peer = net.linkOf(o);
    const free = NET_RING_BYTES - (peer >= 0 ? net.used(peer, 0) : net.used(o, 1));
    const shut = (Atomics.load(i32, net.s(o, Sock.FLAGS)) & (SockFlag.TX_SHUT | SockFlag.PEER_GONE)) !== 0;
    return { nbytes: free, hangup: shut, ready: free > 0 || shut };
  }
}
