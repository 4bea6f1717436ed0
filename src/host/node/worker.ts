/** Entry point of every Node worker that runs a wasm thread. */
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { runThread, type BootData } from '../../threads/runtime.js';
import { NodeThreadHost } from './thread-host.js';

const { boot, port, logFd } = workerData as { boot: BootData | undefined; port: MessagePort; logFd: number };
const go = (b: BootData): void => {
  runThread(b, new NodeThreadHost(port, logFd));
  port.close();
};
// A standby worker (booted ahead for the next process of a tree) gets its boot data as its first message.
if (boot) go(boot);
else port.once('message', (m: { boot: BootData }) => go(m.boot));
