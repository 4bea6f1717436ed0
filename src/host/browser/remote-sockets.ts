import { Errno } from '../../abi/errno.js';
import { ipString } from '../../kernel/net-addr.js';
import { MAX_SOCKETS, NET_RING_BYTES, NetHeader, NetState, Sock, SockFlag, SockState, Want } from '../../kernel/shared/net-state.js';
import type { NetOwner, NetOwnerFactory, NetReply, NetRequest } from '../../process/net-owner.js';

/** A byte stream to a remote peer, as a page's connect hook provides it (e.g. over a WebSocket relay). */
export interface RemoteStream {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/**
 * The page's connect hook: called for connect() to an address outside the page (host is the textual IP,
 * port the number); resolve to a stream, or reject to refuse (the program sees ECONNREFUSED).
 */
export type ConnectHook = (host: string, port: number) => Promise<RemoteStream>;

interface Remote {
  reader?: ReadableStreamDefaultReader<Uint8Array>;
  writer?: WritableStreamDefaultWriter<Uint8Array>;
  pending: Uint8Array[];
  ended: boolean;
  closed: boolean;
  /** Resolved when a reader freed RX space (Want.RX). */
  room?: (() => void) | undefined;
  writing: boolean;
  shut: boolean;
}

/**
 * The owner of remote sockets in a browser page: connects through the page's hook and moves bytes
 * between the hook's streams and the sockets' rings (the same shared state and doorbell as on Node).
 * bind/listen and connections between the page's own threads never come here (in-process loopback).
 */
export function browserNetOwner(hook: ConnectHook): NetOwnerFactory {
  return (st: NetState, log: (line: string) => void): NetOwner => {
    const i32 = st.i32;
    const remotes = new Array<Remote | undefined>(MAX_SOCKETS);
    let stopped = false;
    const w = (o: number, f: number): number => st.s(o, f);

    function flushRx(o: number, r: Remote): boolean {
      let moved = false;
      while (r.pending.length > 0) {
        const free = NET_RING_BYTES - st.used(o, 0);
        if (free === 0) break;
        const b = r.pending[0]!;
        const n = Math.min(free, b.length);
        const tail = i32[w(o, Sock.RX_TAIL)]! >>> 0;
        st.copyIn(o, 0, tail, b.subarray(0, n));
        Atomics.store(i32, w(o, Sock.RX_TAIL), (tail + n) | 0);
        moved = true;
        if (n === b.length) r.pending.shift();
        else r.pending[0] = b.subarray(n);
      }
      const done = r.pending.length === 0;
      if (done && r.ended) Atomics.or(i32, w(o, Sock.FLAGS), SockFlag.RX_EOF);
      if (moved || (done && r.ended)) st.changed(o);
      return done;
    }

    async function pump(o: number, r: Remote): Promise<void> {
      try {
        for (;;) {
          const { value, done } = await r.reader!.read();
          if (r.closed) return;
          if (done) break;
          if (!value?.length) continue;
          r.pending.push(value);
          while (!flushRx(o, r)) {
            Atomics.or(i32, w(o, Sock.FLAGS), SockFlag.PAUSED);
            if (flushRx(o, r)) break;
            await new Promise<void>((resolve) => (r.room = resolve));
            if (r.closed) return;
          }
          Atomics.and(i32, w(o, Sock.FLAGS), ~SockFlag.PAUSED);
        }
      } catch (e) {
        if (r.closed) return;
        Atomics.compareExchange(i32, w(o, Sock.ERROR), 0, Errno.CONNRESET);
        log(`weft: remote socket ${o}: ${String(e)}`);
      }
      r.ended = true;
      flushRx(o, r);
    }

    async function drainTx(o: number, r: Remote): Promise<void> {
      if (r.writing || !r.writer) return;
      r.writing = true;
      try {
        for (;;) {
          const n = st.used(o, 1);
          if (n === 0) break;
          const head = i32[w(o, Sock.TX_HEAD)]! >>> 0;
          const buf = new Uint8Array(n);
          st.copyOut(o, 1, head, buf, 0, n);
          Atomics.store(i32, w(o, Sock.TX_HEAD), (head + n) | 0);
          st.changed(o);
          await r.writer.write(buf);
          if (r.closed) return;
        }
        if (r.shut) await r.writer.close();
      } catch {
        if (!r.closed) {
          Atomics.compareExchange(i32, w(o, Sock.ERROR), 0, Errno.PIPE);
          st.changed(o);
        }
      } finally {
        r.writing = false;
      }
    }

    function connect(o: number): void {
      const r: Remote = { pending: [], ended: false, closed: false, writing: false, shut: false };
      remotes[o] = r;
      Atomics.or(i32, w(o, Sock.FLAGS), SockFlag.HOSTED);
      const peer = st.getAddr(o, Sock.PEER);
      hook(ipString(peer), peer.port).then((stream) => {
        if (r.closed) {
          void stream.readable.cancel().catch(() => {});
          void stream.writable.abort().catch(() => {});
          return;
        }
        r.reader = stream.readable.getReader();
        r.writer = stream.writable.getWriter();
        st.setAddr(o, Sock.LOCAL, { family: peer.family, port: st.nextPort(), ip: new Uint8Array(peer.ip.length) });
        Atomics.store(i32, w(o, Sock.STATE), SockState.CONNECTED);
        st.changed(o);
        void pump(o, r);
        void drainTx(o, r);
      }, (e) => {
        if (r.closed) return;
        log(`weft: connect hook refused ${ipString(peer)}:${peer.port}: ${String(e)}`);
        Atomics.compareExchange(i32, w(o, Sock.ERROR), 0, Errno.CONNREFUSED);
        Atomics.store(i32, w(o, Sock.STATE), SockState.FAILED);
        st.changed(o);
      });
    }

    function release(o: number): void {
      const r = remotes[o];
      remotes[o] = undefined;
      if (r) {
        r.closed = true;
        r.room?.();
        void r.reader?.cancel().catch(() => {});
        // Bytes already handed to the writer still go out; then the stream closes.
        void r.writer?.close().catch(() => {});
      }
      st.retire(o);
    }

    function serve(): void {
      if (stopped) return;
      st.takeWants(serveSocket);
      arm();
    }

    function serveSocket(o: number, bits: number): void {
      const r = remotes[o];
      if (!r) return; // in-process sockets: nothing for the owner to do
      if (bits & Want.CLOSE) {
        release(o);
        return;
      }
      if (bits & Want.SHUT_WR) r.shut = true;
      if (bits & (Want.TX | Want.SHUT_WR)) void drainTx(o, r);
      if (bits & Want.RX) {
        const room = r.room;
        r.room = undefined;
        room?.();
      }
    }

    function arm(): void {
      if (!stopped) st.onDoorbell(serve, (f) => setTimeout(f, 0));
    }
    arm();

    return {
      handle(m: NetRequest, reply: NetReply | undefined): void {
        if (m.op === 'connect') connect(m.o);
        else reply?.(-Errno.NOTSUP);
      },
      stop(): void {
        stopped = true;
        Atomics.notify(i32, NetHeader.DOORBELL);
        for (let o = 0; o < MAX_SOCKETS; o++) if (remotes[o]) release(o);
      },
    };
  };
}
