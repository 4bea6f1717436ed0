import { functionSignatures, inspectModule, type FunctionSignatures, type ModuleInfo } from '../../abi/wasm-module.js';
import type { BackendDescriptor } from '../../fs/backend.js';
import { lockedMemoryFilesystems, recoverMemoryFilesystems } from '../../fs/memfs/recover.js';
import type { PreopenConfig, StdioTarget } from '../../kernel/config.js';
import { createFdTable } from '../../kernel/setup.js';
import { DEFAULT_MAX_PROCESSES, treeFdRegions, WeftSystem } from '../../process/process-tree.js';
import { MemoryFsBackend } from '../../fs/memfs/backend.js';
import { browserNetOwner, type ConnectHook } from './remote-sockets.js';
import { openBrowserBackend } from './backends.js';
import { BrowserCoordinatorHost } from './coordinator-host.js';
import { refillWarmPool } from './warm-pool.js';
import { checkEnvironment, compileError } from './environment.js';
import { lines } from './lines.js';
import { stdinSource, type StdinOption } from '../common/stdin.js';
import { ABORT_EXIT_CODE, abortReason, Capture, checkCwd, killOnAbort, type RunResult, throwIfAborted } from '../common/run-result.js';
import { checkEntry, type InvokeOptions, planImports, type UserImports } from '../../process/link.js';
import type { WasmModule } from '../../abi/wasm-types.js';

export type { RunResult } from '../common/run-result.js';
export type { InvokeOptions, UserImportContext, UserImports } from '../../process/link.js';

/**
 * A wasm program: a fetch() response (or its promise), bytes, a URL to fetch, a compiled WebAssembly.Module
 * (alone when it defines its own memory; one importing its memory needs its bytes for the limits), or
 * both as `{ module, bytes }`.
 */
export type WasmSource =
  | Response
  | Promise<Response>
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | WasmModule
  | { module: WasmModule; bytes: ArrayBuffer | ArrayBufferView };

/** Receives each write to stdout/stderr as bytes (see `lines()` to get decoded lines). */
export type OutputCallback = (data: Uint8Array) => void;

export interface RunOptions {
  /** argv of the program (argv[0] included; default ['main.wasm']). */
  args?: string[] | undefined;
  /** Environment, as an object or as "K=V" strings. */
  env?: Record<string, string | undefined> | string[] | undefined;
  /** Directories the program may reach, keyed by the name it sees: `{ '/data': memoryFs.dir('/data') }`. */
  preopens?: Record<string, BackendDescriptor> | undefined;
  /**
   * stdin: a callback `(max) => bytes | string | null | Promise<...>` asked whenever a thread waits for
   * input (null = end of input), a ReadableStream, fixed text/bytes, or 'ignore' (the default: empty).
   */
  stdin?: StdinOption | undefined;
  /**
   * stdout: a bytes callback, 'ignore', or 'capture' (RunResult.stdout). Without stdout or stdoutLine,
   * lines go to console.log.
   */
  stdout?: OutputCallback | 'ignore' | 'capture' | undefined;
  /** stderr: as stdout (RunResult.stderr; trap reports included). Without it or stderrLine, lines go to console.error. */
  stderr?: OutputCallback | 'ignore' | 'capture' | undefined;
  /** Called with each decoded line of stdout (without '\n'). */
  stdoutLine?: ((line: string) => void) | undefined;
  /** Called with each decoded line of stderr (without '\n'). */
  stderrLine?: ((line: string) => void) | undefined;
  /** Most wasm threads alive at once, the main thread included (default 256). */
  maxThreads?: number | undefined;
  /** Most processes of a WASIX process tree (fork, posix_spawn) alive at once, the first included (default 64). */
  maxProcesses?: number | undefined;
  /**
   * Pooled workers kept booted beyond current demand (default 2: a Web Worker takes 50-400 ms to boot,
   * so the first two spawns, even back to back, find one ready). A program about to spawn N threads at
   * once starts faster with N.
   */
  spareWorkers?: number | undefined;
  /** Log every syscall (to console and stderr). */
  trace?: boolean | undefined;
  /**
   * WASIX sockets. The page has no host network: sockets between the program's threads over 127.0.0.1
   * (and ::1) work in-process; connecting anywhere else gives ENETUNREACH. On by default (nothing leaves
   * the page); false turns sockets off (EACCES).
   */
  net?: boolean | undefined;
  /**
   * Lets connect() reach addresses outside the page: called with the textual IP and port, resolves to a
   * byte stream ({ readable, writable }, e.g. bridged to a WebSocket relay) or rejects (ECONNREFUSED).
   */
  netConnect?: ConnectHook | undefined;
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
  /** The directory a WASIX program starts in (default '/'); preview1 has no kernel cwd. */
  cwd?: string | undefined;
  /**
   * Call this exported function instead of `_start`, after `_initialize` when the module exports it (a
   * reactor), as `wasmtime run --invoke`; RunResult.results has what it returned.
   */
  invoke?: InvokeOptions | undefined;
}

