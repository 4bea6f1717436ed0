import type { StdinSource } from '../../process/stdin-server.js';

export type StdinChunk = Uint8Array | ArrayBuffer | string | null | undefined;

/**
 * Supplies stdin on demand: called when a thread reads stdin and nothing is buffered, with the most
 * bytes the read wants. Return bytes or text (more is fine: it is buffered), null/undefined at end of
 * input, or a promise of either; the reading thread (only it) blocks until the promise settles. An
 * empty chunk means "nothing yet": the callback is asked again shortly.
 */
export type StdinCallback = (max: number) => StdinChunk | Promise<StdinChunk>;

/** What `run()` takes as stdin. */
// 'ignore' is a string too, named for whoever reads the type.
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
export type StdinOption = StdinCallback | ReadableStream<Uint8Array | string> | string | Uint8Array | 'ignore';

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
 * request (demand() is called by the coordinator host for each), so read-ahead stays bounded.
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
export function fixedStdin(data: Uint8Array): StdinSource {
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
  if (typeof (o as ReadableStream).getReader === 'function') {
    const stream = o as ReadableStream<Uint8Array | string>;
    let reader: ReadableStreamDefaultReader<Uint8Array | string> | undefined;
    const pull = new PullStdinSource(
      async () => {
        reader ??= stream.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return null;
          const b = toBytes(value);
          if (b.length > 0) return b;
        }
      },
      // The program is done with stdin: cancel the stream (locked only if it was read at all).
      () => void reader?.cancel().catch(() => {}),
    );
    return { source: pull, pull };
  }
  throw new TypeError('weft: stdin must be a callback, a ReadableStream, a string, a Uint8Array or "ignore"');
}
