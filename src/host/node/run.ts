import fs from 'node:fs';
import { inspectModule, scanBinary } from '../../abi/wasm-module.js';
import type { NetPolicy, StdioTarget } from '../../kernel/config.js';
import { nodeNetOwner } from './net-owner.js';
import { parseIp } from '../../kernel/net-addr.js';
import { createFdTable } from '../../kernel/setup.js';
import { DEFAULT_MAX_PROCESSES, treeFdRegions, WeftSystem } from '../../threads/system.js';
import type { StdinSource } from '../../threads/stdin-server.js';
import { openNodeBackend } from './backends.js';
import { recoverMemoryFilesystems } from '../../fs/memfs/recover.js';
import { NodeCoordinatorHost, nodeStdinSource } from './coordinator-host.js';
import { prepareEngineForThreads } from './engine.js';
import { type CommonOptions, envList, fdTarget, preopenList, traceSetup } from './options.js';
import { writeAllSync } from './thread-host.js';

export type OutputOption = number | 'ignore' | ((data: Uint8Array) => void);

export interface RunOptions extends CommonOptions {
  /** Host fd to read (default 0), 'ignore' for an empty stdin, or a string/bytes to feed. */
  stdin?: number | 'ignore' | string | Uint8Array;
  /** Host fd (default 1/2), 'ignore', or a callback receiving each write. */
  stdout?: OutputOption;
  stderr?: OutputOption;
  /** Most wasm threads alive at once, the main thread included (default 256). */
  maxThreads?: number;
  /** Most processes of a WASIX process tree alive at once, the first included (default 64). */
  maxProcesses?: number;
  /**
   * Network access of WASIX sockets (off by default): true for everything, or a list of "HOST:PORT"
   * (host an IP literal, 'localhost' or '*'; port 0 or '*' for any).
   */
  net?: boolean | string[];
  /**
   * Listening TCP sockets handed to the program, as Wasmtime's --tcplisten: "HOST:PORT" each, placed at
   * the fds after the preopened directories (accept them with sock_accept).
   */
  tcpListen?: string[];
}

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

export type WasmSource = Uint8Array | ArrayBuffer | string | URL;

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
    const stdin = stdinSetup(options.stdin);
    const stdio: [StdioTarget, StdioTarget, StdioTarget] = [
      stdin.target, outputTarget(options.stdout, 1), outputTarget(options.stderr, 2),
    ];
    const preopens = preopenList(options.preopens);
    const maxProcesses = Math.max(1, options.maxProcesses ?? DEFAULT_MAX_PROCESSES);
    const fds = createFdTable(stdio, preopens, (p) => openNodeBackend(p.backend), treeFdRegions(info, maxProcesses));
    const callbacks = [undefined, options.stdout, options.stderr];
    const host = new NodeCoordinatorHost({
      logFd: trace.fd,
      output: (fd, data) => {
        const cb = callbacks[fd];
        if (typeof cb === 'function') cb(data);
        else writeAllSync(fd, [data]);
      },
    });
    const compile = async (b: Uint8Array): Promise<{ module: WebAssembly.Module; info: ReturnType<typeof inspectModule> }> => {
      if (scanBinary(b).memoryImport?.shared) prepareEngineForThreads();
      const m = await WebAssembly.compile(b as Uint8Array<ArrayBuffer>);
      return { module: m, info: inspectModule(b, m) };
    };
    const proc = new WeftSystem(host, { compile, openBackend: openNodeBackend }, {
      module, info, maxThreads: options.maxThreads ?? 256, stdin: stdin.source, net: nodeNetOwner,
      listeners: (options.tcpListen ?? []).map((spec, i) => {
        const { host, port } = parseHostPort(spec);
        const ip = parseIp(host === 'localhost' ? '127.0.0.1' : host);
        if (!ip) throw new Error(`--tcp-listen: '${host}' is not an IP address`);
        return { fd: 3 + preopens.length + i, addr: { ...ip, port } };
      }),
      kernel: {
        net: netPolicy(options.net),
        args: options.args ?? ['main.wasm'], env: envList(options.env), stdio, preopens, fdSab: fds.sab,
        clockBaseMs: performance.timeOrigin + performance.now(), trace: trace.enabled,
      },
    }, { maxProcesses });
    await proc.openListeners();
    const code = await proc.start();
    recoverMemoryFilesystems(preopens.map((p) => p.backend));
    return code;
  } finally {
    trace.close();
  }
}

