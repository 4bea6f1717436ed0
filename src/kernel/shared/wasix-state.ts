import { spinLock, spinUnlock } from './lock.js';

/**
 * Process-wide WASIX state that every thread must agree on, in one SharedArrayBuffer (created only for
 * modules that import wasix_32v1): the signal callback's export name, the working directory, the tty
 * modes; and, in a second buffer shared by every process of a process tree (pipes cross fork/spawn), the
 * table of in-kernel stream objects (pipes, eventfds) with their ring buffers.
 * Word indices below are Int32Array indices; *_AT are byte offsets.
 */
export const WasixHeader = {
  LOCK: 0,
  /** Bumped whenever the signal callback name changes, so threads re-resolve their export. */
  HANDLER_GEN: 1,
  /** Byte length of the callback name, or -1 when callback_signal was never called. */
  HANDLER_LEN: 2,
  CWD_LEN: 3,
  /** tty_set state: bit 0 set, 1 echo, 2 line-buffered, 3 line-feeds. */
  TTY: 4,
  OBJ_LOCK: 5,
  HEADER_WORDS: 16,
  HANDLER_AT: 64,
  HANDLER_MAX: 64,
  CWD_AT: 128,
  CWD_MAX: 1024,
} as const;

/** Words of one stream object. */
export const StreamObject = {
  /** ObjType. */
  TYPE: 0,
  LOCK: 1,
  /** Bumped (and notified) on every state change; blocked readers/writers wait on it. */
  SEQ: 2,
  /** Open descriptions of end 0 / end 1 (pipes), or of the eventfd (REFS0). */
  REFS0: 3,
  REFS1: 4,
  /** Ring r: HEAD (bytes consumed) and TAIL (bytes produced), free-running u32 counters. */
  HEAD0: 5,
  TAIL0: 6,
  HEAD1: 7,
  TAIL1: 8,
  /** eventfd counter (u64 as two u32 words) and flags. */
  EV_LO: 9,
  EV_HI: 10,
  EV_FLAGS: 11,
  WORDS: 16,
} as const;

export const ObjType = { FREE: 0, PIPE: 1, EVENT: 2 } as const;

const MAX_OBJECTS = 64;
/** Bytes per pipe direction (Linux gives 64 KiB; 16 KiB keeps the whole table at 2 MiB). */
export const RING_BYTES = 16384;

/** The per-process header; the object table's buffer uses the same offsets (its first bytes unused). */
const HEADER_BYTES = 2048;
const OBJ_BASE = HEADER_BYTES / 4;
const RING_AT = HEADER_BYTES + MAX_OBJECTS * StreamObject.WORDS * 4;
const TOTAL_BYTES = RING_AT + MAX_OBJECTS * 2 * RING_BYTES;

export class WasixState {
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  /** The stream objects' buffer (words at st.obj(), rings at st.ring()). */
  readonly oi32: Int32Array;
  readonly ou8: Uint8Array;
  private readonly enc = new TextEncoder();
  private readonly dec = new TextDecoder();

  /** `objSab` omitted: `sab` is a full-size buffer (WasixState.create()) that holds the objects too. */
  constructor(readonly sab: SharedArrayBuffer, readonly objSab: SharedArrayBuffer = sab) {
    this.i32 = new Int32Array(sab);
    this.u8 = new Uint8Array(sab);
    this.oi32 = new Int32Array(objSab);
    this.ou8 = new Uint8Array(objSab);
  }

  /**
   * A process's state over the process tree's object table `objSab`; without one, a single buffer holds
   * the state and a private object table.
   */
  static create(objSab?: SharedArrayBuffer, cwd = '/'): WasixState {
    const s = objSab ? new WasixState(new SharedArrayBuffer(HEADER_BYTES), objSab) : new WasixState(new SharedArrayBuffer(TOTAL_BYTES));
    s.i32[WasixHeader.HANDLER_LEN] = -1;
    s.setCwd(cwd);
    return s;
  }

  static createObjects(): SharedArrayBuffer {
    return new SharedArrayBuffer(TOTAL_BYTES);
  }

  /**
   * A copy of this process's state for its forked child, taken under the lock (a whole state, not one
   * another thread is changing) and with the copy's lock free: copied while the coordinator held it (to read
   * the callback name when it delivered a SIGCHLD), the child's first callback_signal spun forever on a
   * lock no one would release (a rare hang of fork loops, seen about once in 50 bench processes).
   */
  copyForFork(): SharedArrayBuffer {
    const copy = new SharedArrayBuffer(this.sab.byteLength);
    this.lock();
    try {
      new Uint8Array(copy).set(this.u8);
    } finally {
      this.unlock();
    }
    new Int32Array(copy)[WasixHeader.LOCK] = 0;
    return copy;
  }

