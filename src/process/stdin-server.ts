import { Errno } from '../abi/errno.js';
import { STDIN_EOF_BIT, STDIN_NOT_READY } from '../kernel/readiness.js';
import { Chan, replyChannel } from '../kernel/shared/channel.js';

/** Where served stdin bytes come from (a pipe or TTY on Node, a callback or stream in browsers). */
export interface StdinSource {
  /** Starts delivering chunks; called once, on the first read or poll. */
  start(onData: (chunk: Uint8Array) => void, onEnd: () => void, onError: (e: unknown) => void): void;
  /** Stops reading and releases the handle so the host can exit. */
  stop(): void;
  /** A thread waits for input (max bytes; 0 for a readiness poll): a source that pulls on demand pulls now. */
  demand?(max: number): void;
}

interface Pending {
  channel: SharedArrayBuffer;
  seq: number;
  max: number; // 0 for a readiness poll
}

/**
 * Serves stdin for every thread from the coordinator, so no wasm thread ever blocks in a host read
 * (a Worker stuck in a synchronous read cannot be terminated). Bytes are buffered here; reads are
 * answered in arrival order; readiness polls are answered when data or end-of-input arrives.
 */
export class StdinServer {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;
  private error = 0;
  private started = false;
  private reads: Pending[] = [];
  private polls: Pending[] = [];

  constructor(private readonly source: StdinSource) {}

  read(channel: SharedArrayBuffer, seq: number, max: number): void {
    this.reads.push({ channel, seq, max: Math.max(1, Math.min(max, Chan.DATA_BYTES)) });
    this.pump();
    this.source.demand?.(max);
  }

  poll(channel: SharedArrayBuffer, seq: number, peek = false): void {
    // A channel has one request in flight: an older poll on it timed out (a poll that also waits for
    // pipes or sockets asks again every few ms), so it is dropped rather than kept until stdin has data.
    this.polls = this.polls.filter((p) => p.channel !== channel);
    this.polls.push({ channel, seq, max: 0 });
    this.pump();
    this.source.demand?.(0);
    if (peek && this.polls.some((p) => p.channel === channel)) {
      // Nothing yet (the source is started now, so a later poll may find input): say so at once.
      this.polls = this.polls.filter((p) => p.channel !== channel);
      replyChannel(channel, seq, STDIN_NOT_READY);
    }
  }

  stop(): void {
    if (this.started) this.source.stop();
    this.reads = [];
    this.polls = [];
  }

  private pump(): void {
    if (this.buffered === 0 && !this.ended) {
      if (!this.started) {
        this.started = true;
        this.source.start(
          (chunk) => {
            if (chunk.length === 0) return;
            this.chunks.push(chunk);
            this.buffered += chunk.length;
            this.pump();
          },
          () => {
            this.ended = true;
            this.pump();
          },
          () => {
            this.ended = true;
            this.error = Errno.IO;
            this.pump();
          },
        );
      }
      return;
    }
    for (const p of this.polls) replyChannel(p.channel, p.seq, this.buffered | (this.ended ? STDIN_EOF_BIT : 0));
    this.polls = [];
    while (this.reads.length > 0 && (this.buffered > 0 || this.ended)) {
      const r = this.reads.shift()!;
      // Skip requests no longer waiting (their thread is gone) without consuming data for them.
      if (Atomics.load(new Int32Array(r.channel, 0, 1), Chan.STATE) !== r.seq) continue;
      if (this.buffered === 0) {
        replyChannel(r.channel, r.seq, this.error ? -this.error : 0);
        continue;
      }
      const out = this.take(r.max);
      replyChannel(r.channel, r.seq, out.length, out);
    }
  }

  private take(max: number): Uint8Array {
    const n = Math.min(max, this.buffered);
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
