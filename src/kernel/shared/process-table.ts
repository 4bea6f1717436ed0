import { spinLock, spinUnlock } from './lock.js';

/**
 * The process table of a WASIX process tree, in one SharedArrayBuffer seen by the coordinator and by every
 * thread of every process, so fork/spawn (allocating a pid), waitpid (finding and reaping a zombie child)
 * and kill (checking a pid exists) run in the calling thread without a round trip. A row's index is also
 * the process's fd region in the tree's fd table buffer. Word indices are Int32Array indices.
 */
export const ProcTableHeader = {
  LOCK: 0,
  NEXT_PID: 1,
  /** Bumped and notified on every exit; waitpid sleeps on it. */
  SEQ: 2,
  MAX: 3,
  HEADER_WORDS: 8,
} as const;

export const ProcRow = {
  STATE: 0,
  PID: 1,
  /** Parent pid; 0 when the parent is gone (the process is then reaped by the kernel when it ends). */
  PPID: 2,
  /** Exit code (valid in ZOMBIE). */
  CODE: 3,
  /** Signal that ended the process, 0 for a normal exit. */
  TERMSIG: 4,
  WORDS: 8,
} as const;

export const ProcState = { FREE: 0, RUNNING: 1, ZOMBIE: 2 } as const;

/** pid of the process the host started (the tree's root); children get 2, 3, ... */
export const ROOT_PID = 1;
const PID_LIMIT = 0x3fffffff;

export interface Zombie {
  row: number;
  pid: number;
  code: number;
  termsig: number;
}

export class ProcTable {
  readonly i32: Int32Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
  }

  static create(maxProcs: number): ProcTable {
    const t = new ProcTable(new SharedArrayBuffer((ProcTableHeader.HEADER_WORDS + maxProcs * ProcRow.WORDS) * 4));
    t.i32[ProcTableHeader.MAX] = maxProcs;
    t.i32[ProcTableHeader.NEXT_PID] = ROOT_PID;
    return t;
  }

  get max(): number {
    return this.i32[ProcTableHeader.MAX]!;
  }

  at(row: number, field: number): number {
    return ProcTableHeader.HEADER_WORDS + row * ProcRow.WORDS + field;
  }

  get(row: number, field: number): number {
    return Atomics.load(this.i32, this.at(row, field));
  }

  private lock(): void {
    spinLock(this.i32, ProcTableHeader.LOCK);
  }
  private unlock(): void {
    spinUnlock(this.i32, ProcTableHeader.LOCK);
  }

  private pidInUse(pid: number): boolean {
    for (let r = 0; r < this.max; r++) {
      if (this.i32[this.at(r, ProcRow.STATE)] !== ProcState.FREE && this.i32[this.at(r, ProcRow.PID)] === pid) return true;
    }
    return false;
  }

  /** Claims a row for a new process of parent `ppid`; undefined when the table is full (EAGAIN). */
  allocate(ppid: number): { row: number; pid: number } | undefined {
    this.lock();
    try {
      let row = -1;
      for (let r = 0; r < this.max; r++) if (this.i32[this.at(r, ProcRow.STATE)] === ProcState.FREE) { row = r; break; }
      if (row < 0) return undefined;
      let pid = this.i32[ProcTableHeader.NEXT_PID]!;
      while (this.pidInUse(pid)) pid = pid >= PID_LIMIT ? ROOT_PID + 1 : pid + 1;
      this.i32[ProcTableHeader.NEXT_PID] = pid >= PID_LIMIT ? ROOT_PID + 1 : pid + 1;
      const i = this.i32, b = this.at(row, 0);
      i[b + ProcRow.PID] = pid;
      i[b + ProcRow.PPID] = ppid;
      i[b + ProcRow.CODE] = 0;
      i[b + ProcRow.TERMSIG] = 0;
      Atomics.store(i, b + ProcRow.STATE, ProcState.RUNNING);
      return { row, pid };
    } finally {
      this.unlock();
    }
  }

  /** Frees a row whose process never started (spawn failed after allocate). */
  release(row: number): void {
    Atomics.store(this.i32, this.at(row, ProcRow.STATE), ProcState.FREE);
  }

  /** Row of a live or zombie process, or -1. */
  rowOf(pid: number): number {
    for (let r = 0; r < this.max; r++) {
      if (this.get(r, ProcRow.STATE) !== ProcState.FREE && this.get(r, ProcRow.PID) === pid) return r;
    }
    return -1;
  }

  /**
   * Records the end of the process in `row`: a zombie for its parent to reap, or freed at once when it has
   * no parent any more. Its children lose their parent (orphans are reaped when they end). Wakes waiters.
   */
  exited(row: number, code: number, termsig: number): void {
    const i = this.i32;
    this.lock();
    try {
      const pid = i[this.at(row, ProcRow.PID)]!;
      for (let r = 0; r < this.max; r++) {
        if (r === row || i[this.at(r, ProcRow.STATE)] === ProcState.FREE || i[this.at(r, ProcRow.PPID)] !== pid) continue;
        if (i[this.at(r, ProcRow.STATE)] === ProcState.ZOMBIE) Atomics.store(i, this.at(r, ProcRow.STATE), ProcState.FREE);
        else i[this.at(r, ProcRow.PPID)] = 0;
      }
      i[this.at(row, ProcRow.CODE)] = code;
      i[this.at(row, ProcRow.TERMSIG)] = termsig;
      const ppid = i[this.at(row, ProcRow.PPID)]!;
      Atomics.store(i, this.at(row, ProcRow.STATE), ppid === 0 ? ProcState.FREE : ProcState.ZOMBIE);
    } finally {
      this.unlock();
    }
    Atomics.add(i, ProcTableHeader.SEQ, 1);
    Atomics.notify(i, ProcTableHeader.SEQ);
  }

  /**
   * waitpid's search among the children of `ppid` (`pid` -1 for any): a reaped zombie, 'none' when no such
   * child exists (ECHILD), or 'running' when the matching children are all still running.
   */
  reap(ppid: number, pid: number): Zombie | 'none' | 'running' {
    const i = this.i32;
    this.lock();
    try {
      let any = false;
      for (let r = 0; r < this.max; r++) {
        const b = this.at(r, 0);
        const state = i[b + ProcRow.STATE]!;
        if (state === ProcState.FREE || i[b + ProcRow.PPID] !== ppid) continue;
        if (pid !== -1 && i[b + ProcRow.PID] !== pid) continue;
        any = true;
        if (state !== ProcState.ZOMBIE) continue;
        const z = { row: r, pid: i[b + ProcRow.PID]!, code: i[b + ProcRow.CODE]!, termsig: i[b + ProcRow.TERMSIG]! };
        Atomics.store(i, b + ProcRow.STATE, ProcState.FREE);
        return z;
      }
      return any ? 'running' : 'none';
    } finally {
      this.unlock();
    }
  }
}
