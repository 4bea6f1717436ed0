// The socket data path (kernel/sockets/ring-transport.ts) on its own: a NetState, two linked sockets or a
// listener, and a fake thread host -- no Kernel, no Worker, no host socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetState, Sock, SockFlag, SockKind, SockState, NET_RING_BYTES } from '../dist/kernel/shared/net-state.js';
import { RingTransport } from '../dist/kernel/sockets/ring-transport.js';
import { connectLocal, linkPair } from '../dist/kernel/sockets/loopback.js';
import { optionWord } from '../dist/kernel/sockets/options.js';
import { Errno } from '../dist/abi/errno.js';
import { AddressFamily, SockOption } from '../dist/abi/net.js';

const NONBLOCK = 1, BLOCK = 0;
/** A thread host whose fd "base" is the non-blocking flag itself; counts liveness checks. */
function host() {
  const h = { alive: 0, checkAlive: () => { h.alive++; }, nonblocking: (base) => base === NONBLOCK };
  return h;
}

function pair() {
  const net = NetState.create();
  const a = net.alloc(SockKind.STREAM, AddressFamily.INET4), b = net.alloc(SockKind.STREAM, AddressFamily.INET4);
  linkPair(net, a, b);
  for (const o of [a, b]) Atomics.store(net.i32, net.s(o, Sock.STATE), SockState.CONNECTED);
  const h = host();
  return { net, a, b, h, t: new RingTransport(net, h) };
}

const bytes = (s) => new TextEncoder().encode(s);
const errnoOf = (fn) => {
  try {
    fn();
  } catch (e) {
    return e.errno;
  }
  return 0;
};

test('a linked pair: bytes written on one end are read on the other; readiness follows', () => {
  const { a, b, t } = pair();
  assert.deepEqual(t.readReady(b), { nbytes: 0, hangup: false, ready: false });
  assert.equal(t.writeReady(a).ready, true);
  assert.equal(t.sendStream(a, BLOCK, bytes('hello, ring'), false), 11);
  assert.deepEqual(t.readReady(b), { nbytes: 11, hangup: false, ready: true });
  const x = new Uint8Array(5), y = new Uint8Array(20);
  assert.equal(t.recvStream(b, BLOCK, [x, y], 0), 11);
  assert.equal(new TextDecoder().decode(x) + new TextDecoder().decode(y.subarray(0, 6)), 'hello, ring');
  assert.equal(t.readReady(b).ready, false);
});

test('an empty ring: a non-blocking read says EAGAIN; a blocking one waits out SO_RCVTIMEO, checking liveness', () => {
  const { net, b, h, t } = pair();
  assert.equal(errnoOf(() => t.recvStream(b, NONBLOCK, [new Uint8Array(4)], 0)), Errno.AGAIN);
  net.i32[optionWord(net, b, SockOption.RECV_TIMEOUT)] = 30;
  const t0 = performance.now();
  assert.equal(errnoOf(() => t.recvStream(b, BLOCK, [new Uint8Array(4)], 0)), Errno.AGAIN);
  assert.ok(performance.now() - t0 >= 25, 'returned before the timeout');
  assert.ok(h.alive >= 1, 'never checked that the process is alive');
});

test("a full peer ring: a send takes what fits, then EAGAIN; the reader's consumption makes room", () => {
  const { a, b, t } = pair();
  const big = new Uint8Array(NET_RING_BYTES + 100).fill(7);
  assert.equal(t.sendStream(a, NONBLOCK, big, false), NET_RING_BYTES);
  assert.equal(t.writeReady(a).ready, false);
  assert.equal(errnoOf(() => t.sendStream(a, NONBLOCK, big, false)), Errno.AGAIN);
  assert.equal(t.recvStream(b, BLOCK, [new Uint8Array(1000)], 0), 1000);
  assert.deepEqual(t.writeReady(a), { nbytes: 1000, hangup: false, ready: true });
});

