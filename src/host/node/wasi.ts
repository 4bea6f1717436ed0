import { ProcExit } from '../../kernel/exits.js';
import { Kernel } from '../../kernel/kernel.js';
import { createChannel } from '../../kernel/shared/channel.js';
import { Ctl } from '../../kernel/shared/control-block.js';
import { NodeThreadHost } from './thread-host.js';
import { createProcess, WasiCore } from './wasi-core.js';
import type { ImportFn, WASIOptions } from './options.js';

export type { WASIOptions } from './options.js';

/**
 * A drop-in for `node:wasi` for single-threaded use: the same constructor options and methods, backed
 * by weft's kernel (sandboxed preopens, the same syscalls and errno behaviour as the threaded runtime).
 * It runs in the calling thread, in a process of its own; for threads use `run()`. The standalone face
 * of WasiCore (wasi-core.ts); weft/napi's is napi.ts.
 */
export class WASI {
  readonly wasiImport: Record<string, ImportFn>;
  private readonly core: WasiCore;

  constructor(options: WASIOptions = {}) {
    this.core = new WasiCore(options, {
      kernel: (trace) => {
        const k = new Kernel(createProcess(options, trace.enabled), new NodeThreadHost(undefined, trace.fd), 0, createChannel());
        // One thread, ever: sched_yield has nobody in the process to give the CPU to (see Yield in core.ts).
        Atomics.store(k.ctl.i32, Ctl.LIVE, 1);
        return k;
      },
      exitCodeOf: (e) => (e instanceof ProcExit ? e.code : undefined),
    });
    this.wasiImport = this.core.wasiImport;
  }

  getImportObject(): { wasi_snapshot_preview1: Record<string, ImportFn> } {
    return { wasi_snapshot_preview1: this.wasiImport };
  }

  /**
   * Runs a command's `_start`; returns its exit code (0 when `_start` returns). `instance` is a
   * WebAssembly.Instance, typed `object` as in @types/node's WASI: WebAssembly's types need the DOM lib.
   */
  start(instance: object): number {
    return this.core.start(instance as WebAssembly.Instance);
  }

  /** Initialises a reactor (calls `_initialize` if exported). */
  initialize(instance: object): void {
    this.core.initialize(instance as WebAssembly.Instance);
  }
}
