import { spinLock, spinUnlock } from './lock.js';

/**
 * The process control block: one SharedArrayBuffer, seen by the coordinator and every thread, that
 * holds what threads must agree on without a message round trip (exit state, tid counter, live count,
 * the queue of spawn requests that pooled workers take from, and one record per worker slot).
 * Index constants are Int32Array indices.
 */
export const Ctl = {
  /** 0 while running; 1 once an exit code has been claimed (first exit wins). */
  EXITING: 0,
  EXIT_CODE: 1,
  NEXT_TID: 2,
  /** Live wasm threads, main included. */
  LIVE: 3,
  MAX_THREADS: 4,
  /** Pooled workers parked on QUEUE_SIGNAL, waiting for a spawn request. */
  IDLE: 5,
  QUEUE_LOCK: 6,
  QUEUE_HEAD: 7,
  QUEUE_TAIL: 8,
  /** Futex word idle workers wait on; bumped on every push. */
  QUEUE_SIGNAL: 9,
  /** Set when the main thread has ended via thread_exit: the last thread to end then ends the process. */
  MAIN_GONE: 10,
  /** Futex word threads sleeping in poll_oneoff/thread_sleep wait on (never notified; a timed wait). */
  SLEEP: 11,
  /**
   * Set once the main thread's instance exists. Pooled workers instantiate only after it: the first
   * instance to run a shared-memory module's start function (__wasm_init_memory) takes the static TLS
   * block as its __tls_base, and that must be the main thread's.
   */
  MAIN_READY: 12,
  /** Signal that ended the process (its default action, or a kill from another process); 0 otherwise. */
  TERM_SIG: 13,
  HEADER_WORDS: 16,
} as const;

/** Per-slot record (one per worker, slot 0 = the main thread's worker). */
export const Slot = {
  WORDS: 4,
  /** tid running in this slot, 0 when none; notified when it ends (thread_join waits on it). */
  TID: 0,
  /** Pending signal bitmask (WASIX signals 1..31). */
  SIGNALS: 1,
  /**
   * Open description word index + 1 this slot's thread holds pinned (kernel/files.ts pinDesc; 0 when
   * none): a thread terminated mid-call never unpins, so the coordinator drops that hold for it.
   */
  PIN: 2,
  /**
   * Guest address + 1 of the futex_wait this slot's thread is blocked in (0 when none), so that raising a
   * signal for it can wake it: the signal is then delivered when futex_wait returns.
   */
  WAIT_ADDR: 3,
} as const;

/** First tid handed to spawned threads; the main thread is tid 1. */
export const MAIN_TID = 1;
export const TID_LIMIT = 0x20000000;
/** A spawn-queue entry that is no thread: the pooled worker taking it retires (the coordinator trims the pool). */
export const RETIRE_TID = -1;

export interface ControlLayout {
  queueCap: number;
  slots: number;
  queueBase: number;
  slotBase: number;
  words: number;
}

function controlLayout(maxThreads: number): ControlLayout {
  let queueCap = 1;
  while (queueCap < maxThreads) queueCap <<= 1;
  const slots = maxThreads + 1;
  const queueBase = Ctl.HEADER_WORDS;
  const slotBase = queueBase + queueCap * 2;
  return { queueCap, slots, queueBase, slotBase, words: slotBase + slots * Slot.WORDS };
}

/** Typed accessor over the control SAB, used by coordinator and threads alike. */
export class Control {
  readonly i32: Int32Array;
  readonly layout: ControlLayout;

  constructor(readonly sab: SharedArrayBuffer, readonly maxThreads: number) {
    this.i32 = new Int32Array(sab);
    this.layout = controlLayout(maxThreads);
  }

  static create(maxThreads: number): Control {
    const l = controlLayout(maxThreads);
    const c = new Control(new SharedArrayBuffer(l.words * 4), maxThreads);
    c.i32[Ctl.NEXT_TID] = MAIN_TID + 1;
    c.i32[Ctl.MAX_THREADS] = maxThreads;
    return c;
  }

  get exiting(): boolean {
    return Atomics.load(this.i32, Ctl.EXITING) !== 0;
  }

  /** Claims the process exit code; only the first caller wins. */
  claimExit(code: number): boolean {
    if (Atomics.compareExchange(this.i32, Ctl.EXITING, 0, 1) !== 0) return false;
    Atomics.store(this.i32, Ctl.EXIT_CODE, code);
    return true;
  }

  slotIndex(slot: number, field: number): number {
    return this.layout.slotBase + slot * Slot.WORDS + field;
  }

  private lock(): void {
    spinLock(this.i32, Ctl.QUEUE_LOCK);
  }
  private unlock(): void {
    spinUnlock(this.i32, Ctl.QUEUE_LOCK);
  }

  /** Queues a spawn request and wakes one idle worker. Returns the number of requests waiting. */
  push(tid: number, arg: number): number {
    const i = this.i32, { queueCap, queueBase } = this.layout;
    this.lock();
    const tail = i[Ctl.QUEUE_TAIL]!;
    const at = queueBase + (tail & (queueCap - 1)) * 2;
    i[at] = tid;
    i[at + 1] = arg;
    i[Ctl.QUEUE_TAIL] = tail + 1;
    const pending = tail + 1 - i[Ctl.QUEUE_HEAD]!;
    this.unlock();
    Atomics.add(i, Ctl.QUEUE_SIGNAL, 1);
    Atomics.notify(i, Ctl.QUEUE_SIGNAL, 1);
    return pending;
  }

  /** Takes the oldest spawn request, or returns false. */
  pop(out: { tid: number; arg: number }): boolean {
    const i = this.i32, { queueCap, queueBase } = this.layout;
    if (Atomics.load(i, Ctl.QUEUE_HEAD) === Atomics.load(i, Ctl.QUEUE_TAIL)) return false;
    this.lock();
    const head = i[Ctl.QUEUE_HEAD]!;
    if (head === i[Ctl.QUEUE_TAIL]) {
      this.unlock();
      return false;
    }
    const at = queueBase + (head & (queueCap - 1)) * 2;
    out.tid = i[at]!;
    out.arg = i[at + 1]!;
    i[Ctl.QUEUE_HEAD] = head + 1;
    this.unlock();
    return true;
  }

  pending(): number {
    return Atomics.load(this.i32, Ctl.QUEUE_TAIL) - Atomics.load(this.i32, Ctl.QUEUE_HEAD);
  }

  /** Is tid waiting in the queue (spawned but not yet started)? */
  queued(tid: number): boolean {
    const i = this.i32, { queueCap, queueBase } = this.layout;
    this.lock();
    let found = false;
    for (let k = i[Ctl.QUEUE_HEAD]!; k !== i[Ctl.QUEUE_TAIL]; k++) {
      if (i[queueBase + (k & (queueCap - 1)) * 2] === tid) { found = true; break; }
    }
    this.unlock();
    return found;
  }

  /** Slot currently running tid, or -1. */
  findTid(tid: number): number {
    for (let s = 0; s < this.layout.slots; s++) {
      if (Atomics.load(this.i32, this.slotIndex(s, Slot.TID)) === tid) return s;
    }
    return -1;
  }
}
