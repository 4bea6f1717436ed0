import { spinLock, spinUnlock } from '../../kernel/shared/lock.js';

/**
 * The output ring: how threads hand stdout/stderr bytes (and diagnostics) to the page. A postMessage
 * from a Chromium worker costs ~40 µs — ten times a whole fd_write on Node — so writes go into one
 * SharedArrayBuffer ring instead (many writers under a lock, one reader: the page). A writer posts a
 * message only to ring the doorbell when BELL is clear; the page keeps BELL set while it polls the ring
 * (output streaming), and clears it once a poll finds the ring empty.
 * A full ring blocks its writer (Atomics.wait, so the page is never blocked) until the page drains:
 * backpressure instead of an unbounded message queue. Records are [u32 fd << 24 | length][bytes, padded
 * to 4], so a header never wraps.
 */
const Ring = {
  LOCK: 0,
  /** Bytes consumed by the page (wrapping int32). */
  HEAD: 1,
  /** Bytes published by writers (wrapping int32). */
  TAIL: 2,
  /** 1 while the page knows there may be data (a doorbell is pending, or the page is polling). */
  BELL: 3,
  /** Bumped and notified whenever the page frees space. */
  SPACE: 4,
  HEADER_BYTES: 32,
} as const;

/** The fd of diagnostic lines (trap reports, trace). */
export const LOG_FD = 255;
const MAX_RECORD = 0xffffff;

export function createRing(capacity = 1 << 20): SharedArrayBuffer {
  if (capacity & (capacity - 1) || capacity < 4096) throw new RangeError('ring capacity must be a power of two ≥ 4096');
  return new SharedArrayBuffer(Ring.HEADER_BYTES + capacity);
}

class RingView {
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  readonly cap: number;
  constructor(sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab, 0, Ring.HEADER_BYTES / 4);
    this.u8 = new Uint8Array(sab, Ring.HEADER_BYTES);
    this.dv = new DataView(sab, Ring.HEADER_BYTES);
    this.cap = this.u8.length;
  }
}

/** Writer side (a worker: it may block). */
export class RingWriter extends RingView {
  private readonly maxRecord: number;

  constructor(sab: SharedArrayBuffer, private readonly ringBell: () => void) {
    super(sab);
    this.maxRecord = Math.min(MAX_RECORD, this.cap / 4);
  }

  /** Appends data for fd (in records of at most a quarter of the ring), blocking while the ring is full. */
  write(fd: number, data: Uint8Array): void {
    const { i32, u8, cap } = this;
    const mask = cap - 1;
    let at = 0;
    do {
      const n = Math.min(data.length - at, this.maxRecord);
      const need = 4 + ((n + 3) & ~3);
      spinLock(i32, Ring.LOCK);
      for (;;) {
        const used = (Atomics.load(i32, Ring.TAIL) - Atomics.load(i32, Ring.HEAD)) | 0;
        if (cap - used >= need) break;
        const seen = Atomics.load(i32, Ring.SPACE);
        spinUnlock(i32, Ring.LOCK);
        this.bell(); // the page must know there is something to drain
        Atomics.wait(i32, Ring.SPACE, seen, 100);
        spinLock(i32, Ring.LOCK);
      }
      const tail = i32[Ring.TAIL]!;
      const pos = tail & mask;
      this.dv.setUint32(pos, ((fd & 0xff) << 24) | n, true);
      const start = (pos + 4) & mask;
      const first = Math.min(n, cap - start);
      u8.set(first === data.length && at === 0 ? data : data.subarray(at, at + first), start);
      if (first < n) u8.set(data.subarray(at + first, at + n), 0);
      Atomics.store(i32, Ring.TAIL, (tail + need) | 0);
      spinUnlock(i32, Ring.LOCK);
      this.bell();
      at += n;
    } while (at < data.length);
  }

  private bell(): void {
    if (Atomics.compareExchange(this.i32, Ring.BELL, 0, 1) === 0) this.ringBell();
  }
}

/** Reader side (the page: never blocks). */
export class RingReader extends RingView {
  /** Is there published data not yet drained? */
  pending(): boolean {
    return Atomics.load(this.i32, Ring.HEAD) !== Atomics.load(this.i32, Ring.TAIL);
  }

  /** Stops polling: the next write rings the doorbell. False if data arrived meanwhile (keep polling). */
  clearBell(): boolean {
    Atomics.store(this.i32, Ring.BELL, 0);
    if (!this.pending()) return true;
    Atomics.store(this.i32, Ring.BELL, 1);
    return false;
  }

  /**
   * Takes everything published so far; consecutive records of one fd are merged into one chunk.
   * Diagnostics (LOG_FD) come one line per chunk.
   */
  drain(): { fd: number; data: Uint8Array }[] {
    const { i32, u8, dv, cap } = this;
    const mask = cap - 1;
    let head = Atomics.load(i32, Ring.HEAD);
    const tail = Atomics.load(i32, Ring.TAIL);
    if (head === tail) return [];
    const parts: { fd: number; pieces: Uint8Array[]; size: number }[] = [];
    while (head !== tail) {
      const pos = head & mask;
      const hdr = dv.getUint32(pos, true);
      const fd = hdr >>> 24;
      const n = hdr & MAX_RECORD;
      const start = (pos + 4) & mask;
      const first = Math.min(n, cap - start);
      let bytes: Uint8Array;
      if (first === n) {
        bytes = u8.slice(start, start + n);
      } else {
        bytes = new Uint8Array(n);
        bytes.set(u8.subarray(start, start + first));
        bytes.set(u8.subarray(0, n - first), first);
      }
      head = (head + 4 + ((n + 3) & ~3)) | 0;
      const last = parts[parts.length - 1];
      if (last && last.fd === fd && fd !== LOG_FD) {
        last.pieces.push(bytes);
        last.size += n;
      } else {
        parts.push({ fd, pieces: [bytes], size: n });
      }
    }
    Atomics.store(i32, Ring.HEAD, head);
    Atomics.add(i32, Ring.SPACE, 1);
    Atomics.notify(i32, Ring.SPACE);
    return parts.map(({ fd, pieces, size }) => {
      if (pieces.length === 1) return { fd, data: pieces[0]! };
      const data = new Uint8Array(size);
      let at = 0;
      for (const p of pieces) {
        data.set(p, at);
        at += p.length;
      }
      return { fd, data };
    });
  }
}