test('end of stream: the reader gets what is left, then 0; a shut writer gets EPIPE', () => {
  const { net, a, b, t } = pair();
  t.sendStream(a, BLOCK, bytes('bye'), false);
  Atomics.or(net.i32, net.s(b, Sock.FLAGS), SockFlag.RX_EOF);
  Atomics.or(net.i32, net.s(a, Sock.FLAGS), SockFlag.TX_SHUT);
  assert.equal(t.readReady(b).hangup, true);
  const buf = new Uint8Array(8);
  assert.equal(t.recvStream(b, BLOCK, [buf], 0), 3);
  assert.equal(t.recvStream(b, BLOCK, [buf], 0), 0);
  assert.equal(errnoOf(() => t.sendStream(a, BLOCK, bytes('more'), false)), Errno.PIPE);
});

test("the owner's last bytes and end of file landing while a reader finds its ring empty: the bytes, then 0", () => {
  // A host socket's owner publishes the last bytes (RX_TAIL) and then RX_EOF. A reader that looks at the
  // ring, finds it empty, and only then reads the flags would report end of file with those bytes unread
  // (issue 20.3). The owner's publication is injected right after the reader's ring check.
  const net = NetState.create();
  const o = net.alloc(SockKind.STREAM, AddressFamily.INET4);
  Atomics.store(net.i32, net.s(o, Sock.STATE), SockState.CONNECTED);
  const t = new RingTransport(net, host());
  const used = net.used.bind(net);
  let injected = false;
  net.used = (so, r) => {
    const n = used(so, r);
    if (!injected && so === o && r === 0) {
      injected = true;
      const tail = net.i32[net.s(o, Sock.RX_TAIL)] >>> 0;
      net.copyIn(o, 0, tail, bytes('last'));
      Atomics.store(net.i32, net.s(o, Sock.RX_TAIL), tail + 4);
      Atomics.or(net.i32, net.s(o, Sock.FLAGS), SockFlag.RX_EOF);
      net.changed(o);
    }
    return n;
  };
  const buf = new Uint8Array(16);
  assert.equal(t.recvStream(o, BLOCK, [buf], 0), 4, 'end of file reported before the last bytes');
  assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), 'last');
  assert.equal(t.recvStream(o, BLOCK, [buf], 0), 0);
  assert.ok(injected);
});

test('a pending socket error is reported once, then the socket reads normally', () => {
  const { net, a, b, t } = pair();
  Atomics.store(net.i32, net.s(b, Sock.ERROR), Errno.CONNRESET);
  assert.equal(t.readReady(b).ready, true);
  assert.equal(errnoOf(() => t.recvStream(b, NONBLOCK, [new Uint8Array(4)], 0)), Errno.CONNRESET);
  t.sendStream(a, BLOCK, bytes('ok'), false);
  assert.equal(t.recvStream(b, NONBLOCK, [new Uint8Array(4)], 0), 2);
});

test('the accept queue: a loopback connect queues a linked socket the listener takes', () => {
  const net = NetState.create();
  const t = new RingTransport(net, host());
  const lst = net.alloc(SockKind.STREAM, AddressFamily.INET4);
  const addr = { family: AddressFamily.INET4, port: 5000, ip: Uint8Array.of(127, 0, 0, 1) };
  net.setAddr(lst, Sock.LOCAL, addr);
  Atomics.store(net.i32, net.s(lst, Sock.STATE), SockState.LISTENING);
  assert.equal(errnoOf(() => t.takeAccepted(lst, NONBLOCK)), Errno.AGAIN);
  const c = net.alloc(SockKind.STREAM, AddressFamily.INET4);
  assert.equal(connectLocal(net, c, lst, addr), 0);
  assert.deepEqual(t.readReady(lst), { nbytes: 1, hangup: false, ready: true });
  const s = t.takeAccepted(lst, BLOCK);
  assert.equal(t.state(s), SockState.CONNECTED);
  t.sendStream(c, BLOCK, bytes('ping'), false);
  const buf = new Uint8Array(4);
  assert.equal(t.recvStream(s, BLOCK, [buf], 0), 4);
  assert.equal(new TextDecoder().decode(buf), 'ping');
});
