/**
 * A per-worker request/reply channel for the few syscalls that must be served by the coordinator
 * (reads from a stdin pipe, stdin readiness). The worker posts a message and waits on the channel's
 * state word with Atomics.wait — which, unlike a blocking host read, Worker.terminate() interrupts.
 *
 * STATE holds the sequence number of the request in flight; the coordinator replies by swapping it to
 * its negation, so a late reply to a cancelled request can never complete a newer one.
 */
export const Chan = {
  STATE: 0,
  RESULT: 1,
  SEQ: 2,
  HEADER_BYTES: 16,
  DATA_BYTES: 64 * 1024,
} as const;

/**
 * Channels of ended processes whose workers are gone or parked (nothing writes them any more). A fresh one
 * costs ~0.2 ms of page faults on a VM (64 KiB zeroed by the allocator), once per process a shell starts.
 */
const spares: SharedArrayBuffer[] = [];
const MAX_SPARES = 16;

export function createChannel(): SharedArrayBuffer {
  const sab = spares.pop();
  if (!sab) return new SharedArrayBuffer(Chan.HEADER_BYTES + Chan.DATA_BYTES);
  new Int32Array(sab, 0, Chan.HEADER_BYTES / 4).fill(0); // as new: no request in flight, sequence 0
  return sab;
}

/** Gives back a channel no worker uses and no reply is still due on (a late reply would land in the next). */
export function recycleChannel(sab: SharedArrayBuffer): void {
  if (spares.length < MAX_SPARES && !spares.includes(sab)) spares.push(sab);
}

/** Worker side. */
export class ChannelClient {
  readonly i32: Int32Array;
  readonly data: Uint8Array;
  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab, 0, Chan.HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, Chan.HEADER_BYTES);
  }

  /** Starts a request; returns its sequence number to put in the message. */
  begin(): number {
    const seq = (this.i32[Chan.SEQ]! % 0x3fffffff) + 1;
    this.i32[Chan.SEQ] = seq;
    Atomics.store(this.i32, Chan.STATE, seq);
    return seq;
  }

  /** Waits for the reply (or timeoutMs); returns the result, or undefined on timeout (request cancelled). */
  wait(seq: number, timeoutMs = Infinity): number | undefined {
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      const left = deadline === Infinity ? Infinity : deadline - performance.now();
      if (left <= 0) {
        if (Atomics.compareExchange(this.i32, Chan.STATE, seq, 0) === seq) return undefined;
      } else {
        Atomics.wait(this.i32, Chan.STATE, seq, left);
      }
      if (Atomics.load(this.i32, Chan.STATE) === -seq) {
        Atomics.store(this.i32, Chan.STATE, 0);
        return this.i32[Chan.RESULT]!;
      }
    }
  }
}

/** Coordinator side: completes request seq if it is still the one in flight. */
export function replyChannel(sab: SharedArrayBuffer, seq: number, result: number, data?: Uint8Array): boolean {
  const i32 = new Int32Array(sab, 0, Chan.HEADER_BYTES / 4);
  if (Atomics.load(i32, Chan.STATE) !== seq) return false;
  if (data) new Uint8Array(sab, Chan.HEADER_BYTES).set(data);
  i32[Chan.RESULT] = result;
  if (Atomics.compareExchange(i32, Chan.STATE, seq, -seq) !== seq) return false;
  Atomics.notify(i32, Chan.STATE);
  return true;
}
