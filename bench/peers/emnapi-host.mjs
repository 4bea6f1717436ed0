// Runs a wasi-threads command with @emnapi/wasi-threads + @tybys/wasm-util's WASI, in one of two set-ups:
//
//  'readme'  the package README's Node.js set-up: _start on the Node main thread, reuseWorker: false (a new
//            Worker per spawned thread), waitThreadStart. A thread's worker is recycled/terminated only when
//            the main thread's event loop handles its 'cleanup-thread' message, i.e. after _start returns.
//  'pool'    its best case for many spawns: a pool of 4 preloaded workers (reuseWorker: { size: 4 }), and the
//            main wasm thread in a worker of its own (childThread mode), so the Node main thread (which owns
//            the ThreadManager) stays free to hand out and take back pooled workers while _start runs.
//            The Node main thread also holds an instance of the module (WASIThreads.setup needs one).
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { WASI } from '@tybys/wasm-util';
import { WASIThreads } from '@emnapi/wasi-threads';
import { usePreciseClock } from './precise-clock.mjs';

const workerUrl = new URL('./emnapi-worker.mjs', import.meta.url);

export async function runEmnapi(bytes, { mode = 'pool', stdoutFd = 1, preciseClock = false } = {}) {
  const module = await WebAssembly.compile(bytes);
  const memImport = WebAssembly.Module.imports(module).find((i) => i.kind === 'memory');
  if (!memImport) throw new Error('emnapi host: module must import its memory');
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const wasi = new WASI({
    version: 'preview1',
    returnOnExit: true,
    print: (s) => fs.writeSync(stdoutFd, s + '\n'),
    printErr: (s) => fs.writeSync(2, s + '\n'),
  });
  if (preciseClock) usePreciseClock(wasi, memory);
  const wasiThreads = new WASIThreads({
    wasi,
    reuseWorker: mode === 'pool' ? { size: 4 } : false,
    // The README uses 1000 ms; generous here because the machine is shared and a Worker boot can take long.
    waitThreadStart: 10_000,
    onCreateWorker: () => new Worker(workerUrl, { workerData: { stdoutFd, preciseClock } }),
  });
  const instance = await WebAssembly.instantiate(module, {
    [memImport.module]: { [memImport.name]: memory },
    wasi_snapshot_preview1: wasi.wasiImport,
    ...wasiThreads.getImportObject(),
  });
  wasiThreads.setup(instance, module, memory);
  await wasiThreads.preloadWorkers();

  if (mode === 'readme') {
    const { exitCode } = wasiThreads.start(instance, module, memory);
    wasiThreads.terminateAllThreads();
    return exitCode;
  }
  // The main wasm thread in a worker loaded by the thread manager (so its spawn requests are served).
  const main = new Worker(workerUrl, { workerData: { stdoutFd, preciseClock } });
  await wasiThreads.PThread.loadWasmModuleToWorker(main);
  main.ref(); // the manager unrefs idle workers
  const code = await new Promise((resolve) => {
    main.on('message', (m) => { if (m && m.mainDone !== undefined) resolve(m.mainDone); });
    main.postMessage({ runMain: true });
  });
  wasiThreads.terminateAllThreads();
  return code;
}
