/**
 * The Node entry's public option types (weft, weft/napi), apart from the code that reads them, so the
 * published types reach nothing of the kernel and need no DOM lib (WebAssembly's types live there).
 */
import type { BackendDescriptor } from '../../fs/backend.js';

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
  /** Log every syscall (thread id, arguments, result, duration): true for stderr, or a file path. */
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
/** A module to run: bytes, or a path or URL of a .wasm file. */
export type WasmSource = Uint8Array | ArrayBuffer | string | URL;

export type OutputOption = number | 'ignore' | ((data: Uint8Array) => void);

export interface RunOptions extends CommonOptions {
  /** Host fd to read (default 0), 'ignore' for an empty stdin, or a string/bytes to feed. */
  // 'ignore' is a string too, named for whoever reads the type.
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
  stdin?: number | 'ignore' | string | Uint8Array | undefined;
  /** Host fd (default 1/2), 'ignore', or a callback receiving each write. */
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
   * one (no threads, no WASIX, stdin a file/host fd/'ignore'). Faster to start, but it blocks the event
   * loop until the program ends. Default false; the CLI sets it.
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
}
