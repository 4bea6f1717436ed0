import { fs } from './builtins.js';
import { functionSignatures, inspectModule, type FunctionSignatures, type ModuleInfo } from '../../abi/wasm-module.js';
import type { NetPolicy, StdioTarget } from '../../kernel/config.js';
import { nodeNetOwner } from './host-sockets.js';
import { parseIp } from '../../kernel/net-addr.js';
import { parseHostPort } from './host-port.js';
import { closeFdTable, createFdTable } from '../../kernel/setup.js';
import { withDevPreopen } from '../../kernel/devices.js';
import { DEFAULT_MAX_PROCESSES, treeFdRegions, WeftSystem } from '../../process/process-tree.js';
import type { StdinSource } from '../../process/stdin-server.js';
import { openNodeBackend } from './backends.js';
import { recoverMemoryFilesystems } from '../../fs/memfs/recover.js';
import { NodeCoordinatorHost, nodeStdinSource } from './coordinator-host.js';
import { bytesToCompile, engineReadyForThreads } from './engine.js';
import { canRunHere, runHere } from './run-here.js';
import { envList, fdTarget, preopenList, traceSetup } from './kernel-config.js';
import type { OutputOption, RunOptions, WasmSource } from './options.js';

export type { OutputOption, RunOptions, WasmSource } from './options.js';
import { writeAllSync } from './thread-host.js';
import { parseProfileEvents, profileHtml } from './profile-html.js';
import { TraceSummary } from '../../kernel/shared/trace-summary.js';
import { stdinSource } from '../common/stdin.js';
import { ABORT_EXIT_CODE, abortReason, Capture, checkCwd, killOnAbort, type RunResult, throwIfAborted } from '../common/run-result.js';
import { checkEntry, planImports } from '../../process/link.js';

export type { RunResult } from '../common/run-result.js';
export type { InvokeOptions, UserImportContext, UserImports } from '../../process/link.js';

// Declared on its own so the package entry can export it without loading run()'s coordinator.
export { InvokeError, NotACommandError, UnknownImportsError } from '../../process/errors.js';

/** The kernel's network policy from the `net` option. */
export function netPolicy(o: RunOptions['net']): NetPolicy | undefined {
  if (!o) return undefined;
  if (o === true) return { all: true, allow: [] };
  return {
    all: false,
    allow: o.map((spec) => parseHostPort(spec, true)),
  };
}

async function load(src: WasmSource, signal: AbortSignal | undefined): Promise<{ bytes: Uint8Array | undefined; module?: WebAssembly.Module }> {
  if (typeof src === 'string' && /^(file|https?|data):/i.test(src)) src = new URL(src);
  if (typeof src === 'string') return { bytes: new Uint8Array(fs.readFileSync(src)) };
  if (src instanceof URL) {
    if (src.protocol === 'file:') return { bytes: new Uint8Array(fs.readFileSync(src)) };
    const r = await fetch(src, signal ? { signal } : {});
    if (!r.ok) throw new Error(`weft: fetching ${src.href} failed: HTTP ${r.status} ${r.statusText}`);
    return { bytes: new Uint8Array(await r.arrayBuffer()) };
  }
  if (src instanceof Uint8Array) return { bytes: src };
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src) };
  if (src instanceof WebAssembly.Module) return { bytes: undefined, module: src };
  const pair = src as { module?: unknown; bytes?: Uint8Array | ArrayBuffer };
  if (pair && pair.module instanceof WebAssembly.Module && pair.bytes) {
    return { bytes: pair.bytes instanceof Uint8Array ? pair.bytes : new Uint8Array(pair.bytes), module: pair.module };
  }
  throw new TypeError('weft: unsupported wasm source (expected a path, a URL, bytes, a WebAssembly.Module, or { module, bytes })');
}

/** Compiles (or takes) the module; a threaded one so that it is safe from Node 20's Liftoff bug (engine.ts). */
function compiled(bytes: Uint8Array | undefined, given: WebAssembly.Module | undefined): Promise<WebAssembly.Module> {
  // A threaded module compiled elsewhere may hold Node 20's Liftoff miscompilation of atomic waits:
  // compile it again from its bytes (outlined, or after Liftoff was turned off for it).
  if (bytes && !engineReadyForThreads()) {
    const safe = bytesToCompile(bytes);
    if (safe !== bytes || engineReadyForThreads()) return WebAssembly.compile(safe as Uint8Array<ArrayBuffer>);
  }
  return given ? Promise.resolve(given) : WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
}

interface OutputSetup {
  target: StdioTarget;
  write?: (data: Uint8Array) => void;
  capture?: Capture;
}

