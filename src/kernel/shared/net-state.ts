import { spinLock, spinUnlock } from './lock.js';

/**
 * Process-wide network state in one SharedArrayBuffer (WASIX modules): the socket objects with their
 * ring buffers, the epoll interest lists, the doorbell of the network owner and the readiness
 * generation every poll/epoll waits on. Word indices are Int32Array indices.
 *
 * Data moves without a round trip: a guest thread writes to a socket's TX ring and reads its RX ring
 * directly; the network owner (an event loop: the coordinator on Node) is the only other party. Each
 * ring has one producer side and one consumer side (guests serialise among themselves with the
 * object lock), so the owner never takes a lock: it publishes with Atomics.store of TAIL/HEAD.
 */
export const NetHeader = {
  /** Allocation lock of the socket and epoll tables. */
  LOCK: 0,
  /** Set (and notified) by a guest that queued work for the owner (Sock.WANT bits). */
  DOORBELL: 1,
  /** Bumped on every readiness change of any pollable object; poll/epoll_wait wait on it. */
  READY_GEN: 2,
  /** Threads currently waiting on READY_GEN (so a bump notifies only when someone waits). */
  READY_WAITERS: 3,
  /** Set by the coordinator when the process ends: the owner stops serving. */
  STOPPED: 4,
  /** Next port for in-process sockets (ephemeral client ports, port 0 binds without a host). */
  NEXT_PORT: 5,
  HEADER_WORDS: 16,
} as const;

