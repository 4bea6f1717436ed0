import { Errno, WasiError } from '../abi/errno.js';

/**
 * Asyncify-based stack capture for WASIX fork and setjmp/longjmp. A module run through
 * `wasm-opt --asyncify` exports asyncify_{start,stop}_{unwind,rewind}: an import that wants the stack
 * starts an unwind and returns; every wasm frame then saves its locals into a buffer in linear memory and
 * returns, up to the thread's entry function. The runtime does the work that needed the stack (copy the
 * memory for a child, save a setjmp snapshot, swap in a longjmp target) and calls the entry again in
 * rewind mode: the frames are rebuilt from the buffer until the same import is called again, which then
 * finishes (`finish`) with the value the work produced. Per thread (one per worker).
 */
export interface AsyncifyExports {
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

const AsyncifyState = { NORMAL: 0, UNWINDING: 1, REWINDING: 2 } as const;

/** Bytes of the asyncify buffer (its own 8-byte header included): one wasm page. */
const ASYNCIFY_BUF_BYTES = 65536;

/** Work to do once the stack is unwound; returns what finishes the import when it is called again. */
export type AfterUnwind = (r: Resumable) => () => number;

/** A setjmp point: the asyncify data and stack pointer of the stack_checkpoint call, and its result pointer. */
export interface Snapshot { data: Uint8Array; end: number; sp: number; retPtr: number }

export class Resumable {
  /** This thread's setjmp points by id (the id is written into the jmp_buf); a forked child inherits them. */
  snapshots = new Map<number, Snapshot>();
  nextSnapshot = 1;
  /** Set by an import that started an unwind; taken by the runtime when the entry function returns. */
  pending: AfterUnwind | undefined;
  /** Set before a rewind: what the import returns when the rewind reaches it. */
  private onRewind: (() => number) | undefined;
  /** Address of the asyncify buffer in linear memory (0 until the first suspension needs one). */
  buf = 0;
  /** The thread's entry function and its arguments (rewinds call it again). */
  entry: { name: string; args: number[] } = { name: '_start', args: [] };

  constructor(private readonly instance: () => WebAssembly.Instance | undefined,
    private readonly memory: () => WebAssembly.Memory | undefined) {}

  exports(): AsyncifyExports | undefined {
    const ex = this.instance()?.exports as Partial<AsyncifyExports> | undefined;
    return ex && typeof ex.asyncify_start_unwind === 'function' ? (ex as AsyncifyExports) : undefined;
  }

  /** Is the current import call the end of a rewind (the second call of a suspending import)? */
  rewinding(): boolean {
    return this.onRewind !== undefined && this.exports()?.asyncify_get_state() === AsyncifyState.REWINDING;
  }

  /** Ends the rewind and returns the value the suspended work produced. */
  finish(): number {
    this.exports()!.asyncify_stop_rewind();
    const f = this.onRewind!;
    this.onRewind = undefined;
    return f();
  }

  /** Starts unwinding the thread's stack (ENOTSUP for a module built without asyncify). */
  suspend(after: AfterUnwind): number {
    const ex = this.exports();
    if (!ex) throw new WasiError(Errno.NOTSUP);
    if (this.buf === 0) {
      // A buffer of its own, past everything malloc owns (wasix-libc's sbrk asks memory.grow each time,
      // so growing here is invisible to it); kept for the thread's later suspensions.
      const mem = this.memory();
      if (!mem) throw new WasiError(Errno.NOTSUP);
      try {
        this.buf = mem.grow(ASYNCIFY_BUF_BYTES / 65536) * 65536;
      } catch {
        throw new WasiError(Errno.NOMEM);
      }
    }
    this.resetBuffer();
    this.pending = after;
    ex.asyncify_start_unwind(this.buf);
    return 0;
  }

  /** Empties the buffer: data starts after its 8-byte header {current, end}. */
  resetBuffer(): void {
    const dv = new DataView(this.memory()!.buffer);
    dv.setUint32(this.buf, this.buf + 8, true);
    dv.setUint32(this.buf + 4, this.buf + ASYNCIFY_BUF_BYTES, true);
  }

  /**
   * Runs the thread's entry function, serving suspensions: after each unwind, the pending work runs and
   * the entry is called again to rewind. Returns when the entry returns for real.
   */
  run(call: () => void): void {
    call();
    while (this.pending) {
      const after = this.pending;
      this.pending = undefined;
      const ex = this.exports()!;
      ex.asyncify_stop_unwind();
      this.onRewind = after(this);
      ex.asyncify_start_rewind(this.buf);
      call();
    }
  }

  /** Makes the next call of the entry function rewind into a suspended import that finishes with `f`. */
  prepareRewind(f: () => number): void {
    this.onRewind = f;
    this.exports()!.asyncify_start_rewind(this.buf);
  }
}

/** Where a forked child continues: the forking thread's entry, globals and asyncify buffer (in the copied memory). */
export interface ForkResume {
  entry: { name: string; args: number[] };
  stackPointer: number;
  tlsBase: number;
  buf: number;
  /** proc_fork's pid out-pointer (0 is written there in the child). */
  retPtr: number;
  /** The forking thread's setjmp points (a child may longjmp to one made before the fork). */
  snapshots: [number, Snapshot][];
  nextSnapshot: number;
}
