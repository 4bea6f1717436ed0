import { attachInstance, type Exports, initializeReactor } from './wasi-instance.js';
import type { StdioTarget } from '../../kernel/config.js';
import { ProcExit, ThreadExit, ThreadKilled } from '../../kernel/exits.js';
import { bindSyscall } from '../../kernel/boundary.js';
import { preview1Table } from '../../kernel/preview1.js';
import { Kernel } from '../../kernel/kernel.js';
import { createFdTable } from '../../kernel/setup.js';
import { createChannel } from '../../kernel/shared/channel.js';
import { Control } from '../../kernel/shared/control-block.js';
import { openNodeBackend } from './backends.js';
import { type CommonOptions, envList, fdTarget, preopenList, traceSetup } from './options.js';
import { NodeThreadHost } from './thread-host.js';

export interface WASIOptions extends CommonOptions {
  version?: 'preview1' | 'unstable';
  /** Return the exit code from start() instead of ending the Node process (default true). */
  returnOnExit?: boolean;
  stdin?: number;
  stdout?: number;
  stderr?: number;
}


/**
 * A drop-in for `node:wasi` for single-threaded use: the same constructor options and methods, backed
 * by weft's kernel (sandboxed preopens, the same syscalls and errno behaviour as the threaded runtime).
 * It runs in the calling thread; for threads use `run()`.
 */
export class WASI {
  readonly wasiImport: Record<string, (...args: never[]) => unknown>;
  private readonly kernel: Kernel;
  private readonly returnOnExit: boolean;
  private started = false;

  constructor(options: WASIOptions = {}) {
    if (options.version !== undefined && options.version !== 'preview1') {
      throw new TypeError(`weft WASI supports version 'preview1' (got ${String(options.version)})`);
    }
    this.returnOnExit = options.returnOnExit ?? true;
    const trace = traceSetup(options.trace);
    const stdio: [StdioTarget, StdioTarget, StdioTarget] = [
      fdTarget(options.stdin ?? 0, true, false), fdTarget(options.stdout ?? 1, false, false), fdTarget(options.stderr ?? 2, false, false),
    ];
    const preopens = preopenList(options.preopens);
    const fds = createFdTable(stdio, preopens, (p) => openNodeBackend(p.backend));
    const ctl = Control.create(1);
    this.kernel = new Kernel(
      {
        args: options.args ?? [], env: envList(options.env), stdio, preopens, ctlSab: ctl.sab, fdSab: fds.sab,
        maxThreads: 1, trace: trace.enabled, hasThreadStart: false,
        usesWasix: false,
      },
      new NodeThreadHost(undefined, trace.fd),
      0,
      createChannel(),
    );
    const table = preview1Table(this.kernel);
    // A plain mutable object: loaders wrap its entries in place.
    this.wasiImport = {};
    for (const [name, entry] of Object.entries(table)) {
      this.wasiImport[name] = bindSyscall(this.kernel, 'wasi_snapshot_preview1', name, entry) as never;
    }
  }

  getImportObject(): { wasi_snapshot_preview1: Record<string, (...args: never[]) => unknown> } {
    return { wasi_snapshot_preview1: this.wasiImport };
  }

  private bind(instance: WebAssembly.Instance): Exports {
    if (this.started) throw new Error('WASI instance has already started');
    this.started = true;
    return attachInstance(this.kernel, instance);
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
      if (e instanceof ProcExit) {
        if (!this.returnOnExit) process.exit(e.code);
        return e.code;
      }
      if (e instanceof ThreadExit || e instanceof ThreadKilled) return 0;
      throw e;
    }
  }

  /** Initialises a reactor (calls `_initialize` if exported). */
  initialize(instance: WebAssembly.Instance): void {
    initializeReactor(this.bind(instance));
  }
}
