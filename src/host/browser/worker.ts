/** Entry point of every Web Worker that runs a wasm thread (started by BrowserCoordinatorHost). */
import { runThread } from '../../process/thread-runtime.js';
import type { HostMessage, WorkerStart } from './messages.js';
import { BrowserThreadHost, type WorkerScope } from './thread-host.js';

interface Scope extends WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  close(): void;
}

const scope = globalThis as unknown as Scope;
scope.onmessage = (e: MessageEvent) => {
  const { boot, ring, reusable } = e.data as WorkerStart;
  if (!reusable) scope.onmessage = null;
  runThread(boot, new BrowserThreadHost(scope, ring));
  scope.postMessage({ t: 'worker-done' } satisfies HostMessage);
  // A reusable worker waits for its next WorkerStart (or for terminate()).
  if (!reusable) scope.close();
};
