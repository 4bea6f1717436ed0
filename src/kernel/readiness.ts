import type { Kernel } from './kernel.js';
import { FdKind, FdSlot } from './shared/fd-table.js';
import { stdioTarget } from './stdio.js';

/**
 * The readiness engine poll_oneoff and epoll_wait share: what one fd is ready for now, and the one wait
 * loop over a whole set. Pipes, eventfds and sockets live in shared memory, so a thread computes their
 * readiness itself and sleeps on the readiness word every change of theirs bumps (NetHeader.READY_GEN);
 * stdin of a pipe or TTY is served by the coordinator, which alone can say when it becomes readable.
 */

/** A peeking stdin-poll's reply when nothing is buffered yet. */
export const STDIN_NOT_READY = -1;
/** Result word of a stdin-poll reply: bytes buffered, with this bit set at end of input. */
export const STDIN_EOF_BIT = 0x40000000;

/** Readiness of one direction of an fd. */
export interface FdReadiness {
  nbytes: number;
  hangup: boolean;
  ready: boolean;
}

/** Files and directories never block; neither do stdio targets the calling thread reads or writes itself. */
const ALWAYS: FdReadiness = { nbytes: 0, hangup: false, ready: true };
/** stdin from nothing: readable, at end of input. */
const AT_END: FdReadiness = { nbytes: 0, hangup: true, ready: true };

/** fd_read readiness of the fd whose entry is at `base`; undefined for served stdin (the coordinator's). */
export function readReadiness(k: Kernel, base: number): FdReadiness | undefined {
  const kind = k.fds.i32[base + FdSlot.KIND]!;
  const stream = k.streams[kind];
  if (stream) return stream.readReady(base);
  if (kind !== FdKind.STDIO) return ALWAYS;
  const t = stdioTarget(k, k.fds.handle(base), false); // /dev/tty reads stdin
  if (!t || t.kind === 'served') return undefined;
  return t.kind === 'null' ? AT_END : ALWAYS;
}

/** fd_write readiness of the fd whose entry is at `base` (a socket can be full or not yet connected). */
export function writeReadiness(k: Kernel, base: number): FdReadiness {
  const stream = k.streams[k.fds.i32[base + FdSlot.KIND]!];
  return stream?.writeReady ? stream.writeReady(base) : ALWAYS;
}

/** What a scan of the set found (bits). */
export const Scan = {
  /** Nothing ready, nothing to wait on but the deadline. */
  NONE: 0,
  /** The caller has its answer (something is ready, or it must not wait): stop. */
  DONE: 1,
  /** Some fd in shared memory (pipe, eventfd, socket, epoll list) is not ready yet. */
  STREAMS: 2,
  /** Served stdin is in the set (only the coordinator can tell when it is readable). */
  STDIN: 4,
} as const;

/** Without a shared readiness word (no network state), how often streams are probed again (ms). */
const STREAM_POLL_MS = 1;
/** Longest single sleep on the readiness word before the thread checks the process is alive (ms). */
const READY_SLICE_MS = 200;
/** With served stdin and other fds in the set: one wait for stdin before the others are probed again (ms). */
const STDIN_SLICE_MS = 20;
/** A zero-timeout poll with served stdin: how long the coordinator's answer (given at once) may take (ms). */
const STDIN_PEEK_MS = 5;

/**
 * The wait poll_oneoff and epoll_wait both run. `scan` computes the readiness of the whole set now (and
 * records what it found) and says what is left to wait on; it runs again after every wake-up. Ends when
 * scan says DONE or at `deadline` (in k.monotonicMs() time), and returns undefined; or when served stdin
 * became readable first, and returns the coordinator's stdin-poll reply (bytes | STDIN_EOF_BIT). With
 * stdin and streams both in the set, stdin is waited for in slices and the streams probed between them.
 */
export function waitReady(k: Kernel, deadline: number, scan: () => number): number | undefined {
  let peeked = false;
  for (;;) {
    const gen = k.net?.readyGen();
    const found = scan();
    if (found & Scan.DONE) return undefined;
    const left = deadline - k.monotonicMs();
    if (left <= 0) {
      // A zero (or spent) timeout: only the coordinator knows whether served stdin has input, so it is
      // asked once, for a round trip's time; otherwise a poll that must not block never saw stdin ready.
      if (found & Scan.STDIN && !peeked) {
        const r = k.request({ t: 'stdin-poll', peek: true }, STDIN_PEEK_MS);
        if (r !== undefined && r !== STDIN_NOT_READY) return r;
      }
      return undefined;
    }
    peeked = true; // a wait below asks the coordinator anyway
    if (found & Scan.STDIN) {
      const r = k.request({ t: 'stdin-poll' }, found & Scan.STREAMS ? Math.min(left, STDIN_SLICE_MS) : left);
      if (r !== undefined) return r;
    } else if (found & Scan.STREAMS) {
      if (k.net) k.net.waitReady(gen!, Math.min(left, READY_SLICE_MS));
      else k.sleepMs(Math.min(left, STREAM_POLL_MS));
    } else {
      k.sleepMs(left);
    }
    k.checkAlive();
  }
}
