/** Entry point of every Node worker that runs a wasm thread. */
import type { MessagePort } from 'node:worker_threads';
import { runThread, type BootData } from '../../process/thread-runtime.js';
import { builtin } from './builtins.js';
import { NodeThreadHost } from './thread-host.js';
import { adoptHeldFds } from './held-fds.js';

const { boot, port, logFd, heldFds } = builtin('worker_threads').workerData as {
  boot: BootData | undefined; port: MessagePort; logFd: number; heldFds: SharedArrayBuffer;
};
// The fds this thread holds for itself are listed where the thread that created this Worker closes them
// when it exits, terminated in the middle of guest code too (held-fds.ts).
adoptHeldFds(heldFds);

/**
 * Runs one thread, then reports that the worker is free again ('parked'): the coordinator host may hand it
 * boot data for another thread (the next process of a tree, a standby) instead of booting a new Worker,
 * or end it. A standby worker (booted ahead) gets its first boot data as a message too.
 */
function runOne(b: BootData): void {
  runThread(b, new NodeThreadHost(port, logFd));
  port.postMessage({ t: 'parked' });
}

port.on('message', (m: { boot?: BootData }) => {
  if (m.boot) runOne(m.boot);
});
if (boot) runOne(boot);
else port.postMessage({ t: 'listening' }); // a standby: loaded, waiting for boot data