function outputSetup(o: OutputOption | undefined, fd: number): OutputSetup {
  if (o === undefined) return { target: fdTarget(fd, false) };
  if (o === 'ignore') return { target: { kind: 'null' } };
  if (o === 'capture') {
    const capture = new Capture();
    return { target: { kind: 'callback' }, write: capture.write, capture };
  }
  if (typeof o === 'number') return { target: fdTarget(o, false) };
  if (typeof o === 'function') return { target: { kind: 'callback' }, write: o };
  throw new TypeError(`weft: ${fd === 1 ? 'stdout' : 'stderr'} must be a host fd, 'ignore', 'capture' or a callback`);
}

function stdinSetup(o: RunOptions['stdin']): { target: StdioTarget; source?: StdinSource } {
  if (o === undefined || typeof o === 'number') {
    const fd = o ?? 0;
    const t = fdTarget(fd, false);
    if (t.kind === 'fd' && t.direct) return { target: t };
    return { target: t.kind === 'fd' && t.tty ? { kind: 'served', tty: true } : { kind: 'served' }, source: nodeStdinSource(fd) };
  }
  const s = stdinSource(o);
  return s ? { target: { kind: 'served' }, source: s.source } : { target: { kind: 'null' } };
}

/** The host fd behind a stdin option, for a direct read; undefined when it is not a host fd. */
function hostStdin(o: RunOptions['stdin']): StdioTarget | undefined {
  if (o === undefined || typeof o === 'number') return fdTarget(o ?? 0, true);
  return undefined;
}

/**
 * Runs a WASI command (preview1, wasi-threads or WASIX) with real threads: every wasm thread in its own
 * worker over one shared memory, fd table and filesystem view. Resolves once every worker is gone.
 * Rejects before anything runs with NotACommandError, UnknownImportsError or InvokeError (see ../errors.ts).
 */
