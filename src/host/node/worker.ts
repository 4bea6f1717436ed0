/** Entry point of every Node worker that runs a wasm thread. */
import type { MessagePort } from 'node:worker_threads';
import { runThread, type BootData } from '../../process/thread-runtime.js';
import { builtin } from './builtins.js';
import { NodeThreadHost } from './thread-host.js';

const { boot, port, logFd } = builtin('worker_threads').workerData as { boot: BootData | undefined; port: MessagePort; logFd: number };
if (boot) {
  runThread(boot, new NodeThreadHost(port, logFd));
  port.close();
} else {
  // A standby worker (booted ahead for the next process of a tree) gets its boot data as a message, and
  // after each run reports that it is free again: the coordinator may hand it the next process's main
  // thread instead of booting a new Worker, or end it.
  port.on('message', (m: { boot?: BootData }) => {
    if (!m.boot) return;
    runThread(m.boot, new NodeThreadHost(port, logFd));
    port.postMessage({ t: 'parked' });
  });
}
