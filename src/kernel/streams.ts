import { Errno, WasiError } from '../abi/errno.js';
import { FdFlags } from '../abi/constants.js';
import { EventFdFlags, WasixSignal } from '../abi/wasix.js';
import { spinLock, spinUnlock } from './shared/lock.js';
import { Desc, FdSlot, FdKind, type FdEntry } from './shared/fd-table.js';
import type { Kernel } from './kernel.js';
import { gather, iovBytes, scatter } from './iovec.js';
import { StreamObject, RING_BYTES, type WasixState } from './shared/wasix-state.js';

/** Writes up to this size are atomic on a pipe (never interleaved with other writers), as POSIX's PIPE_BUF. */
const PIPE_BUF = 4096;

/**
 * In-kernel streams: operations of fd kinds that are not files (pipes, eventfds). fd_read/fd_write and
 * poll_oneoff dispatch here by fd kind.
 */
export interface StreamOps {
  read(base: number, iovs: Uint8Array[]): number;
  write(base: number, iovs: Uint8Array[]): number;
  /** fd_read readiness now: bytes available and whether the writing side is gone. */
  readReady(base: number): { nbytes: number; hangup: boolean; ready: boolean };
  /** fd_write readiness now (absent: always writable). */
  writeReady?(base: number): { nbytes: number; hangup: boolean; ready: boolean };
}

/**
 * Pipes and eventfds live in the WASIX state buffer, so every thread reads and writes them directly.
 * A pipe object has two rings: end e reads ring e and writes ring 1-e (WASIX pipes are bidirectional;
 * pipe() uses end 0 to read and end 1 to write). Blocked readers and writers wait on the object's
 * sequence word, which every state change bumps; Worker.terminate() interrupts those waits.
 */
