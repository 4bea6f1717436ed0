/** Entry point of every Web Worker that runs a wasm thread (started by BrowserCoordinatorHost). */
import { runThread } from '../../threads/runtime.js';
import type { HostMessage, WorkerStart } from './messages.js';
import { BrowserThreadHost, type WorkerScope } from './thread-host.js';

interface Scope extends WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  close(): void;
}

const scope = globalThis as unknown as Scope;
scope.onmessage = (e: MessageEvent) => {
  scope.onmessage = null;
  const { boot, ring } = e.data as WorkerStart;
  runThread(boot, new BrowserThreadHost(scope, ring));
  scope.postMessage({ t: 'worker-done' } satisfies HostMessage);
  scope.close();
};