function isView(x: unknown): x is ArrayBufferView {
  return ArrayBuffer.isView(x);
}

function viewBytes(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  const u8 = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer as ArrayBuffer, v.byteOffset, v.byteLength);
  // TextDecoder (module names) and WebAssembly.compile want unshared bytes.
  return typeof SharedArrayBuffer !== 'undefined' && u8.buffer instanceof SharedArrayBuffer ? u8.slice() : u8;
}

async function load(src: WasmSource, signal: AbortSignal | undefined): Promise<{ bytes: Uint8Array | undefined; module?: WebAssembly.Module }> {
  if (src instanceof WebAssembly.Module) return { bytes: undefined, module: src };
  if (typeof src === 'string' || src instanceof URL) src = fetch(src, signal ? { signal } : {});
  if (src instanceof Promise || src instanceof Response) {
    const r = await src;
    if (!r.ok) throw new Error(`weft: fetching ${r.url || 'the module'} failed: HTTP ${r.status} ${r.statusText}`);
    return { bytes: new Uint8Array(await r.arrayBuffer()) };
  }
  if (src instanceof ArrayBuffer || isView(src)) return { bytes: viewBytes(src) };
  if (src && typeof src === 'object' && 'module' in src && src.module instanceof WebAssembly.Module) {
    return { bytes: viewBytes(src.bytes), module: src.module };
  }
  throw new TypeError('weft: unsupported wasm source (expected a Response, bytes, a URL, a WebAssembly.Module, or { module, bytes })');
}

function envList(env: RunOptions['env']): string[] {
  if (!env) return [];
  if (Array.isArray(env)) return env;
  return Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
}

function preopenList(preopens: RunOptions['preopens']): PreopenConfig[] {
  return Object.entries(preopens ?? {}).map(([guestPath, backend]) => {
    if (!backend || typeof backend !== 'object' || !('kind' in backend)) {
      throw new TypeError(`weft: preopen ${guestPath} must be a descriptor from MemoryFS.dir()`);
    }
    if (backend.kind !== 'memory') {
      throw new TypeError(`weft: preopen ${guestPath}: '${backend.kind}' filesystems are not available in browsers (use MemoryFS)`);
    }
    return { guestPath, backend };
  });
}

interface Sink {
  target: StdioTarget;
  capture?: Capture | undefined;
  write?: (data: Uint8Array) => void;
  flush(): void;
  /** Output goes to the console only (diagnostics need not be logged there twice). */
  consoleOnly: boolean;
}

function outputSink(
  cb: OutputCallback | 'ignore' | 'capture' | undefined,
  lineCb: ((line: string) => void) | undefined,
  fallback: (line: string) => void,
): Sink {
  if (cb === 'ignore' && !lineCb) return { target: { kind: 'null' }, flush() {}, consoleOnly: false };
  const parts: ((data: Uint8Array) => void)[] = [];
  const flushes: (() => void)[] = [];
  const capture = cb === 'capture' ? new Capture() : undefined;
  if (capture) parts.push(capture.write);
  if (typeof cb === 'function') {
    parts.push(cb);
    const f = (cb as { flush?: () => void }).flush;
    if (typeof f === 'function') flushes.push(() => f.call(cb));
  }
  const consoleOnly = cb === undefined && !lineCb;
  const lc = lineCb ?? (consoleOnly ? fallback : undefined);
  if (lc) {
    const l = lines(lc);
    parts.push(l);
    flushes.push(l.flush);
  }
  return {
    target: { kind: 'callback' },
    write: parts.length === 1 ? parts[0]! : (d) => parts.forEach((p) => p(d)),
    flush: () => flushes.forEach((f) => f()),
    consoleOnly,
    capture,
  };
}

/**
 * A worker terminated inside an in-memory filesystem operation leaves its lock held (the page would
 * then spin on it): roll such an operation back once the process is gone. Browsers stop a terminated
 * worker asynchronously, so give it a moment first.
 */