/** Atomics.waitAsync (ES2024; in Node since 16, Chromium since 87), typed here because the project's lib is older. */
interface AtomicsWithWaitAsync {
  waitAsync(i32: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** Words of one socket object. */
export const Sock = {
  /** SockKind (0 = free). */
  TYPE: 0,
  LOCK: 1,
  /** Bumped (and notified) on every state change; blocked guests wait on it. */
  SEQ: 2,
  STATE: 3,
  /** AddressFamily of the socket. */
  FAMILY: 4,
  /** Pending asynchronous error (errno), reported once by the next call or SO_ERROR. */
  ERROR: 5,
  /** SockFlag bits. */
  FLAGS: 6,
  /** Want bits: work a guest queued for the owner. */
  WANT: 7,
  RX_HEAD: 8,
  RX_TAIL: 9,
  TX_HEAD: 10,
  TX_TAIL: 11,
  /** Local address: family, port, 16 address bytes (4 words). */
  LOCAL: 12,
  /** Peer address, same shape. */
  PEER: 18,
  /** Options, indexed by SockOption value: OPTS + option. */
  OPTS: 24,
  ACC_HEAD: 56,
  ACC_TAIL: 57,
  /** Accept queue: ACC_SLOTS socket indices. */
  ACC_Q: 58,
  /** In-process loopback: peer object + 1 (0 = not linked; data goes straight into the peer's RX ring). */
  LINK: 90,
  /** Linked pairs: references left to the pair (kept in the lower object; both freed at 0). */
  PAIR_REFS: 91,
  /** Host socket fd + 1, when the host lets threads write to it directly (Node: the TCP handle's fd). */
  HOST_FD: 92,
  /**
   * 1 while nothing is queued on the host side (TX ring empty, host write queue empty): a sender may
   * then write to HOST_FD itself instead of going through the ring and the owner. Senders clear it
   * (under the socket lock) when they append to the ring; the owner clears it before each host write
   * and sets it when its queue drained.
   */
  DIRECT: 93,
  /** Threads parked on SEQ (so a change notifies only when someone waits; Atomics.notify is not free). */
  SEQ_WAITERS: 94,
  /** Bumped by the owner when it has released the object (kept across reuse, unlike the rest). */
  CLOSED_GEN: 95,
  WORDS: 96,
} as const;
export const ACC_SLOTS = 32;

export const SockKind = { FREE: 0, STREAM: 1, DGRAM: 2 } as const;

export const SockState = {
  NEW: 0, BOUND: 1, LISTENING: 2, CONNECTING: 3, CONNECTED: 4, CLOSED: 5, FAILED: 6,
} as const;

export const SockFlag = {
  /** The peer finished sending (every received byte is in the RX ring). */
  RX_EOF: 1,
  /** shutdown(SHUT_WR) or close: nothing more may be sent. */
  TX_SHUT: 2,
  /** shutdown(SHUT_RD). */
  RX_SHUT: 4,
  /** The owner holds a host socket for it. */
  HOSTED: 8,
  /** The owner paused its host socket because the RX ring was full: a reader must ring Want.RX. */
  PAUSED: 16,
  /** Linked socket whose peer closed: sending fails with EPIPE. */
  PEER_GONE: 32,
} as const;

export const Want = {
  /** TX ring has data (or datagrams) to send. */
  TX: 1,
  /** RX ring space was freed (the owner may resume a paused host socket). */
  RX: 2,
  /** shutdown(SHUT_WR) once TX is drained. */
  SHUT_WR: 4,
  /** The last fd closed: release everything and free the object. */
  CLOSE: 8,
  /** Options the host socket applies (no-delay, keep-alive) changed. */
  OPTS: 16,
  /** The accept queue has room again. */
  ACCEPT: 32,
} as const;

export const MAX_SOCKETS = 64;
/** Bytes per ring (one RX and one TX ring per socket). */
export const NET_RING_BYTES = 128 * 1024;

/** Epoll interest lists: MAX_EPOLLS lists of EPOLL_ENTRIES entries. */
const MAX_EPOLLS = 32;
export const EPOLL_ENTRIES = 256;
export const EpollEntry = {
  /** fd + 1 (0 = free entry). */
  FD: 0,
  EVENTS: 1,
  PTR: 2,
  DATA_FD: 3,
  DATA1: 4,
  DATA2_LO: 5,
  DATA2_HI: 6,
  /** Edge-triggered: readiness signature last reported. */
  LAST: 7,
  WORDS: 8,
} as const;
/** Per epoll list: in-use word and lock, then the entries. */
const EPOLL_HEADER = 4;
const EPOLL_WORDS = EPOLL_HEADER + EPOLL_ENTRIES * EpollEntry.WORDS;

/** UDP datagrams in a ring: a frame header (length, family, port, 16 address bytes), then the data. */
export const DGRAM_HEADER = 24;

const SOCK_BASE = NetHeader.HEADER_WORDS;
const EPOLL_BASE = SOCK_BASE + MAX_SOCKETS * Sock.WORDS;
const WORDS_TOTAL = EPOLL_BASE + MAX_EPOLLS * EPOLL_WORDS;
const RING_AT = WORDS_TOTAL * 4;
const TOTAL_BYTES = RING_AT + MAX_SOCKETS * 2 * NET_RING_BYTES;

export interface SockAddr {
  family: number;
  port: number;
  /** 4 (INET4) or 16 (INET6) bytes, network order. */
  ip: Uint8Array;
}

export class NetState {
  readonly i32: Int32Array;
  readonly u8: Uint8Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    this.u8 = new Uint8Array(sab);
  }

  static create(): NetState {
    const st = new NetState(new SharedArrayBuffer(TOTAL_BYTES));
    st.i32[NetHeader.NEXT_PORT] = 49152;
    return st;
  }

  /** A port for an in-process socket (the dynamic range, wrapping). */
  nextPort(): number {
    return 49152 + ((Atomics.add(this.i32, NetHeader.NEXT_PORT, 1) - 49152) & 0x3fff);
  }

  /**
   * Takes socket o's lock from a side that must never park (the owner on an event loop): spins. Guests
   * hold it only for a few copies.
   */
  lockSockSpin(o: number): void {
    const at = this.s(o, Sock.LOCK);
    while (Atomics.compareExchange(this.i32, at, 0, 1) !== 0);
  }

  /** Word index of socket o's field. */
  s(o: number, field: number): number {
    return SOCK_BASE + o * Sock.WORDS + field;
  }

  /** Byte offset of socket o's RX (r = 0) or TX (r = 1) ring. */
  ring(o: number, r: number): number {
    return RING_AT + (o * 2 + r) * NET_RING_BYTES;
  }

  lockSock(o: number): void {
    spinLock(this.i32, this.s(o, Sock.LOCK));
  }
  unlockSock(o: number): void {
    spinUnlock(this.i32, this.s(o, Sock.LOCK));
  }

  /**
   * Claims a free socket object; -1 when the table is full. The owner (an event loop that must not
   * park) may call this too: the lock is only ever held for this short scan.
   */
  alloc(kind: number, family: number): number {
    const i = this.i32;
    while (Atomics.compareExchange(i, NetHeader.LOCK, 0, 1) !== 0);
    try {
      for (let o = 0; o < MAX_SOCKETS; o++) {
        const b = this.s(o, 0);
        if (i[b + Sock.TYPE] !== SockKind.FREE) continue;
        const seq = i[b + Sock.SEQ]!;
        for (let w = 1; w < Sock.CLOSED_GEN; w++) i[b + w] = 0;
        i[b + Sock.SEQ] = seq + 1;
        i[b + Sock.FAMILY] = family;
        Atomics.store(i, b + Sock.TYPE, kind);
        return o;
      }
      return -1;
    } finally {
      Atomics.store(i, NetHeader.LOCK, 0);
    }
  }

  free(o: number): void {
    Atomics.store(this.i32, this.s(o, Sock.TYPE), SockKind.FREE);
  }

  /** Linked (in-process) peer of o, or -1. */
  linkOf(o: number): number {
    return Atomics.load(this.i32, this.s(o, Sock.LINK)) - 1;
  }

  /**
   * The owner's last step for a socket whose host side it has torn down: closed, freed, and a guest
   * close waiting for CLOSED_GEN to move (see release below) is woken.
   */
  retire(o: number): void {
    Atomics.store(this.i32, this.s(o, Sock.STATE), SockState.CLOSED);
    this.free(o);
    Atomics.add(this.i32, this.s(o, Sock.CLOSED_GEN), 1);
    Atomics.notify(this.i32, this.s(o, Sock.CLOSED_GEN));
    this.changed(o);
  }

  /**
   * Drops o's end of an in-process pair: the peer sees end of file and EPIPE on send; the pair's objects
   * are freed when both ends are gone.
   */
  closeLinked(o: number): void {
    const p = this.linkOf(o);
    Atomics.store(this.i32, this.s(o, Sock.STATE), SockState.CLOSED);
    Atomics.or(this.i32, this.s(p, Sock.FLAGS), SockFlag.RX_EOF | SockFlag.PEER_GONE);
    this.changed(p);
    const low = Math.min(o, p);
    if (Atomics.sub(this.i32, this.s(low, Sock.PAIR_REFS), 1) === 1) {
      this.free(o);
      this.free(p);
    }
  }

  /**
   * Drops socket o (its open description's last hold is gone; any process of the tree, or the coordinator
   * closing the fds of a process that ended). Linked pairs and sockets no owner ever touched (no host
   * network) are freed here; otherwise the owner is asked to release the host side. Returns true when the
   * owner holds a host socket (a guest close then waits for CLOSED_GEN to move, as on Linux).
   */
  release(o: number, netHost: boolean): boolean {
    const i32 = this.i32;
    if (this.linkOf(o) >= 0) {
      this.closeLinked(o);
      return false;
    }
    const st = Atomics.load(i32, this.s(o, Sock.STATE));
    const hosted = (Atomics.load(i32, this.s(o, Sock.FLAGS)) & SockFlag.HOSTED) !== 0;
    if (!netHost && !hosted && st !== SockState.CONNECTING) {
      // No owner (browser): nothing else holds the object; connections never accepted go with it.
      if (st === SockState.LISTENING) {
        for (let hd = i32[this.s(o, Sock.ACC_HEAD)]! >>> 0; hd !== i32[this.s(o, Sock.ACC_TAIL)]! >>> 0; hd = (hd + 1) >>> 0) {
          this.closeLinked(i32[this.s(o, Sock.ACC_Q + hd % ACC_SLOTS)]!);
        }
      }
      Atomics.store(i32, this.s(o, Sock.STATE), SockState.CLOSED);
      this.free(o);
      this.changed(o);
      return false;
    }
    Atomics.or(i32, this.s(o, Sock.FLAGS), SockFlag.TX_SHUT | SockFlag.RX_SHUT);
    this.want(o, Want.CLOSE);
    return hosted;
  }

  /** Wakes guests blocked on socket o and every poll/epoll waiter. */
  changed(o: number): void {
    const at = this.s(o, Sock.SEQ);
    Atomics.add(this.i32, at, 1);
    // Seq-cst order: a waiter counts itself before it compares SEQ, so either we see it or it sees the
    // new SEQ. !== 0 rather than > 0: a count reset by alloc() under a late waiter only costs notifies.
    if (Atomics.load(this.i32, at + (Sock.SEQ_WAITERS - Sock.SEQ)) !== 0) Atomics.notify(this.i32, at);
    this.bumpReady();
  }

  /** Parks on o's SEQ while it still equals seq (at most ms), counted in SEQ_WAITERS for changed(). */
  waitSeq(o: number, seq: number, ms: number): void {
    const cnt = this.s(o, Sock.SEQ_WAITERS);
    Atomics.add(this.i32, cnt, 1);
    try {
      Atomics.wait(this.i32, this.s(o, Sock.SEQ), seq, ms);
    } finally {
      Atomics.sub(this.i32, cnt, 1);
    }
  }

  bumpReady(): void {
    Atomics.add(this.i32, NetHeader.READY_GEN, 1);
    if (Atomics.load(this.i32, NetHeader.READY_WAITERS) > 0) Atomics.notify(this.i32, NetHeader.READY_GEN);
  }

  readyGen(): number {
    return Atomics.load(this.i32, NetHeader.READY_GEN);
  }

  /** Waits (at most ms) until the readiness generation moves past gen. */
  waitReady(gen: number, ms: number): void {
    Atomics.add(this.i32, NetHeader.READY_WAITERS, 1);
    try {
      Atomics.wait(this.i32, NetHeader.READY_GEN, gen, ms);
    } finally {
      Atomics.sub(this.i32, NetHeader.READY_WAITERS, 1);
    }
  }

  /** Queues work for the owner and rings its doorbell (one notify per batch). */
  want(o: number, bits: number): void {
    Atomics.or(this.i32, this.s(o, Sock.WANT), bits);
    if (Atomics.exchange(this.i32, NetHeader.DOORBELL, 1) === 0) Atomics.notify(this.i32, NetHeader.DOORBELL);
  }

  /**
   * The owner's side of the doorbell: clears it, then hands every socket's queued Want bits to `serve`
   * (taken with an exchange, so each request is served once; one rung meanwhile rings again).
   */
  takeWants(serve: (o: number, bits: number) => void): void {
    Atomics.store(this.i32, NetHeader.DOORBELL, 0);
    for (let o = 0; o < MAX_SOCKETS; o++) {
      if (Atomics.load(this.i32, this.s(o, Sock.WANT)) === 0) continue;
      serve(o, Atomics.exchange(this.i32, this.s(o, Sock.WANT), 0));
    }
  }

  /**
   * Calls `ring` once the doorbell rings, without blocking (Atomics.waitAsync, for an owner on an event
   * loop); when it has rung already, `soon` schedules the call.
   */
  onDoorbell(ring: () => void, soon: (f: () => void) => void): void {
    const r = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(this.i32, NetHeader.DOORBELL, 0);
    if (r.async) void r.value.then(ring);
    else soon(ring);
  }

  setAddr(o: number, field: number, a: SockAddr): void {
    const b = this.s(o, field);
    this.i32[b] = a.family;
    this.i32[b + 1] = a.port;
    const at = (b + 2) * 4, ip = a.ip, n = Math.min(ip.length, 16);
    // (byte by byte: a subarray per call was an allocation per accepted connection on the owner)
    for (let i = 0; i < n; i++) this.u8[at + i] = ip[i]!;
    this.u8.fill(0, at + n, at + 16);
  }

  getAddr(o: number, field: number): SockAddr {
    const b = this.s(o, field);
    const family = this.i32[b]!;
    const len = family === 2 ? 16 : 4;
    return { family, port: this.i32[b + 1]!, ip: this.u8.slice((b + 2) * 4, (b + 2) * 4 + len) };
  }

  /** Bytes readable in ring r of o. */
  used(o: number, r: number): number {
    const h = r === 0 ? Sock.RX_HEAD : Sock.TX_HEAD;
    return (Atomics.load(this.i32, this.s(o, h + 1)) - Atomics.load(this.i32, this.s(o, h))) >>> 0;
  }

  /** Copies n bytes out of ring r starting at logical position pos into dst (no head update). */
  copyOut(o: number, r: number, pos: number, dst: Uint8Array, dstAt: number, n: number): void {
    const ring = this.ring(o, r);
    let done = 0;
    while (done < n) {
      const p = (pos + done) % NET_RING_BYTES;
      const chunk = Math.min(n - done, NET_RING_BYTES - p);
      dst.set(this.u8.subarray(ring + p, ring + p + chunk), dstAt + done);
      done += chunk;
    }
  }

  /** Copies src into ring r at logical position pos (no tail update). */
  copyIn(o: number, r: number, pos: number, src: Uint8Array): void {
    const ring = this.ring(o, r);
    let done = 0;
    while (done < src.length) {
      const p = (pos + done) % NET_RING_BYTES;
      const chunk = Math.min(src.length - done, NET_RING_BYTES - p);
      this.u8.set(src.subarray(done, done + chunk), ring + p);
      done += chunk;
    }
  }

  /** Word index of epoll list e's field (e >= 0), or of entry n's field. */
  ep(e: number, field: number): number {
    return EPOLL_BASE + e * EPOLL_WORDS + field;
  }
  epEntry(e: number, n: number, field: number): number {
    return EPOLL_BASE + e * EPOLL_WORDS + EPOLL_HEADER + n * EpollEntry.WORDS + field;
  }
  static readonly EP_USED = 0;
  static readonly EP_LOCK = 1;

  allocEpoll(): number {
    const i = this.i32;
    while (Atomics.compareExchange(i, NetHeader.LOCK, 0, 1) !== 0);
    try {
      for (let e = 0; e < MAX_EPOLLS; e++) {
        if (i[this.ep(e, NetState.EP_USED)] !== 0) continue;
        const b = this.ep(e, 0);
        i.fill(0, b, b + EPOLL_WORDS);
        Atomics.store(i, b + NetState.EP_USED, 1);
        return e;
      }
      return -1;
    } finally {
      Atomics.store(i, NetHeader.LOCK, 0);
    }
  }

  freeEpoll(e: number): void {
    Atomics.store(this.i32, this.ep(e, NetState.EP_USED), 0);
  }
}
