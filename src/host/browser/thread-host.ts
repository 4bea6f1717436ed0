import { Errno, WasiError } from '../../abi/errno.js';
import type { BackendDescriptor, FsBackend } from '../../fs/backend.js';
import type { StdioTarget, ThreadHost } from '../../kernel/config.js';
import { openBrowserBackend } from './backends.js';
import { OUT_POSTED, type HostMessage } from './messages.js';

/** The parts of a dedicated worker's global scope the host uses (the DOM lib types `self` as a Window). */
export interface WorkerScope {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
}

/** crypto.getRandomValues refuses views of shared memory and more than 65536 bytes per call. */
const RANDOM_CHUNK = 65536;

/**
 * The kernel's view of the browser inside a Web Worker. Output to fds 1/2 is posted to the page by the
 * kernel itself ('callback' targets); diagnostics are posted as 'log' messages. Every post the page must
 * see before it tears the process down (output, logs) is counted in a shared word first, so the page can
 * wait for the ones still in flight instead of losing them.
 */
export class BrowserThreadHost implements ThreadHost {
  private readonly outCount: Int32Array;
  private scratch: Uint8Array | undefined;

  constructor(private readonly scope: WorkerScope, outCounter: SharedArrayBuffer) {
    this.outCount = new Int32Array(outCounter);
  }

  post(msg: unknown, transfer?: Transferable[]): void {
    const t = (msg as { t?: string }).t;
    if (t === 'stdout' || t === 'log') Atomics.add(this.outCount, OUT_POSTED, 1);
    this.scope.postMessage(msg, transfer);
  }

  writeStdio(_target: StdioTarget, _fd: number, _data: Uint8Array[]): number {
    // Browsers have no host fds: fds 1/2 are 'callback' or 'null' targets, which the kernel handles.
    throw new WasiError(Errno.BADF);
  }

  readStdioSync(_target: StdioTarget, _dst: Uint8Array): number {
    return 0;
  }

  openBackend(d: BackendDescriptor): FsBackend {
    return openBrowserBackend(d);
  }

  randomFill(dst: Uint8Array): void {
    const tmp = (this.scratch ??= new Uint8Array(RANDOM_CHUNK));
    for (let at = 0; at < dst.length; at += RANDOM_CHUNK) {
      const n = Math.min(RANDOM_CHUNK, dst.length - at);
      const part = n === RANDOM_CHUNK ? tmp : tmp.subarray(0, n);
      crypto.getRandomValues(part);
      dst.set(part, at);
    }
  }

  cpuCount(): number {
    return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency || 1;
  }

  // Browsers expose no CPU clocks; wall time since this worker started bounds the thread's CPU time.
  processCpuTimeNs(): number {
    return Math.round(performance.now() * 1e6);
  }

  threadCpuTimeNs(): number {
    return Math.round(performance.now() * 1e6);
  }

  log(line: string): void {
    try {
      this.post({ t: 'log', line } satisfies HostMessage);
    } catch {
      console.error(line);
    }
  }
}
