import type { ToCoordinator } from '../../kernel/kernel.js';
import type { CoordinatorHost, WorkerEvents, WorkerHandle } from '../../process/coordinator.js';
import type { BootData } from '../../process/thread-runtime.js';
import type { HostMessage, WorkerStart } from './messages.js';
import { createRing, LOG_FD, RingReader } from './ring.js';
import { takeThreadWorker } from './warm-pool.js';

/** Workers a process tree keeps for its next processes (see BrowserCoordinatorHost.standby). */
const KEEP_WORKERS = 4;
/** How often the page drains the output ring while output is streaming (ms). */
const POLL_MS = 2;

export interface BrowserCoordinatorOptions {
  /** Bytes written to fd 1 or 2 (targets of kind 'callback'). */
  output(fd: number, data: Uint8Array): void;
  /** Diagnostics: trap reports, trace lines, worker failures. */
  log(line: string): void;
  /** Bytes of the output ring shared by the process's threads (power of two, default 1 MiB). */
  ringBytes?: number;
}

/**
 * Boots wasm threads as module Web Workers from the page (the coordinator), so a spawn never depends on
 * the event loop of the worker that asked for it: a worker blocked in Atomics.wait could not start a
 * nested Worker. The warm pool, spawn queue and teardown are WeftProcess's, exactly as on Node.
 *
 * Output arrives through a shared ring (ring.ts) that the page drains when a worker rings the doorbell,
 * and once more, synchronously, before the first worker is terminated at teardown: nothing a thread
 * wrote before the process exited is lost, although browsers cannot receive a worker's queued
 * messages synchronously as Node can.
 */
export class BrowserCoordinatorHost implements CoordinatorHost {
  private readonly ringSab: SharedArrayBuffer;
  private readonly ring: RingReader;
  private readonly dec = new TextDecoder();
  private polling = false;

  constructor(private readonly opts: BrowserCoordinatorOptions) {
    this.ringSab = createRing(opts.ringBytes);
    this.ring = new RingReader(this.ringSab);
  }

  /**
   * Workers for the next startWorker: one booted ahead (prewarm) and those whose thread ended, up to
   * KEEP_WORKERS (a shell's `$(echo $i | cat)` has three processes alive at once; keeping fewer terminated
   * a Worker every iteration and booted another).
   */
  private readonly standby: Worker[] = [];
  private disposed = false;

  private newWorker(): Worker {
    // One started ahead in the page (prewarm(), warm-pool.ts) when there is one.
    return takeThreadWorker();
  }

  /** prewarm() was called: a process tree runs here, and workers whose thread ended are worth keeping. */
  private prewarmed = false;

  prewarm(): void {
    this.prewarmed = true;
    if (this.standby.length === 0 && !this.disposed) this.standby.push(this.newWorker());
  }

  dispose(): void {
    this.disposed = true;
    for (const w of this.standby.splice(0)) w.terminate();
  }

  startWorker(boot: BootData, events: WorkerEvents): WorkerHandle {
    const kept = this.standby.pop();
    const worker = kept ?? this.newWorker();
    // a little later: a short-lived process gives its worker back first
    if (kept && this.standby.length === 0) setTimeout(() => this.prewarm(), 40);
    let exited = false;
    // Once its thread has ended, the worker may become the standby again (process trees) instead of closing.
    let adopted = false;
    worker.onmessage = (e: MessageEvent) => {
      const m = e.data as ToCoordinator | HostMessage;
      switch (m.t) {
        case 'out-ready':
          this.drain();
          this.startPolling();
          return;
        case 'worker-done':
          if (!exited) {
            exited = true;
            events.exit();
          }
          if (this.prewarmed && this.standby.length < KEEP_WORKERS && !this.disposed) {
            adopted = true;
            worker.onmessage = null;
            worker.onerror = null;
            worker.onmessageerror = null;
            this.standby.push(worker);
          } else {
            worker.terminate();
          }
          return;
        default:
          events.message(m);
      }
    };
    worker.onerror = (e: Event) => {
      e.preventDefault?.();
      events.error(workerError(e));
    };
    worker.onmessageerror = () => events.error(new Error('a message from a thread worker could not be deserialized'));
    worker.postMessage({ boot, ring: this.ringSab, reusable: true } satisfies WorkerStart);
    return {
      terminate: () => {
        this.drain();
        if (!adopted) worker.terminate();
      },
    };
  }

  output(fd: number, data: Uint8Array): void {
    this.opts.output(fd, data);
  }

  log(line: string): void {
    this.opts.log(line);
  }

  /**
   * While output streams in, drain the ring every few ms with the doorbell kept set, so writers do not
   * pay a postMessage each; stop (clear the doorbell) once a poll finds nothing new.
   */
  private startPolling(): void {
    if (this.polling) return;
    this.polling = true;
    const poll = (): void => {
      if (!this.ring.pending() && this.ring.clearBell()) {
        this.polling = false;
        return;
      }
      this.drain();
      setTimeout(poll, POLL_MS);
    };
    setTimeout(poll, POLL_MS);
  }

  /** Delivers everything in the output ring; a throwing callback does not lose the rest. */
  drain(): void {
    let failure: unknown;
    for (const { fd, data } of this.ring.drain()) {
      try {
        if (fd === LOG_FD) this.opts.log(this.dec.decode(data));
        else this.opts.output(fd, data);
      } catch (e) {
        failure ??= e;
      }
    }
    // Rethrows what a callback threw, as it was (an uncaught error for the page, not lost in the drain).
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (failure !== undefined) queueMicrotask(() => { throw failure; });
  }
}

function workerError(e: Event): Error {
  const ev = e as ErrorEvent;
  if (typeof ev.message === 'string' && ev.message) {
    const where = ev.filename ? ` (${ev.filename}:${ev.lineno}:${ev.colno})` : '';
    return ev.error instanceof Error ? ev.error : new Error(ev.message + where);
  }
  return new Error(
    `could not start a thread worker (${new URL('./worker.js', import.meta.url).href}): ` +
      'is dist/ served completely, as JavaScript, with Cross-Origin-Resource-Policy allowing this page?',
  );
}
