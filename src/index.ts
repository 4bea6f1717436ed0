/**
 * weft for Node.js: `run()` for threaded programs (wasi-threads, WASIX), and a `node:wasi`-compatible
 * `WASI` class for single-threaded use.
 */
export { run, NotACommandError, type RunOptions, type OutputOption, type WasmSource } from './host/node/run.js';
export { WASI, type WASIOptions } from './host/node/wasi.js';
export type { BackendDescriptor, FsBackend } from './fs/backend.js';
export { Errno } from './abi/errno.js';
export { MemoryFS, MemoryFsBackend } from './fs/memfs.js';
