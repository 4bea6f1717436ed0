/**
 * The Node entry's public option types (weft, weft/napi), apart from the code that reads them, so the
 * published types reach nothing of the kernel and need no DOM lib (WebAssembly's types live there).
 */
import type { BackendDescriptor } from '../../fs/backend.js';
import type { WasmModule } from '../../abi/wasm-types.js';
import type { StdinOption } from '../common/stdin-types.js';
import type { InvokeOptions, UserImports } from '../../process/link-types.js';

export type { RunResult } from '../common/run-result.js';
export type { InvokeOptions, UserImportContext, UserImports } from '../../process/link-types.js';

/** Options shared by `run()` and the `WASI` class. */
export interface CommonOptions {
  /** argv of the program (argv[0] included). */
  args?: string[] | undefined;
  /** Environment, as an object or as "K=V" strings. */
  env?: Record<string, string | undefined> | string[] | undefined;
  /**
   * Directories the program may reach, keyed by the name it sees: a host path (as node:wasi takes),
   * `{ path, readOnly }`, or a backend descriptor such as `memoryFs.dir('/data')`.
   */
  preopens?: Record<string, string | { path: string; readOnly?: boolean | undefined } | BackendDescriptor> | undefined;
  /**
   * Log every syscall (pid, tid, time, decoded arguments, result, duration; blocking calls when they start
   * and when they return) and thread/process events: true for stderr, or a file path.
   */
  trace?: boolean | string | undefined;
}

export interface WASIOptions extends CommonOptions {
  version?: 'preview1' | 'unstable' | undefined;
  /** Return the exit code from start() instead of ending the Node process (default true). */
  returnOnExit?: boolean | undefined;
  stdin?: number | undefined;
  stdout?: number | undefined;
  stderr?: number | undefined;
}

/** An entry of a WASI object's import object. */
export type ImportFn = (...args: never[]) => unknown;
/**
 * A program: a file path, a URL (file:, http(s):, data:), its bytes, a compiled WebAssembly.Module (alone
 * when it defines its own memory; one importing its memory needs its bytes for the limits), or both
 * as `{ module, bytes }`.
 */
export type WasmSource = Uint8Array | ArrayBuffer | string | URL | WasmModule | { module: WasmModule; bytes: Uint8Array | ArrayBuffer };

/** Where stdout/stderr go: a host fd (default 1/2), 'ignore', 'capture' (RunResult.stdout/stderr), or a callback per write. */
export type OutputOption = number | 'ignore' | 'capture' | ((data: Uint8Array) => void);

export interface RunOptions extends CommonOptions {
  /**
   * A host fd to read (default 0), 'ignore' (end of input), text or bytes to feed, a Node Readable or any
   * async iterable of chunks, a web ReadableStream, or a callback `(max) => chunk | null | Promise<...>`.
   */
  stdin?: number | StdinOption | undefined;
  stdout?: OutputOption | undefined;
  stderr?: OutputOption | undefined;
  /** Most wasm threads alive at once, the main thread included (default 256). */
  maxThreads?: number | undefined;
  /** Most processes of a WASIX process tree alive at once, the first included (default 64). */
  maxProcesses?: number | undefined;
  /**
   * Pooled workers booted ahead of demand (default 1). With 2, a program that spawns two threads at once
   * finds both booted; each extra Worker boot costs tens of ms of CPU at start.
   */
  spareWorkers?: number | undefined;
  /**
   * Run a single-threaded preview1 command on the calling thread instead of a Worker when nothing needs
   * one (no threads, no WASIX, stdin a file/host fd/'ignore', no `imports`, no `signal`). Faster to
   * start, but it blocks the event loop until the program ends. Default false; the CLI sets it.
   */
  sameThread?: boolean | undefined;
  /**
   * Network access of WASIX sockets (off by default): true for everything, or a list of "HOST:PORT"
   * (host an IP literal, 'localhost' or '*'; port 0 or '*' for any).
   */
  net?: boolean | string[] | undefined;
  /**
   * Listening TCP sockets handed to the program, as Wasmtime's --tcplisten: "HOST:PORT" each, placed at
   * the fds after the preopened directories (accept them with sock_accept).
   */
  tcpListen?: string[] | undefined;
  /**
   * Aborting ends the program: every thread's worker is terminated, then run() rejects with the signal's
   * reason (an AbortError DOMException unless abort() was given one). Already aborted: rejects at once.
   */
  signal?: AbortSignal | undefined;
  /** Functions for imports weft does not serve (see UserImports): `{ env: { get_answer: () => 42 } }`. */
  imports?: UserImports | undefined;
  /**
   * Run a module that imports functions neither weft nor `imports` provides: they trap, naming
   * themselves, when called. Without it run() rejects with UnknownImportsError before anything starts.
   */
  allowUnknownImports?: boolean | undefined;
  /** The directory (a guest path) a WASIX program starts in (default '/'); preview1 has no kernel cwd. */
  cwd?: string | undefined;
  /**
   * Call this exported function instead of `_start`, after `_initialize` when the module exports it (a
   * reactor), as `wasmtime run --invoke`; RunResult.results has what it returned.
   */
  invoke?: InvokeOptions | undefined;
  /**
   * /dev (null, zero, full, random, urandom, stdin/stdout/stderr, fd/N, and tty when stdin is a
   * terminal) mounted after the preopens, which keep fds 3, 4, ...: default true, except for a preview1
   * module given tcpListen sockets (they come right after the preopens, where Wasmtime puts them, and
   * wasi-libc stops looking for preopens at the first fd that is none); a preopen of your own at '/dev'
   * replaces it.
   */
  dev?: boolean | undefined;
  /**
   * At exit, write strace -c's table (calls, errors, total and mean time per syscall) to stderr, or to the
   * `trace` file when one is given; 'threads' writes one table per thread.
   */
  traceSummary?: boolean | 'threads' | undefined;
  /**
   * Write a Chrome Trace Event Format file (open in chrome://tracing or ui.perfetto.dev): one track per
   * wasm thread, grouped by process; a slice per syscall, blocking waits in category 'wait'. A name
   * ending in .html gets the events as a self-contained timeline page instead (docs/trace.md).
   */
  profile?: string | undefined;
}
