// Worker script for @emnapi/wasi-threads (+ @tybys/wasm-util's WASI), after the package README's worker.js:
// a ThreadMessageHandler that instantiates the module over the shared memory when the thread manager sends
// 'load', and runs wasi_thread_start(tid, arg) on 'start'. One extra message, { runMain: true }, runs the
// module's _start in this worker (the "main wasm thread in a worker" set-up; see emnapi-host.mjs).
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { WASI } from '@tybys/wasm-util';
import { ThreadMessageHandler, WASIThreads } from '@emnapi/wasi-threads';
import { usePreciseClock } from './precise-clock.mjs';

const { stdoutFd, preciseClock } = workerData;
const post = (m) => parentPort.postMessage(m);
let instance;

const handler = new ThreadMessageHandler({
  postMessage: post,
  async onLoad({ wasmModule, wasmMemory }) {
    const wasi = new WASI({
      version: 'preview1',
      returnOnExit: true,
      // wasm-util's fd 1/2 are line-buffered and delivered as strings to print/printErr (console.log by
      // default); write them to the fd synchronously instead.
      print: (s) => fs.writeSync(stdoutFd, s + '\n'),
      printErr: (s) => fs.writeSync(2, s + '\n'),
    });
    if (preciseClock) usePreciseClock(wasi, wasmMemory);
    const wasiThreads = new WASIThreads({ wasi, childThread: true, postMessage: post });
    const original = await WebAssembly.instantiate(wasmModule, {
      env: { memory: wasmMemory },
      wasi_snapshot_preview1: wasi.wasiImport,
      ...wasiThreads.getImportObject(),
    });
    instance = original;
    // must call `initialize` instead of `start` in a child thread (README)
    return { module: wasmModule, instance: wasiThreads.initialize(original, wasmModule, wasmMemory) };
  },
});

parentPort.on('message', (data) => {
  if (data && data.runMain) {
    let ok = true;
    try {
      instance.exports._start();
    } catch (e) {
      ok = false;
      fs.writeSync(2, `emnapi main thread: ${e?.stack ?? e}\n`);
    }
    post({ mainDone: ok ? 0 : 1 });
    return;
  }
  handler.handle({ data });
});
