import type { KernelConfig, StdioTarget } from '../../kernel/config.js';
import { ThreadExit, ThreadKilled } from '../../kernel/exits.js';
import { bindSyscall } from '../../kernel/boundary.js';
import { preview1Table } from '../../kernel/preview1.js';
import { Kernel } from '../../kernel/kernel.js';
import { createFdTable } from '../../kernel/setup.js';
import { Control } from '../../kernel/shared/control-block.js';
import { openNodeBackend } from './backends.js';
import { envList, fdTarget, preopenList, traceSetup } from './kernel-config.js';
import type { ImportFn, WASIOptions } from './options.js';

export type { ImportFn, WASIOptions } from './options.js';

/** A syscall as bindSyscall returns it. */
export type BoundSyscall = (...args: unknown[]) => unknown;
type Exports = Record<string, unknown>;

/** How a face of the WASI class gets its kernel, wraps its imports and recognises its exit. */
export interface WasiFace {
  /** The kernel of this object: over a new process, or joining one (trace: the resolved trace option). */
  kernel(trace: ReturnType<typeof traceSetup>): Kernel;
  /** Wraps each bound preview1 import (default: none). */
  wrap?(bound: BoundSyscall, name: string, kernel: Kernel): ImportFn;
  /** The exit code when `e`, thrown out of `_start`, is the process's exit (proc_exit); else undefined. */
  exitCodeOf(e: unknown): number | undefined;
}

/**
 * The one implementation of the node:wasi-compatible WASI class: options, the preview1 import object,
 * node:wasi's instance checks and start()/initialize(). Two faces hold one and delegate to it: the
 * standalone class (wasi.ts: a process of its own in the calling thread) and weft/napi's (napi.ts: one
 * process joined by the WASI objects of an addon's threads). What they share lives here, so they cannot
 * drift apart. (Held, not inherited: the faces' public types then show nothing of the kernel.)
 */
export class WasiCore {
  readonly wasiImport: Record<string, ImportFn>;
  readonly kernel: Kernel;
  private readonly returnOnExit: boolean;
  private started = false;

  constructor(options: WASIOptions, private readonly face: WasiFace) {
    if (options.version !== undefined && options.version !== 'preview1') {
      throw new TypeError(`weft WASI supports version 'preview1' (got ${String(options.version)})`);
    }
    this.returnOnExit = options.returnOnExit ?? true;
    const k = (this.kernel = face.kernel(traceSetup(options.trace)));
    const table = preview1Table(k);
    // A plain mutable object: loaders wrap its entries in place.
    this.wasiImport = {};
    for (const [name, entry] of Object.entries(table)) {
      const bound = bindSyscall(k, 'wasi_snapshot_preview1', name, entry) as BoundSyscall;
      this.wasiImport[name] = face.wrap ? face.wrap(bound, name, k) : bound;
    }
  }

  /** node:wasi's checks when an instance is handed over: once only, and its memory becomes the kernel's. */
  private bind(instance: WebAssembly.Instance): Exports {
    if (this.started) throw new Error('WASI instance has already started');
    this.started = true;
    const exports = instance.exports as Exports;
    const memory = exports['memory'];
    if (!(memory instanceof WebAssembly.Memory)) throw new TypeError('instance.exports.memory must be a WebAssembly.Memory');
    this.kernel.setMemory(memory);
    this.kernel.instance = instance;
    return exports;
  }

  /** Runs a command's `_start`; returns its exit code (0 when `_start` returns). */
  start(instance: WebAssembly.Instance): number {
    const exports = this.bind(instance);
    const start = exports['_start'];
    if (typeof start !== 'function') throw new TypeError('instance.exports._start is not a function');
    if (typeof exports['_initialize'] === 'function') throw new TypeError('instance.exports._initialize must not be present for start()');
    try {
      (start as () => void)();
      return 0;
    } catch (e) {
      const code = this.face.exitCodeOf(e);
      if (code !== undefined) {
        if (!this.returnOnExit) process.exit(code);
        return code;
      }
      if (e instanceof ThreadExit || e instanceof ThreadKilled) return 0;
      throw e;
    } finally {
      // The command is over: no directory fd held for its lookups stays open (they reopen if called again).
      this.kernel.releaseBackends();
    }
  }

  /** Initialises a reactor: it must not export `_start`; calls `_initialize` when it is exported. */
  initialize(instance: WebAssembly.Instance): void {
    const exports = this.bind(instance);
    if (typeof exports['_start'] === 'function') throw new TypeError('instance.exports._start must not be present for initialize()');
    const init = exports['_initialize'];
    if (typeof init === 'function') (init as () => void)();
  }
}

/**
 * A new single-threaded-style process from node:wasi options: its fd table, preopens and control block
 * (every thread that joins uses slot 0: no coordinator-served calls, stdio is read directly as node:wasi
 * does). `clockBaseMs`: the clock origin, for processes other threads join (their monotonic clocks must
 * agree); left out otherwise (reading `performance` first costs a standalone WASI a few ms).
 */
export function createProcess(options: WASIOptions, trace: boolean, clockBaseMs?: number): KernelConfig {
  const stdio: [StdioTarget, StdioTarget, StdioTarget] = [
    fdTarget(options.stdin ?? 0, true, false), fdTarget(options.stdout ?? 1, false, false), fdTarget(options.stderr ?? 2, false, false),
  ];
  const preopens = preopenList(options.preopens);
  const fds = createFdTable(stdio, preopens, (p) => openNodeBackend(p.backend));
  const ctl = Control.create(1);
  const cfg: KernelConfig = {
    args: options.args ?? [], env: envList(options.env), stdio, preopens, ctlSab: ctl.sab, fdSab: fds.sab,
    maxThreads: 1, trace, hasThreadStart: false, usesWasix: false,
  };
  if (clockBaseMs !== undefined) cfg.clockBaseMs = clockBaseMs;
  return cfg;
}