async function recoverFilesystems(preopens: PreopenConfig[]): Promise<void> {
  const descriptors = preopens.map((p) => p.backend);
  if (lockedMemoryFilesystems(descriptors).length === 0) return;
  await new Promise((r) => setTimeout(r, 50));
  recoverMemoryFilesystems(descriptors);
}

/**
 * Runs a WASI command (preview1, wasi-threads or WASIX) in this page with real threads: every wasm
 * thread in its own Web Worker over one shared memory, fd table and in-memory filesystem. The page
 * never blocks. Resolves once every worker is gone. Rejects before anything runs with NotACommandError,
 * UnknownImportsError or InvokeError (see ../errors.ts).
 */
export async function run(source: WasmSource, options: RunOptions = {}): Promise<RunResult> {
  const signal = options.signal;
  throwIfAborted(signal);
  checkCwd(options.cwd);
  await checkEnvironment();
  const loaded = await load(source, signal);
  const bytes = loaded.bytes;
  let module = loaded.module;
  if (!module) {
    try {
      module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw compileError(e);
    }
  }
  const info = inspectModule(bytes, module);
  const sigs = bytes ? functionSignatures(bytes) : undefined;
  const invoke = checkEntry(info.exports, sigs, options.invoke);
  const imports = planImports(module, sigs, options.imports, !!options.allowUnknownImports);
  throwIfAborted(signal);

  const out = outputSink(options.stdout, options.stdoutLine, (l) => console.log(l));
  const err = outputSink(options.stderr, options.stderrLine, (l) => console.error(l));
  const stdin = stdinSource(options.stdin);
  const stdio: [StdioTarget, StdioTarget, StdioTarget] = [
    stdin ? { kind: 'served' } : { kind: 'null' }, out.target, err.target,
  ];
  const preopens = preopenList(options.preopens);
  const maxProcesses = Math.max(1, options.maxProcesses ?? DEFAULT_MAX_PROCESSES);
  const fds = createFdTable(stdio, preopens, (p) => openBrowserBackend(p.backend), treeFdRegions(info, maxProcesses));
  const enc = new TextEncoder();
  const host = new BrowserCoordinatorHost({
    output: (fd, data) => (fd === 1 ? out : err).write?.(data),
    log: (line) => {
      // Diagnostics (trap reports, trace) go to the console and to the program's stderr.
      if (!err.consoleOnly) console.error(line);
      err.write?.(enc.encode(line + '\n'));
    },
  });
  // Programs started by fork/posix_spawn/exec: read from the MemoryFS by the calling thread, compiled here.
  const compile = async (b: Uint8Array): Promise<{ module: WebAssembly.Module; info: ModuleInfo; sigs: FunctionSignatures }> => {
    const m = await WebAssembly.compile(b as Uint8Array<ArrayBuffer>);
    return { module: m, info: inspectModule(b, m), sigs: functionSignatures(b) };
  };
  let results: (number | bigint)[] | undefined;
  const proc = new WeftSystem(host, { compile, openBackend: (d) => new MemoryFsBackend(d as Extract<BackendDescriptor, { kind: 'memory' }>, { canBlock: false }) }, {
    module, info, maxThreads: options.maxThreads ?? 256, stdin: stdin?.source, spareWorkers: options.spareWorkers ?? 2,
    net: options.netConnect && options.net !== false ? browserNetOwner(options.netConnect) : undefined,
    netRemoteOnly: true,
    kernel: {
      args: options.args ?? ['main.wasm'], env: envList(options.env), stdio, preopens, fdSab: fds.sab,
      clockBaseMs: performance.timeOrigin + performance.now(), trace: !!options.trace,
      net: options.net === false ? undefined : { all: true, allow: [] }, imports, invoke,
    },
    cwd: options.cwd, userImports: options.imports, onResults: (r) => (results = r),
  }, { maxProcesses });
  const abort = killOnAbort(signal, () => void proc.kill(ABORT_EXIT_CODE));
  try {
    const exitCode = await proc.start();
    await recoverFilesystems(preopens);
    if (abort.aborted()) throw abortReason(signal!);
    return {
      exitCode,
      ...(out.capture && { stdout: out.capture.bytes() }),
      ...(err.capture && { stderr: err.capture.bytes() }),
      ...(results && { results }),
    };
  } finally {
    abort.dispose();
    out.flush();
    err.flush();
    refillWarmPool();
  }
}
