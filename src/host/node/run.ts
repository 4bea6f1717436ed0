import fs from 'node:fs';
import { inspectModule, scanBinary } from '../../abi/wasm-module.js';
import type { StdioTarget } from '../../kernel/config.js';
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
      module, info, maxThreads: options.maxThreads ?? 256, stdin: stdin.source,
      kernel: {
        args: options.args ?? ['main.wasm'], env: envList(options.env), stdio, preopens, fdSab: fds.sab,
        clockBaseMs: performance.timeOrigin + performance.now(), trace: trace.enabled,
      },
    }, { maxProcesses });
    const code = await proc.start();
    recoverMemoryFilesystems(preopens.map((p) => p.backend));
    return code;
  } finally {
    trace.close();
  }
}

