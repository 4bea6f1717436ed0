import { Errno, WasiError } from '../../abi/errno.js';
import { Superblock, MAGIC, VERSION } from './layout.js';
import { mayPark } from '../../abi/agent.js';

/** How long a thread waits for the lock before concluding its holder died (see Store.recover). */
const LOCK_TIMEOUT_MS = 10_000;

/**
 * A formatted filesystem buffer (views and geometry from its header), its mutex and its undo journal:
 * every structure word written inside the lock goes through set(), which logs the old value first, so
 * rollback() can undo an operation whose thread died part way (see layout.ts). The base of Store.
 */
export class JournaledBuffer {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  /** Word index of inode 0's record. */
  readonly itabW: number;
  readonly nInodes: number;
  readonly sideOff: number;
  readonly dataOff: number;
  readonly dataSize: number;
  readonly maxOrder: number;
  readonly dev: bigint;
  readonly canBlock: boolean;
  protected readonly jw: number;
  protected readonly jcap: number;

  constructor(
    readonly sab: SharedArrayBuffer,
    canBlock?: boolean,
    protected readonly lockTimeoutMs = LOCK_TIMEOUT_MS,
  ) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < 4096) throw new TypeError('memfs: not a SharedArrayBuffer');
    this.u8 = new Uint8Array(sab);
    this.u32 = new Uint32Array(sab);
    this.i32 = new Int32Array(sab);
    const u32 = this.u32;
    if (Atomics.load(u32, Superblock.MAGIC) !== MAGIC || u32[Superblock.VERSION] !== VERSION) throw new TypeError('memfs: buffer is not a formatted memfs');
    this.itabW = u32[Superblock.ITAB]! >>> 2;
    this.nInodes = u32[Superblock.NINODES]!;
    this.sideOff = u32[Superblock.SIDE]!;
    this.dataOff = u32[Superblock.DATA]!;
    this.dataSize = u32[Superblock.DATA_SIZE]!;
    this.maxOrder = u32[Superblock.MAX_ORDER]!;
    this.jw = u32[Superblock.JOURNAL]! >>> 2;
    this.jcap = u32[Superblock.JCAP]!;
    this.dev = BigInt(u32[Superblock.DEV]!);
    this.canBlock = canBlock ?? mayPark();
  }

  // ---- mutex ---------------------------------------------------------------------------------------
  // 0 free, 1 held, 2 held and contended (the unlocker wakes one waiter).

  lock(): void {
    if (Atomics.compareExchange(this.i32, Superblock.LOCK, 0, 1) !== 0) this.lockSlow();
  }

  private lockSlow(): void {
    const i32 = this.i32;
    for (let i = 0; i < 100; i++) {
      if (Atomics.load(i32, Superblock.LOCK) === 0 && Atomics.compareExchange(i32, Superblock.LOCK, 0, 1) === 0) return;
    }
    const deadline = Date.now() + this.lockTimeoutMs;
    if (!this.canBlock) {
      // Cannot park (browser main thread): spin, marking the lock contended so waiters get woken.
      for (let i = 0; ; i++) {
        if (Atomics.load(i32, Superblock.LOCK) === 0 && Atomics.compareExchange(i32, Superblock.LOCK, 0, 2) === 0) return;
        if ((i & 0xffff) === 0 && Date.now() > deadline) throw lockTimeout(this.lockTimeoutMs);
      }
    }
    let c = Atomics.exchange(i32, Superblock.LOCK, 2);
    while (c !== 0) {
      if (Atomics.wait(i32, Superblock.LOCK, 2, Math.min(250, this.lockTimeoutMs)) === 'timed-out' && Date.now() > deadline) throw lockTimeout(this.lockTimeoutMs);
      c = Atomics.exchange(i32, Superblock.LOCK, 2);
    }
  }

  unlock(): void {
    const u32 = this.u32;
    u32[Superblock.JLEN] = 0;
    if (u32[Superblock.JOVERFLOW]) u32[Superblock.JOVERFLOW] = 0;
    if (Atomics.exchange(this.i32, Superblock.LOCK, 0) === 2) Atomics.notify(this.i32, Superblock.LOCK, 1);
  }

  // ---- undo journal --------------------------------------------------------------------------------

  /** Logs the current value of word idx so recover() can restore it. */
  protected jlog(idx: number): void {
    const u32 = this.u32;
    const n = u32[Superblock.JLEN]!;
    if (n < this.jcap) {
      const j = this.jw + 2 * n;
      u32[j] = idx;
      u32[j + 1] = u32[idx]!;
      u32[Superblock.JLEN] = n + 1;
    } else {
      u32[Superblock.JOVERFLOW] = 1;
    }
  }

  /** Journaled write of a structure word. */
  set(idx: number, v: number): void {
    const u32 = this.u32;
    if (u32[idx] === v >>> 0) return;
    this.jlog(idx);
    u32[idx] = v;
  }

  /** Marks the structure consistent: the journal restarts here. */
  checkpoint(): void {
    this.u32[Superblock.JLEN] = 0;
    if (this.u32[Superblock.JOVERFLOW]) this.u32[Superblock.JOVERFLOW] = 0;
  }

  /**
   * When the lock is held (its holder died inside an operation), rolls the structure back to its last
   * checkpoint and returns true (the lock stays held: the caller finishes the recovery and unlocks);
   * false when the lock is free.
   */
  protected rollback(): boolean {
    const u32 = this.u32;
    if (Atomics.load(this.i32, Superblock.LOCK) === 0) return false;
    const n = u32[Superblock.JLEN]!;
    if (!u32[Superblock.JOVERFLOW]) {
      for (let i = Math.min(n, this.jcap) - 1; i >= 0; i--) u32[u32[this.jw + 2 * i]!] = u32[this.jw + 2 * i + 1]!;
    }
    this.checkpoint();
    return true;
  }
}

function lockTimeout(ms: number): WasiError {
  return new WasiError(
    Errno.DEADLK,
    `memfs: lock held for over ${ms / 1000} s (a thread terminated inside a filesystem operation? see MemoryFS.recover())`,
  );
}
