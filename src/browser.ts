/**
 * weft for browsers: `run()` for WASI programs (preview1, wasi-threads, WASIX) with real threads in
 * Web Workers, and `MemoryFS`, the shared in-memory filesystem they see. Needs a cross-origin-isolated
 * page (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp).
 * Nothing in this entry point's import graph uses Node built-ins.
 */
export { run, type RunOptions, type RunResult, type WasmSource, type OutputCallback } from './host/browser/run.js';
export { lines, type LineSink } from './host/browser/lines.js';
export { prewarm } from './host/browser/warm-pool.js';
export type { StdinCallback, StdinChunk, StdinOption, ByteStream } from './host/common/stdin-types.js';
export type { UserImports, UserImportContext, InvokeOptions } from './host/browser/run.js';
export { InvokeError, NotACommandError, UnknownImportsError } from './process/errors.js';
export type { ConnectHook, RemoteStream } from './host/browser/remote-sockets.js';
export { WeftEnvironmentError } from './host/browser/environment.js';
export { MemoryFS, MemoryFsBackend, type MemoryDescriptor, type MemoryFSOptions } from './fs/memfs.js';
export type { BackendDescriptor, FsBackend } from './fs/backend.js';
export { Errno } from './abi/errno.js';
