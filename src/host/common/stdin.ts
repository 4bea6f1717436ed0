/**
 * run()'s stdin option as a StdinSource served by the coordinator, in both hosts: a pull callback, a web
 * ReadableStream, an async iterable (a Node Readable), or fixed bytes.
 */
import type { StdinSource } from '../../process/stdin-server.js';
import type { ByteStream, StdinChunk, StdinOption } from './stdin-types.js';

export type { ByteStream, StdinCallback, StdinChunk, StdinOption } from './stdin-types.js';

const enc = new TextEncoder();
const DEFAULT_PULL = 65536;

function toBytes(c: Exclude<StdinChunk, null | undefined>): Uint8Array {
  if (typeof c === 'string') return enc.encode(c);
  if (c instanceof Uint8Array) return c;
  if (c instanceof ArrayBuffer) return new Uint8Array(c);
  throw new TypeError('weft: stdin chunks must be a string, Uint8Array or ArrayBuffer');
}

/**
 * A StdinSource that pulls from the page only when a thread is waiting: one pull per read or poll
 * request (the stdin server calls demand() for each), so read-ahead stays bounded.
 */
export class PullStdinSource implements StdinSource {
  private onData: ((chunk: Uint8Array) => void) | undefined;
  private onEnd: (() => void) | undefined;
  private onError: ((e: unknown) => void) | undefined;
  private wanted: number[] = [];
  private pulling = false;
  private done = false;

  constructor(
    private readonly pullFn: (max: number) => StdinChunk | Promise<StdinChunk>,
    private readonly cancel?: () => void,
  ) {}

  start(onData: (chunk: Uint8Array) => void, onEnd: () => void, onError: (e: unknown) => void): void {
    this.onData = onData;
    this.onEnd = onEnd;
    this.onError = onError;
    void this.pump();
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    this.wanted = [];
    try {
      this.cancel?.();
    } catch {
      // ignore
    }
  }

  /** A thread waits for stdin (max 0: a readiness poll). */
  demand(max: number): void {
    if (this.done) return;
    this.wanted.push(max > 0 ? max : DEFAULT_PULL);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pulling || !this.onData) return;
    this.pulling = true;
    try {
      while (!this.done && this.wanted.length > 0) {
        const max = this.wanted.shift()!;
        let chunk: StdinChunk;
        try {
          chunk = await this.pullFn(max);
        } catch (e) {
          if (this.done) return;
          this.done = true;
          this.onError!(e);
          return;
        }
        if (this.done) return;
        if (chunk === null || chunk === undefined) {
          this.done = true;
          this.onEnd!();
          return;
        }
        const bytes = toBytes(chunk);
        if (bytes.length === 0) {
          // Nothing yet: ask again shortly, for the same request.
          this.wanted.unshift(max);
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        this.onData(bytes);
      }
    } finally {
      this.pulling = false;
    }
  }
}

/** A source that delivers fixed bytes, then end of input. */
function fixedStdin(data: Uint8Array): StdinSource {
  let stopped = false;
  return {
    start(onData, onEnd) {
      queueMicrotask(() => {
        if (stopped) return;
        onData(data);
        onEnd();
      });
    },
    stop() {
      stopped = true;
    },
  };
}

/** Builds the stdin source for a run() option; undefined for no stdin (reads see end of input). */
export function stdinSource(o: StdinOption | undefined): { source: StdinSource; pull?: PullStdinSource } | undefined {
  if (o === undefined || o === 'ignore') return undefined;
  if (typeof o === 'string' || o instanceof Uint8Array) {
    return { source: fixedStdin(typeof o === 'string' ? enc.encode(o) : o) };
  }
  if (typeof o === 'function') {
    const pull = new PullStdinSource(o);
    return { source: pull, pull };
  }
  if (typeof (o as ByteStream).getReader === 'function') {
    const stream = o as ByteStream;
    let reader: ReturnType<ByteStream['getReader']> | undefined;
    return pulling(async () => {
      reader ??= stream.getReader();
      const { value, done } = await reader.read();
      return done ? null : value;
    }, () => void reader?.cancel().catch(() => {}));
  }
  if (o && typeof (o as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    let it: AsyncIterator<Uint8Array | string> | undefined;
    return pulling(async () => {
      it ??= (o as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
      const r = await it.next();
      return r.done ? null : r.value;
    }, () => void it?.return?.()?.catch(() => {}));
  }
  throw new TypeError('weft: stdin must be a callback, a ReadableStream, an async iterable (e.g. a Node Readable), a string, a Uint8Array or "ignore"');
}

/**
 * A source pulling chunks from `next` (null at the end), skipping empty ones; `cancel` runs when the
 * program is done with stdin (the stream is cancelled only if it was read at all).
 */
function pulling(next: () => Promise<StdinChunk>, cancel: () => void): { source: StdinSource; pull: PullStdinSource } {
  const pull = new PullStdinSource(async () => {
    for (;;) {
      const chunk = await next();
      if (chunk === null || chunk === undefined) return null;
      const b = toBytes(chunk);
      if (b.length > 0) return b;
    }
  }, cancel);
  return { source: pull, pull };
}
