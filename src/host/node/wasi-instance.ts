import type { Kernel } from '../../kernel/kernel.js';

export type Exports = Record<string, unknown>;

/**
 * node:wasi's checks when an instance is handed to start()/initialize(), shared by the WASI classes
 * (host/node/wasi.ts and the napi one): its exported memory becomes the kernel's memory.
 */
export function attachInstance(kernel: Kernel, instance: WebAssembly.Instance): Exports {
  const exports = instance.exports as Exports;
  const memory = exports['memory'];
  if (!(memory instanceof WebAssembly.Memory)) throw new TypeError('instance.exports.memory must be a WebAssembly.Memory');
  kernel.setMemory(memory);
  kernel.instance = instance;
  return exports;
}

/** initialize(): a reactor must not export `_start`; calls `_initialize` when it is exported. */
export function initializeReactor(exports: Exports): void {
  if (typeof exports['_start'] === 'function') throw new TypeError('instance.exports._start must not be present for initialize()');
  const init = exports['_initialize'];
  if (typeof init === 'function') (init as () => void)();
}
