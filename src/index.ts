/**
 * weft for Node.js: `run()` for threaded programs (wasi-threads, WASIX), and a `node:wasi`-compatible
 * `WASI` class for single-threaded use.
 */
// run() loads its coordinator on first use (./host/node/run-lazy.ts): importing weft for the WASI class
// compiles only what that class needs.
export { run } from './host/node/run-lazy.js';
export { InvokeError, NotACommandError, UnknownImportsError } from './process/errors.js';
export type {
  RunOptions, RunResult, OutputOption, WasmSource, UserImports, UserImportContext, InvokeOptions,
} from './host/node/options.js';
export type { StdinCallback, StdinChunk, StdinOption, ByteStream } from './host/common/stdin-types.js';
export { WASI, type WASIOptions } from './host/node/wasi.js';
export type { BackendDescriptor, FsBackend } from './fs/backend.js';
export { Errno } from './abi/errno.js';
export { MemoryFS, MemoryFsBackend } from './fs/memfs.js';
