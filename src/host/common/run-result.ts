/**
 * What Node's and the browser's `run()` share: the result object, output capture and AbortSignal
 * handling. Nothing here uses Node built-ins or DOM-only APIs.
 */

/** What `run()` resolves to, in Node and in browsers. */
export interface RunResult {
  /** The program's exit status: proc_exit's code, 0 when `_start` returns, 134 after a trap, 128+n for signal n. */
  exitCode: number;
  /** Everything the program wrote to stdout, with `stdout: 'capture'`. */
  stdout?: Uint8Array;
  /** Everything the program wrote to stderr, with `stderr: 'capture'`. */
  stderr?: Uint8Array;
  /** With `invoke`: the function's results (i64 as BigInt); absent when it did not return (exit, trap). */
  results?: (number | bigint)[];
}

/** Collects an output stream's bytes for RunResult.stdout/stderr. */
export class Capture {
  private chunks: Uint8Array[] = [];
  private size = 0;
  readonly write = (data: Uint8Array): void => {
    // The data may be a view of a buffer the runtime reuses: keep a copy.
    this.chunks.push(data.slice());
    this.size += data.length;
  };

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** The exit status of a program ended by aborting its run() (as if by SIGINT). */
export const ABORT_EXIT_CODE = 130;

/** The reason run() rejects with once `signal` aborted it (an AbortError DOMException unless one was given). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('weft: run() was aborted', 'AbortError');
}

/**
 * Kills the program once when `signal` aborts (or at fire(), for an abort noticed otherwise); aborted()
 * tells whether it did. dispose() stops listening.
 */
export function killOnAbort(signal: AbortSignal | undefined, kill: () => void): { fire(): void; aborted(): boolean; dispose(): void } {
  let aborted = false;
  const fire = (): void => {
    if (aborted) return;
    aborted = true;
    kill();
  };
  signal?.addEventListener('abort', fire, { once: true });
  return { fire, aborted: () => aborted, dispose: () => signal?.removeEventListener('abort', fire) };
}

/** Rejects at once when `signal` is already aborted: nothing has started. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** Throws a TypeError unless `cwd` is an absolute guest path (or undefined). */
export function checkCwd(cwd: string | undefined): void {
  if (cwd !== undefined && (typeof cwd !== 'string' || !cwd.startsWith('/'))) {
    throw new TypeError(`weft: cwd must be an absolute path in the program's filesystem (got ${JSON.stringify(cwd)})`);
  }
}
