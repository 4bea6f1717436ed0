import { Errno, WasiError } from '../../abi/errno.js';
import type { BackendDescriptor, FsBackend } from '../../fs/backend.js';
import type { StdioTarget, ThreadHost } from '../../kernel/config.js';
import { openBrowserBackend } from './backends.js';
import type { HostMessage } from './messages.js';
import { LOG_FD, RingWriter } from './ring.js';

/** The parts of a dedicated worker's global scope the host uses (the DOM lib types `self` as a Window). */
export interface WorkerScope {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
}

/** crypto.getRandomValues refuses views of shared memory and more than 65536 bytes per call. */
const RANDOM_CHUNK = 65536;

/**
 * The kernel's view of the browser inside a Web Worker. Output to fds 1/2 ('callback' targets, which
 * the kernel hands to post() as 'stdout' messages) and diagnostics go into the process's output ring
 * rather than one postMessage each (see ring.ts); every other message is posted to the page.
 */
export class BrowserThreadHost implements ThreadHost {
  private readonly ring: RingWriter;
  private scratch: Uint8Array | undefined;

  constructor(private readonly scope: WorkerScope, ring: SharedArrayBuffer) {
    this.ring = new RingWriter(ring, () => this.scope.postMessage({ t: 'out-ready' } satisfies HostMessage));
  }

  post(msg: unknown, transfer?: Transferable[]): void {
    const m = msg as { t?: string; fd?: number; data?: Uint8Array };
    if (m.t === 'stdout' && m.data) {
      this.ring.write(m.fd!, m.data);
      return;
    }
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
      this.ring.write(LOG_FD, new TextEncoder().encode(line));
    } catch {
      console.error(line);
    }
  }
}
