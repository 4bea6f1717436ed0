/** Entry point of every Node worker that runs a wasm thread. */
import type { MessagePort } from 'node:worker_threads';
import { runThread, type BootData } from '../../threads/runtime.js';
import { builtin } from './builtins.js';
import { NodeThreadHost } from './thread-host.js';

const { boot, port, logFd } = builtin('worker_threads').workerData as { boot: BootData; port: MessagePort; logFd: number };
runThread(boot, new NodeThreadHost(port, logFd));
port.close();
