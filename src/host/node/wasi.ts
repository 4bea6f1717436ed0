import { ProcExit } from '../../kernel/exits.js';
import { Kernel } from '../../kernel/kernel.js';
import { createChannel } from '../../kernel/channel.js';
import { NodeThreadHost } from './thread-host.js';
import { createProcess, WasiCore, type WASIOptions } from './wasi-core.js';

export type { WASIOptions } from './wasi-core.js';

/**
 * A drop-in for `node:wasi` for single-threaded use: the same constructor options and methods, backed
 * by weft's kernel (sandboxed preopens, the same syscalls and errno behaviour as the threaded runtime).
 * It runs in the calling thread, in a process of its own; for threads use `run()`. The standalone face
 * of WasiCore (wasi-core.ts); weft/napi's is napi.ts.
 */
export class WASI extends WasiCore {
  constructor(options: WASIOptions = {}) {
    super(options, {
      kernel: (trace) => new Kernel(createProcess(options, trace.enabled), new NodeThreadHost(undefined, trace.fd), 0, createChannel()),
    });
  }

  protected exitCodeOf(e: unknown): number | undefined {
    return e instanceof ProcExit ? e.code : undefined;
  }
}