export function createStreams(k: Kernel, st: WasixState): { pipe: StreamOps; event: StreamOps } {
  const fds = k.fds;
  const i32 = st.oi32;

  function objectOf(base: number): { o: number; end: number } {
    const d = fds.desc(base);
    return { o: fds.i32[d + Desc.OBJECT]!, end: fds.i32[d + Desc.HANDLE]! };
  }
  const nonblocking = (base: number): boolean => (fds.i32[base + FdSlot.FLAGS]! & FdFlags.NONBLOCK) !== 0;

  function lock(o: number): void {
    spinLock(i32, st.obj(o, StreamObject.LOCK));
  }
  function unlock(o: number): void {
    spinUnlock(i32, st.obj(o, StreamObject.LOCK));
  }
  function changed(o: number): void {
    Atomics.add(i32, st.obj(o, StreamObject.SEQ), 1);
    Atomics.notify(i32, st.obj(o, StreamObject.SEQ));
    k.net?.bumpReady();
  }
  /** Waits for the next state change after `seq` (called without the object lock). */
  function waitForChange(o: number, seq: number): void {
    Atomics.wait(i32, st.obj(o, StreamObject.SEQ), seq, 200);
    k.checkAlive();
  }

  const ringHead = (r: number): number => (r === 0 ? StreamObject.HEAD0 : StreamObject.HEAD1);
  const ringTail = (r: number): number => (r === 0 ? StreamObject.TAIL0 : StreamObject.TAIL1);
  const refsOf = (end: number): number => (end === 0 ? StreamObject.REFS0 : StreamObject.REFS1);

  const pipe: StreamOps = {
    read(base, iovs) {
      const { o, end } = objectOf(base);
      const want = iovBytes(iovs);
      if (want === 0) return 0;
      const hi = st.obj(o, ringHead(end)), ti = st.obj(o, ringTail(end));
      for (;;) {
        // SEQ before anything else: the other end's last close (releaseObject) changes its count outside
        // the object lock, so a seq read after the count could already include that close, and the wait
        // would sleep through it (an EOF seen 200 ms late: every shell pipeline paid it).
        const seq = Atomics.load(i32, st.obj(o, StreamObject.SEQ));
        lock(o);
        const head = i32[hi]! >>> 0, tail = i32[ti]! >>> 0;
        const avail = (tail - head) >>> 0;
        if (avail > 0) {
          const n = Math.min(avail, want);
          const ring = st.ring(o, end);
          let copied = 0;
          for (const v of iovs) {
            let vAt = 0;
            while (vAt < v.length && copied < n) {
              const pos = (head + copied) % RING_BYTES;
              const chunk = Math.min(v.length - vAt, n - copied, RING_BYTES - pos);
              v.set(st.ou8.subarray(ring + pos, ring + pos + chunk), vAt);
              vAt += chunk;
              copied += chunk;
            }
            if (copied >= n) break;
          }
          i32[hi] = (head + n) | 0;
          changed(o);
          unlock(o);
          return n;
        }
        const writers = Atomics.load(i32, st.obj(o, refsOf(1 - end)));
        unlock(o);
        if (writers <= 0) return 0; // end of file
        if (nonblocking(base)) throw new WasiError(Errno.AGAIN);
        waitForChange(o, seq);
      }
    },

    write(base, iovs) {
      const { o, end } = objectOf(base);
      const r = 1 - end;
      const data = gather(iovs);
      if (data.length === 0) return 0;
      const hi = st.obj(o, ringHead(r)), ti = st.obj(o, ringTail(r));
      let done = 0;
      while (done < data.length) {
        const seq = Atomics.load(i32, st.obj(o, StreamObject.SEQ)); // first, as in read
        lock(o);
        if (Atomics.load(i32, st.obj(o, refsOf(r))) <= 0) {
          unlock(o);
          if (done > 0) return done;
          k.signals?.raiseSelf(WasixSignal.PIPE);
          throw new WasiError(Errno.PIPE);
        }
        const head = i32[hi]! >>> 0, tail = i32[ti]! >>> 0;
        const free = RING_BYTES - ((tail - head) >>> 0);
        const left = data.length - done;
        // Small writes go in whole or not at all, so concurrent writers never interleave within one.
        const n = left <= PIPE_BUF ? (free >= left ? left : 0) : Math.min(free, left);
        if (n > 0) {
          const ring = st.ring(o, r);
          let at = 0;
          while (at < n) {
            const pos = (tail + at) % RING_BYTES;
            const chunk = Math.min(n - at, RING_BYTES - pos);
            st.ou8.set(data.subarray(done + at, done + at + chunk), ring + pos);
            at += chunk;
          }
          i32[ti] = (tail + n) | 0;
          done += n;
          changed(o);
          unlock(o);
          continue;
        }
        unlock(o);
        if (nonblocking(base)) {
          if (done > 0) return done;
          throw new WasiError(Errno.AGAIN);
        }
        waitForChange(o, seq);
      }
      return done;
    },

    readReady(base) {
      const { o, end } = objectOf(base);
      const avail = ((i32[st.obj(o, ringTail(end))]! >>> 0) - (i32[st.obj(o, ringHead(end))]! >>> 0)) >>> 0;
      const hangup = Atomics.load(i32, st.obj(o, refsOf(1 - end))) <= 0;
      return { nbytes: avail, hangup, ready: avail > 0 || hangup };
    },
  };

  const counter = (o: number): bigint =>
    (BigInt(i32[st.obj(o, StreamObject.EV_HI)]! >>> 0) << 32n) | BigInt(i32[st.obj(o, StreamObject.EV_LO)]! >>> 0);
  const setCounter = (o: number, v: bigint): void => {
    i32[st.obj(o, StreamObject.EV_LO)] = Number(v & 0xffffffffn) | 0;
    i32[st.obj(o, StreamObject.EV_HI)] = Number(v >> 32n) | 0;
  };
  const EV_MAX = 0xfffffffffffffffen;

  const event: StreamOps = {
    read(base, iovs) {
      if (iovBytes(iovs) < 8) throw new WasiError(Errno.INVAL);
      const { o } = objectOf(base);
      for (;;) {
        lock(o);
        const c = counter(o);
        if (c > 0n) {
          const v = i32[st.obj(o, StreamObject.EV_FLAGS)]! & EventFdFlags.SEMAPHORE ? 1n : c;
          setCounter(o, c - v);
          changed(o);
          unlock(o);
          const out = new Uint8Array(8);
          new DataView(out.buffer).setBigUint64(0, v, true);
          return scatter(iovs, out);
        }
        const seq = Atomics.load(i32, st.obj(o, StreamObject.SEQ));
        unlock(o);
        if (nonblocking(base)) throw new WasiError(Errno.AGAIN);
        waitForChange(o, seq);
      }
    },

    write(base, iovs) {
      const data = gather(iovs);
      if (data.length < 8) throw new WasiError(Errno.INVAL);
      const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
      if (v > EV_MAX) throw new WasiError(Errno.INVAL);
      const { o } = objectOf(base);
      for (;;) {
        lock(o);
        const c = counter(o);
        if (c + v <= EV_MAX) {
          setCounter(o, c + v);
          changed(o);
          unlock(o);
          return 8;
        }
        const seq = Atomics.load(i32, st.obj(o, StreamObject.SEQ));
        unlock(o);
        if (nonblocking(base)) throw new WasiError(Errno.AGAIN);
        waitForChange(o, seq);
      }
    },

    readReady(base) {
      const { o } = objectOf(base);
      const c = counter(o);
      return { nbytes: c > 0n ? 8 : 0, hangup: false, ready: c > 0n };
    },
  };

  k.streams[FdKind.PIPE] = pipe;
  k.streams[FdKind.EVENT] = event;
  const release = (e: FdEntry): void => {
    st.releaseObject(e.object ?? 0, e.handle);
    k.net?.bumpReady(); // the other end sees a hang-up
  };
  k.releaseHooks[FdKind.PIPE] = release;
  k.releaseHooks[FdKind.EVENT] = release;
  return { pipe, event };
}
