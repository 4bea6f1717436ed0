import { fs } from './builtins.js';
import { inspectModule, scanBinary } from '../../abi/wasm-module.js';
import type { NetPolicy, StdioTarget } from '../../kernel/config.js';
import { nodeNetOwner } from './host-sockets.js';
import { parseIp } from '../../kernel/net-addr.js';
import { createFdTable } from '../../kernel/setup.js';
import { DEFAULT_MAX_PROCESSES, treeFdRegions, WeftSystem } from '../../process/process-tree.js';
import type { StdinSource } from '../../process/stdin-server.js';
import { openNodeBackend } from './backends.js';
import { recoverMemoryFilesystems } from '../../fs/memfs/recover.js';
import { NodeCoordinatorHost, nodeStdinSource } from './coordinator-host.js';
import { prepareEngineForThreads } from './engine.js';
import { canRunHere, runHere } from './run-here.js';
import { envList, fdTarget, preopenList, traceSetup } from './kernel-config.js';
import type { OutputOption, RunOptions, WasmSource } from './options.js';

export type { OutputOption, RunOptions, WasmSource } from './options.js';
import { writeAllSync } from './thread-host.js';
import { NotACommandError } from './errors.js';

// Declared on its own so the package entry can export it without loading run()'s coordinator.
export { NotACommandError } from './errors.js';

function parseHostPort(spec: string): { host: string; port: number } {
  const i = spec.lastIndexOf(':');
  if (i <= 0) throw new Error(`expected HOST:PORT, got '${spec}'`);
  const host = spec.slice(0, i).replace(/^\[|\]$/g, '');
  const p = spec.slice(i + 1);
  const port = p === '*' ? 0 : Number(p);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port in '${spec}'`);
  return { host, port };
}

/** The kernel's network policy from the `net` option. */
export function netPolicy(o: RunOptions['net']): NetPolicy | undefined {
  if (!o) return undefined;
  if (o === true) return { all: true, allow: [] };
  return {
    all: false,
    allow: o.map((spec) => parseHostPort(spec)),
  };
}

function bytesOf(src: WasmSource): Uint8Array {
  if (typeof src === 'string' || src instanceof URL) return new Uint8Array(fs.readFileSync(src));
  return src instanceof Uint8Array ? src : new Uint8Array(src);
}

function outputTarget(o: OutputOption | undefined, fd: number): StdioTarget {
  if (o === undefined) return fdTarget(fd, false);
  if (o === 'ignore') return { kind: 'null' };
  if (typeof o === 'number') return fdTarget(o, false);
  return { kind: 'callback' };
}

function stdinSetup(o: RunOptions['stdin']): { target: StdioTarget; source?: StdinSource } {
  if (o === 'ignore') return { target: { kind: 'null' } };
  if (typeof o === 'string' || o instanceof Uint8Array) {
    const data = typeof o === 'string' ? new TextEncoder().encode(o) : o;
    return {
      target: { kind: 'served' },
      source: { start: (onData, onEnd) => queueMicrotask(() => { onData(data); onEnd(); }), stop: () => {} },
    };
  }
  const fd = o ?? 0;
  const t = fdTarget(fd, false);
  if (t.kind === 'fd' && t.direct) return { target: t };
  return { target: { kind: 'served' }, source: nodeStdinSource(fd) };
}

/** The host fd behind a stdin option, for a direct read; undefined when it is not a host fd. */
function hostStdin(o: RunOptions['stdin']): StdioTarget | undefined {
  if (o === undefined || typeof o === 'number') return fdTarget(o ?? 0, true);
  return undefined;
}

/**
 * Runs a WASI command (preview1, wasi-threads or WASIX) with real threads: every wasm thread in its own
 * worker over one shared memory, fd table and filesystem view. Resolves to the exit code once every
 * worker is gone.
 */
export async function run(wasm: WasmSource, options: RunOptions = {}): Promise<number> {
  const bytes = bytesOf(wasm);
  const trace = traceSetup(options.trace);
  try {
    // Threads need the engine prepared before the module is compiled.
    if (scanBinary(bytes).memoryImport?.shared) prepareEngineForThreads();
    const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    const info = inspectModule(bytes, module);
    if (!info.exports.includes('_start')) {
      const kind = info.exports.includes('_initialize') ? 'a reactor (it exports _initialize, no _start)' : 'not a command (it exports no _start)';
      throw new NotACommandError(`the module is ${kind}; load it as a library instead (e.g. the WASI class and initialize())`);
    }
    const stdin = stdinSetup(options.stdin);
    // A pipe/TTY stdin is 'served' to workers; on this thread it is the host fd, read directly.
    const stdinHere = stdin.source ? hostStdin(options.stdin) : stdin.target;
    // Listening sockets are opened by the coordinator (WeftProcess.openListeners): such runs keep workers.
    const here = !!options.sameThread && !options.tcpListen?.length && !!stdinHere && canRunHere(info, stdinHere);
    const stdio: [StdioTarget, StdioTarget, StdioTarget] = [
      here ? stdinHere : stdin.target, outputTarget(options.stdout, 1), outputTarget(options.stderr, 2),
    ];
    const preopens = preopenList(options.preopens);
    const maxProcesses = Math.max(1, options.maxProcesses ?? DEFAULT_MAX_PROCESSES);
    const fds = createFdTable(stdio, preopens, (p) => openNodeBackend(p.backend), treeFdRegions(info, maxProcesses));
    const callbacks = [undefined, options.stdout, options.stderr];
    const output = (fd: number, data: Uint8Array): void => {
      const cb = callbacks[fd];
      if (typeof cb === 'function') cb(data);
      else writeAllSync(fd, [data]);
    };
    const net = netPolicy(options.net);
    const kernel = {
      ...(net ? { net } : {}),
      args: options.args ?? ['main.wasm'], env: envList(options.env), stdio, preopens, fdSab: fds.sab,
      clockBaseMs: performance.timeOrigin + performance.now(), trace: trace.enabled,
    };
    if (here) return runHere(module, info, kernel, trace.fd, output);
    const host = new NodeCoordinatorHost({ logFd: trace.fd, output });
    const compile = async (b: Uint8Array): Promise<{ module: WebAssembly.Module; info: ReturnType<typeof inspectModule> }> => {
      if (scanBinary(b).memoryImport?.shared) prepareEngineForThreads();
      const m = await WebAssembly.compile(b as Uint8Array<ArrayBuffer>);
      return { module: m, info: inspectModule(b, m) };
    };
    const proc = new WeftSystem(host, { compile, openBackend: openNodeBackend }, {
      module, info, maxThreads: options.maxThreads ?? 256, spareWorkers: options.spareWorkers, stdin: stdin.source,
      net: nodeNetOwner,
      listeners: (options.tcpListen ?? []).map((spec, i) => {
        const { host, port } = parseHostPort(spec);
        const ip = parseIp(host === 'localhost' ? '127.0.0.1' : host);
        if (!ip) throw new Error(`--tcp-listen: '${host}' is not an IP address`);
        return { fd: 3 + preopens.length + i, addr: { ...ip, port } };
      }),
      kernel,
    }, { maxProcesses });
    await proc.openListeners();
    const code = await proc.start();
    recoverMemoryFilesystems(preopens.map((p) => p.backend));
    return code;
  } finally {
    trace.close();
  }
}

