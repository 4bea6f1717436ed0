/** Entry point of every Node worker that runs a wasm thread. */
import type { MessagePort } from 'node:worker_threads';
import { runThread, type BootData } from '../../process/thread-runtime.js';
import { builtin } from './builtins.js';
import { NodeThreadHost } from './thread-host.js';
import type { CacheRequest, ScriptData } from './worker-script.js';
import { adoptHeldFds } from './held-fds.js';

const wt = builtin('worker_threads');
const { boot, port, logFd, heldFds, script } = wt.workerData as {
  boot: BootData | undefined; port: MessagePort; logFd: number; heldFds: SharedArrayBuffer; script?: ScriptData;
};
// The fds this thread holds for itself are listed where the thread that created this Worker closes them
// when it exits, terminated in the middle of guest code too (held-fds.ts).
adoptHeldFds(heldFds);

/** What worker-script.ts's loader left: a way to make the code cache, and whether the given one was used. */
const codeCache = (globalThis as Record<symbol, unknown>)[Symbol.for('weft.codeCache')] as
  { make(): Uint8Array; used: boolean | undefined } | undefined;

/** Posts V8's code cache of this worker's script. */
function postCodeCache(after: CacheRequest): void {
  let data: Uint8Array | undefined;
  try {
    data = codeCache?.make();
  } catch {
    data = undefined; // no cache: the next Workers compile as before
  }
  wt.parentPort?.postMessage({ t: 'code-cache', after, data });
}

let cacheAfterRun = script?.request === 'run';

/**
 * Runs one thread, then reports that the worker is free again ('parked'): the coordinator host may hand it
 * boot data for another thread (the next process of a tree, a standby) instead of booting a new Worker,
 * or end it. A standby worker (booted ahead) gets its first boot data as a message too.
 */
function runOne(b: BootData): void {
  runThread(b, new NodeThreadHost(port, logFd));
  port.postMessage({ t: 'parked' });
  // After the parked message, so the host can already hand out the next boot data (it waits on the port).
  if (cacheAfterRun) {
    cacheAfterRun = false;
    postCodeCache('run');
  }
}

if (script?.request === 'load') postCodeCache('load');
port.on('message', (m: { boot?: BootData }) => {
  if (m.boot) runOne(m.boot);
});
if (boot) runOne(boot);
// A standby: loaded, waiting for boot data (whether V8 took the code cache: for tests and diagnostics).
else port.postMessage({ t: 'listening', codeCache: codeCache?.used });
