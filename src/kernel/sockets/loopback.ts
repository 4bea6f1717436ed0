import { Errno, WasiError } from '../../abi/errno.js';
import { AddressFamily } from '../../abi/net.js';
import { ipString, isAny, isLoopback } from '../net-addr.js';
import { ACC_SLOTS, MAX_SOCKETS, type NetState, Sock, SockKind, SockState, type SockAddr } from '../shared/net-state.js';
import { backlogWord } from './options.js';

/**
 * Connections inside one process tree, with no host socket and no owner: the two ends of a linked pair
 * write straight into each other's RX rings (a round trip is two futex wake-ups). socketpair() makes one,
 * and so does connect() to a listener of the tree; without a host network (browsers) bind() hands out
 * the process's own ports.
 */

/** Links a and b as the two ends of one connection (both must be fresh stream sockets). */
export function linkPair(net: NetState, a: number, b: number): void {
  const i32 = net.i32;
  i32[net.s(Math.min(a, b), Sock.PAIR_REFS)] = 2;
  Atomics.store(i32, net.s(a, Sock.LINK), b + 1);
  Atomics.store(i32, net.s(b, Sock.LINK), a + 1);
}

/** Same port and overlapping address (equal, or either one the wildcard)? */
function clash(x: SockAddr, y: SockAddr): boolean {
  return x.family === y.family && x.port === y.port && (isAny(x) || isAny(y) || ipString(x) === ipString(y));
}

/** bind without a host network (browser): ports are the process's own. */
export function bindLocal(net: NetState, o: number, a: SockAddr): void {
  const i32 = net.i32;
  const state = (j: number): number => Atomics.load(i32, net.s(j, Sock.STATE));
  if (i32[net.s(o, Sock.TYPE)] !== SockKind.STREAM) throw new WasiError(Errno.NOTSUP);
  if (!isLoopback(a) && !isAny(a)) throw new WasiError(Errno.ADDRNOTAVAIL);
  const taken = (p: number): boolean => {
    for (let j = 0; j < MAX_SOCKETS; j++) {
      if (j === o || i32[net.s(j, Sock.TYPE)] !== SockKind.STREAM) continue;
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
  Atomics.store(i32, net.s(o, Sock.STATE), SockState.BOUND);
}

/** A listening socket of this process tree that a connect to a lands on (loopback only); -1 if none. */
export function localListener(net: NetState, a: SockAddr): number {
  const i32 = net.i32;
  for (let j = 0; j < MAX_SOCKETS; j++) {
    if (i32[net.s(j, Sock.TYPE)] !== SockKind.STREAM || Atomics.load(i32, net.s(j, Sock.STATE)) !== SockState.LISTENING) continue;
    const l = net.getAddr(j, Sock.LOCAL);
    if (l.family !== a.family || l.port !== a.port) continue;
    if (isAny(l) ? isLoopback(a) || isAny(a) : ipString(l) === ipString(a) && isLoopback(a)) return j;
  }
  return -1;
}

/**
 * connect() of o to the listener lst of this same process tree: a new socket linked to o goes into lst's
 * accept queue. Returns 0, or an errno (ENFILE, ECONNREFUSED when the backlog is full).
 */
export function connectLocal(net: NetState, o: number, lst: number, a: SockAddr): number {
  const i32 = net.i32;
  const w = (x: number, f: number): number => net.s(x, f);
  const fam = i32[w(o, Sock.FAMILY)]!;
  const s = net.alloc(SockKind.STREAM, fam);
  if (s < 0) return Errno.NFILE;
  const ip = a.family === AddressFamily.INET6 ? Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) : Uint8Array.of(127, 0, 0, 1);
  const bound = Atomics.load(i32, w(o, Sock.STATE)) === SockState.BOUND;
  const mine: SockAddr = bound ? net.getAddr(o, Sock.LOCAL) : { family: fam, port: net.nextPort(), ip };
  net.setAddr(o, Sock.LOCAL, mine);
  net.setAddr(o, Sock.PEER, a);
  net.setAddr(s, Sock.LOCAL, a);
  net.setAddr(s, Sock.PEER, mine);
  linkPair(net, s, o);
  Atomics.store(i32, w(s, Sock.STATE), SockState.CONNECTED);
  const room = Math.max(1, Math.min(i32[backlogWord(net, lst)]! || ACC_SLOTS, ACC_SLOTS));
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