export async function run(wasm: WasmSource, options: RunOptions = {}): Promise<RunResult> {
  const signal = options.signal;
  throwIfAborted(signal);
  checkCwd(options.cwd);
  const loaded = await load(wasm, signal);
  const bytes = loaded.bytes;
  const trace = traceSetup(options.trace);
  const profile = options.profile ? openProfile(options.profile, (options.args ?? ['main.wasm']).join(' ')) : undefined;
  const summary = options.traceSummary ? TraceSummary.create(options.traceSummary === 'threads') : undefined;
  let host: NodeCoordinatorHost | undefined;
  let started = false;
  try {
    const out = outputSetup(options.stdout, 1);
    const err = outputSetup(options.stderr, 2);
    const writers = [undefined, out.write, err.write];
    const output = (fd: number, data: Uint8Array): void => {
      const w = writers[fd];
      if (w) w(data);
      else writeAllSync(fd, [data]);
    };
    const module = await compiled(bytes, loaded.module);
    const info = inspectModule(bytes, module);
    // The first Worker boots now, while this thread prepares the run (fd table, imports, preopens), when
    // the run will need one (a threaded module never runs on this thread); terminated if the run ends
    // before it starts a thread. Not for a program that can start threads: its pool's Workers boot when it
    // starts, and one that started sooner would meet a colder pool (a burst of 8 pthread_creates at once
    // waited ~150 ms instead of ~10).
    if ((!options.sameThread || info.memoryImport?.shared) && !info.spawnsThreads) {
      host = new NodeCoordinatorHost({ logFd: trace.fd, output });
      host.bootFirst();
    }
    const sigs = bytes ? functionSignatures(bytes) : undefined;
    const invoke = checkEntry(info.exports, sigs, options.invoke);
    const imports = planImports(module, sigs, options.imports, !!options.allowUnknownImports);
    throwIfAborted(signal);
    const stdin = stdinSetup(options.stdin);
    // A pipe/TTY stdin is 'served' to workers; on this thread it is the host fd, read directly.
    const stdinHere = stdin.source ? hostStdin(options.stdin) : stdin.target;
    // Listening sockets are opened by the coordinator (WeftProcess.openListeners), imports are called on
    // this thread while the calling wasm thread waits, and an abort needs this thread free: such runs
    // keep workers.
    const here = !!options.sameThread && !options.tcpListen?.length && imports.userImports.length === 0 && !signal &&
      !!stdinHere && canRunHere(info, stdinHere);
    const stdio: [StdioTarget, StdioTarget, StdioTarget] = [here && stdinHere ? stdinHere : stdin.target, out.target, err.target];
    // /dev after the user's preopens, unless one of them is /dev; tty when stdin is a terminal. Not by
    // default for a preview1 program given listeners: those expect them right after their preopens (as
    // Wasmtime's --tcplisten gives them), and wasi-libc's preopen scan stops at the first fd that is none.
    const preopens = withDevPreopen(preopenList(options.preopens), {
      enabled: options.dev ?? (info.usesWasix || !options.tcpListen?.length), tty: (stdin.target.kind === 'served' || stdin.target.kind === 'fd') && stdin.target.tty === true,
    });
    const maxProcesses = Math.max(1, options.maxProcesses ?? DEFAULT_MAX_PROCESSES);
    const fds = createFdTable(stdio, preopens, (p) => openNodeBackend(p.backend), treeFdRegions(info, maxProcesses),
      { keepPreopenNumbers: info.usesWasix });
    const kernel = {
      net: netPolicy(options.net),
      args: options.args ?? ['main.wasm'], env: envList(options.env), stdio, preopens, fdSab: fds.sab,
      clockBaseMs: performance.timeOrigin + performance.now(), trace: trace.enabled, imports, invoke,
      traceSummary: summary?.sab, profileFd: profile?.fd, traceLock: trace.enabled ? new SharedArrayBuffer(4) : undefined,
    };
    const result = (exitCode: number, results: (number | bigint)[] | undefined): RunResult => ({
      exitCode,
      ...(out.capture && { stdout: out.capture.bytes() }),
      ...(err.capture && { stderr: err.capture.bytes() }),
      ...(results && { results }),
    });
    if (here) {
      let r: ReturnType<typeof runHere>;
      try {
        r = runHere(module, info, kernel, trace.fd, output);
      } finally {
        closeFdTable(fds, (i) => openNodeBackend(preopens[i]!.backend));
      }
      return result(r.exitCode, r.results);
    }
    host ??= new NodeCoordinatorHost({ logFd: trace.fd, output });
    const compile = async (b: Uint8Array): Promise<{ module: WebAssembly.Module; info: ModuleInfo; sigs: FunctionSignatures }> => {
      const m = await WebAssembly.compile(bytesToCompile(b) as Uint8Array<ArrayBuffer>);
      return { module: m, info: inspectModule(b, m), sigs: functionSignatures(b) };
    };
    let results: (number | bigint)[] | undefined;
    const proc = new WeftSystem(host, { compile, openBackend: openNodeBackend }, {
      module, info, maxThreads: options.maxThreads ?? 256, spareWorkers: options.spareWorkers, stdin: stdin.source,
      net: nodeNetOwner,
      listeners: (options.tcpListen ?? []).map((spec, i) => {
        const { host, port } = parseHostPort(spec, false);
        const ip = parseIp(host === 'localhost' ? '127.0.0.1' : host)!;
        return { fd: 3 + preopens.length + i, addr: { ...ip, port } };
      }),
      kernel, cwd: options.cwd, userImports: options.imports, onResults: (r) => (results = r),
    }, { maxProcesses });
    await proc.openListeners();
    const abort = killOnAbort(signal, () => void proc.kill(ABORT_EXIT_CODE));
    let code: number;
    try {
      const exited = proc.start();
      started = true;
      // Aborted while the listeners were being opened: the event has fired already.
      if (signal?.aborted) abort.fire();
      code = await exited;
    } finally {
      abort.dispose();
    }
    recoverMemoryFilesystems(preopens.map((p) => p.backend));
    if (abort.aborted()) throw abortReason(signal!);
    return result(code, results);
  } finally {
    if (!started) host?.dispose();
    const table = summary?.report();
    if (table) writeAllSync(trace.fd, [new TextEncoder().encode(table + '\n')]);
    trace.close();
    profile?.close();
  }
}

/**
 * The --profile file: a JSON array of trace events that every thread appends to (O_APPEND: each event is
 * one write, whole). Closed with a last metadata event and the bracket (Chrome also reads it without).
 * A FILE.html gets the events in a sibling FILE.html.events.json while the tree runs; at exit they become
 * the page (./profile-html.ts) and the sibling is removed.
 */
function openProfile(file: string, title: string): { fd: number; close(): void } {
  const html = /\.html?$/i.test(file);
  const events = html ? `${file}.events.json` : file;
  fs.writeFileSync(events, '[\n');
  const fd = fs.openSync(events, 'a');
  return {
    fd,
    close() {
      try {
        fs.writeSync(fd, '{"name":"weft","ph":"M","pid":0,"tid":0,"args":{}}\n]\n');
      } finally {
        fs.closeSync(fd);
      }
      if (!html) return;
      fs.writeFileSync(file, profileHtml(parseProfileEvents(fs.readFileSync(events, 'utf8')), title));
      fs.rmSync(events, { force: true });
    },
  };
}