  lock(): void {
    spinLock(this.i32, WasixHeader.LOCK);
  }
  unlock(): void {
    spinUnlock(this.i32, WasixHeader.LOCK);
  }

  private readString(at: number, len: number): string {
    // Copy out of the shared buffer first: browsers' TextDecoder refuses shared views.
    return this.dec.decode(this.u8.slice(at, at + len));
  }

  /** The signal callback's export name; null when the program never registered one. */
  handlerName(): string | null {
    this.lock();
    try {
      const len = this.i32[WasixHeader.HANDLER_LEN]!;
      return len < 0 ? null : this.readString(WasixHeader.HANDLER_AT, len);
    } finally {
      this.unlock();
    }
  }

  /** The registered callback's name as bytes (a copy), null when none was registered. */
  handlerNameBytes(): Uint8Array | null {
    this.lock();
    try {
      const len = this.i32[WasixHeader.HANDLER_LEN]!;
      return len < 0 ? null : this.u8.slice(WasixHeader.HANDLER_AT, WasixHeader.HANDLER_AT + len);
    } finally {
      this.unlock();
    }
  }

  setHandlerName(bytes: Uint8Array): boolean {
    if (bytes.length > WasixHeader.HANDLER_MAX) return false;
    this.lock();
    this.u8.set(bytes, WasixHeader.HANDLER_AT);
    this.i32[WasixHeader.HANDLER_LEN] = bytes.length;
    Atomics.add(this.i32, WasixHeader.HANDLER_GEN, 1);
    this.unlock();
    return true;
  }

  cwd(): string {
    this.lock();
    try {
      return this.readString(WasixHeader.CWD_AT, this.i32[WasixHeader.CWD_LEN]!);
    } finally {
      this.unlock();
    }
  }

  /** False when the path does not fit. */
  setCwd(path: string): boolean {
    const b = this.enc.encode(path);
    if (b.length > WasixHeader.CWD_MAX) return false;
    this.lock();
    this.u8.set(b, WasixHeader.CWD_AT);
    this.i32[WasixHeader.CWD_LEN] = b.length;
    this.unlock();
    return true;
  }

  /** Word index of object `o`'s field. */
  obj(o: number, field: number): number {
    return OBJ_BASE + o * StreamObject.WORDS + field;
  }

  /** Byte offset of ring r (0/1) of object o. */
  ring(o: number, r: number): number {
    return RING_AT + (o * 2 + r) * RING_BYTES;
  }

  /** Claims a free object slot with the given type and initial references; -1 when the table is full. */
  allocObject(type: number, refs0: number, refs1: number): number {
    const i = this.oi32;
    spinLock(i, WasixHeader.OBJ_LOCK);
    try {
      for (let o = 0; o < MAX_OBJECTS; o++) {
        const b = OBJ_BASE + o * StreamObject.WORDS;
        if (i[b + StreamObject.TYPE] !== ObjType.FREE) continue;
        for (let w = 1; w < StreamObject.WORDS; w++) i[b + w] = 0;
        i[b + StreamObject.REFS0] = refs0;
        i[b + StreamObject.REFS1] = refs1;
        Atomics.store(i, b + StreamObject.TYPE, type);
        return o;
      }
      return -1;
    } finally {
      spinUnlock(i, WasixHeader.OBJ_LOCK);
    }
  }

  /** Drops one reference of end `end`; frees the object when no end is referenced any more. */
  releaseObject(o: number, end: number): void {
    const i = this.oi32;
    spinLock(i, WasixHeader.OBJ_LOCK);
    try {
      Atomics.sub(i, this.obj(o, end === 0 ? StreamObject.REFS0 : StreamObject.REFS1), 1);
      Atomics.add(i, this.obj(o, StreamObject.SEQ), 1);
      Atomics.notify(i, this.obj(o, StreamObject.SEQ));
      if (i[this.obj(o, StreamObject.REFS0)]! <= 0 && i[this.obj(o, StreamObject.REFS1)]! <= 0) {
        Atomics.store(i, this.obj(o, StreamObject.TYPE), ObjType.FREE);
      }
    } finally {
      spinUnlock(i, WasixHeader.OBJ_LOCK);
    }
  }
}
