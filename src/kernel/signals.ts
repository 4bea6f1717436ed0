import { WASIX_IGNORED_BY_DEFAULT, WASIX_MAX_SIGNAL, WasixSignal } from '../abi/wasix.js';
import { Ctl, Slot, type Control } from './shared/control-block.js';
import type { Kernel } from './kernel.js';
import { WasixHeader, type WasixState } from './shared/wasix-state.js';

/**
 * WASIX signals. Pending signals are a bitmask per worker slot in the control block, so any thread (or
 * the coordinator's interval timer) can raise one for any thread with one atomic OR. The target thread
 * delivers them at its next syscall boundary (after the call returns, as Wasmer does) by calling the
 * export the program registered with callback_signal (wasix-libc: `__wasm_signal`), which runs the
 * handler or the libc's default action. While the registered name is not exported (wasix-libc's way of
 * blocking signals) they stay pending. A program that never registered a callback gets the default
 * action from the kernel: ignore for CHLD/CONT/URG/WINCH, otherwise end the process with 128 + sig.
 */
export class SignalDelivery {
  private readonly i32: Int32Array;
  private readonly pendingWord: number;
  private handlerGen = -1;
  private handler: ((sig: number) => void) | null | undefined;
  private delivering = false;

  /** Is this thread inside a signal handler the kernel called (a JS frame between two parts of its wasm stack)? */
  get inHandler(): boolean {
    return this.delivering;
  }

  constructor(private readonly k: Kernel, private readonly st: WasixState) {
    this.i32 = k.ctl.i32;
    this.pendingWord = k.ctl.slotIndex(k.slot, Slot.SIGNALS);
  }

  /**
   * Is anything pending for this thread? Called after every syscall, so a plain read of the shared word
   * (Atomics.load is a builtin call in V8's optimising tier); deliver() then reads it atomically.
   */
  pending(): boolean {
    return this.i32[this.pendingWord] !== 0;
  }

  /** Marks sig pending on worker slot `slot`, waking its thread if it is blocked in futex_wait. */
  raiseSlot(slot: number, sig: number): void {
    raiseSignal(this.k.ctl, this.k.mem?.sync().i32, slot, sig);
  }

  raiseSelf(sig: number): void {
    Atomics.or(this.i32, this.pendingWord, 1 << sig);
  }

  /** The registered callback: a function, null when never registered, undefined when not exported (blocked). */
  private callback(): ((sig: number) => void) | null | undefined {
    const gen = Atomics.load(this.st.i32, WasixHeader.HANDLER_GEN);
    if (gen !== this.handlerGen) {
      this.handlerGen = gen;
      const name = this.st.handlerName();
      if (name === null) this.handler = null;
      else {
        const f = this.k.instance?.exports[name];
        this.handler = typeof f === 'function' ? (f as (sig: number) => void) : undefined;
      }
    }
    return this.handler;
  }

  /** Delivers this thread's pending signals (at a syscall boundary). */
  deliver(): void {
    // Not while a fork/setjmp unwind is under way (the wasm stack is half saved; it is delivered later).
    if (this.delivering || !this.k.instance || this.k.resumable.pending) return;
    this.delivering = true;
    try {
      for (;;) {
        const bits = Atomics.load(this.i32, this.pendingWord);
        if (bits === 0) return;
        const sig = 31 - Math.clz32(bits & -bits); // lowest pending signal first
        const cb = this.callback();
        if (cb === undefined && sig !== WasixSignal.KILL) return; // blocked: keep pending
        Atomics.and(this.i32, this.pendingWord, ~(1 << sig));
        if (sig === WasixSignal.KILL || cb === null) {
          if (WASIX_IGNORED_BY_DEFAULT.has(sig)) continue;
          this.k.host.log(`weft: thread ${this.k.tid} terminated by signal ${sig}`);
          Atomics.compareExchange(this.i32, Ctl.TERM_SIG, 0, sig);
          this.k.exit(128 + sig);
        }
        this.k.checkAlive();
        try {
          cb!(sig);
        } catch (e) {
          // wasix-libc's __wasm_signal runs the default action through a hook that is only installed once
          // the program has called signal()/sigaction(); before that a signal with the default action
          // traps on a null function pointer. Do the default action here instead.
          if (!(e instanceof WebAssembly.RuntimeError) || !/null|indirect/i.test(e.message)) throw e;
          if (WASIX_IGNORED_BY_DEFAULT.has(sig)) continue;
          this.k.host.log(`weft: thread ${this.k.tid} terminated by signal ${sig}`);
          Atomics.compareExchange(this.i32, Ctl.TERM_SIG, 0, sig);
          this.k.exit(128 + sig);
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}

/** Valid WASIX signal number for raising (0 is "check only"). */
export function validSignal(sig: number): boolean {
  return sig >>> 0 <= WASIX_MAX_SIGNAL;
}

/**
 * Slot that process-directed signals go to: the main thread's, or the first live thread's once main has
 * exited (`fallback` when none is live).
 */
export function processSignalSlot(ctl: Control, fallback = 0): number {
  const i = ctl.i32;
  if (Atomics.load(i, Ctl.MAIN_GONE) === 0) return 0;
  for (let s = 0; s < ctl.layout.slots; s++) if (Atomics.load(i, ctl.slotIndex(s, Slot.TID)) !== 0) return s;
  return fallback;
}

/**
 * Marks sig pending for the thread in `slot` and, when that thread is blocked in futex_wait, wakes the
 * waiters of that word (the others see a spurious wake-up and wait again). Used by threads and by the
 * coordinator's interval timer. `guest` is an Int32Array over the shared guest memory, if any.
 */
export function raiseSignal(ctl: Control, guest: Int32Array | undefined, slot: number, sig: number): void {
  Atomics.or(ctl.i32, ctl.slotIndex(slot, Slot.SIGNALS), 1 << sig);
  const w = Atomics.load(ctl.i32, ctl.slotIndex(slot, Slot.WAIT_ADDR));
  if (w !== 0 && guest) {
    const addr = (w >>> 0) - 1;
    if (addr + 4 <= guest.byteLength) Atomics.notify(guest, addr >> 2);
  }
}
