// Driven by test/napi.test.mjs: `node --import weft/napi/register napi-threads.mjs <dir> <scenario>`.
// The main thread and a Worker each build a WASI with `new WASI()` from node:wasi (weft/napi under the
// register hook), instantiate one reactor over one shared memory, and call into it; prints a JSON report.
//   fd:     the worker opens <dir>/f.txt and exits; the main thread then reads that fd.
//   fd-tracked: the same with a Worker started with trackUnmanagedFds: true (Node closes its fds at exit).
//   two-loaders: like fd, but another module builds a second main-thread WASI before the Worker starts;
//           the Worker (started from this file) must still join this file's process.
//   exit:   the worker calls proc_exit(7); then the main thread calls into WASI.
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
// WEFT_NAPI_DIRECT=1: weft/napi's WASI imported directly, without the register hook (no Worker wrapper).
const { WASI } = process.env.WEFT_NAPI_DIRECT ? await import('../../dist/napi.js') : await import('node:wasi');
import { wat2wasm } from './wat.mjs';

const W = '"wasi_snapshot_preview1"';
export const reactor = `(module
  (import "env" "memory" (memory 1 1 shared))
  (export "memory" (memory 0))
  (import ${W} "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import ${W} "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import ${W} "proc_exit" (func $exit (param i32)))
  (func (export "_initialize"))
  ;; path at 256 (length $len), fd out at 0; returns the errno
  (func (export "open") (param $len i32) (result i32)
    (call $open (i32.const 3) (i32.const 0) (i32.const 256) (local.get $len) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))
  ;; reads up to 512 bytes of $fd to 1024, count at 32; returns the errno
  (func (export "read") (param $fd i32) (result i32)
    (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 512))
    (call $read (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 32)))
  (func (export "exit") (param i32) (call $exit (local.get 0))))`;

function instantiate(module, memory) {
  const wasi = new WASI({ version: 'preview1', preopens: isMainThread ? { '/d': workerData?.dir ?? process.argv[2] } : {} });
  const instance = new WebAssembly.Instance(module, { env: { memory }, ...wasi.getImportObject() });
  wasi.initialize(instance);
  return { wasi, exports: instance.exports };
}

if (isMainThread) {
  const scenario = process.argv[3]; // argv[2] is the directory, preopened by instantiate()
  const module = new WebAssembly.Module(await wat2wasm(reactor, 'napi-reactor'));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const { wasi, exports } = instantiate(module, memory);
  const report = { weft: typeof wasi.exitCode !== 'undefined' || 'attached' in wasi };
  if (scenario === 'two-loaders') (await import('./napi-other-loader.mjs')).otherLoader();
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { module, memory, scenario },
    ...(scenario === 'fd-tracked' ? { trackUnmanagedFds: true } : {}),
    // without the hook, a user of weft/napi keeps Node from closing the Worker's fds at its exit
    ...(process.env.WEFT_NAPI_DIRECT ? { trackUnmanagedFds: false } : {}),
  });
  worker.on('message', (m) => Object.assign(report, m));
  worker.on('error', (e) => (report.workerError = String(e)));
  await new Promise((r) => worker.on('exit', r));
  const i32 = new Int32Array(memory.buffer);
  try {
    if (scenario !== 'exit') {
      report.readErrno = exports.read(i32[0]);
      report.text = new TextDecoder().decode(new Uint8Array(memory.buffer).slice(1024, 1024 + i32[8]));
    } else {
      report.exitCode = wasi.exitCode;
      exports.read(1);
      report.mainCall = 'returned';
    }
  } catch (e) {
    report.mainCall = `${e.name}: ${e.message}`;
    report.mainCode = e.code;
  }
  report.alive = true;
  console.log(JSON.stringify(report));
} else {
  const { module, memory, scenario } = workerData;
  const { wasi, exports } = instantiate(module, memory);
  const report = { attached: wasi.attached };
  if (scenario !== 'exit') {
    new Uint8Array(memory.buffer).set(new TextEncoder().encode('f.txt'), 256);
    report.openErrno = exports.open(5);
  } else {
    try {
      exports.exit(7);
    } catch (e) {
      report.workerThrew = `${e.name}: ${e.message}`;
    }
  }
  parentPort.postMessage(report);
}
