import type { ToCoordinator } from '../../kernel/kernel.js';
import type { CoordinatorHost, WorkerEvents, WorkerHandle } from '../../threads/process.js';
import type { BootData } from '../../threads/runtime.js';
import { OUT_POSTED, type HostMessage, type WorkerStart } from './messages.js';

export interface BrowserCoordinatorOptions {
  /** Bytes written to fd 1 or 2 (targets of kind 'callback'). */
  output(fd: number, data: Uint8Array): void;
  /** Diagnostics: trap reports, trace lines, worker failures. */
  log(line: string): void;
  /** A thread is waiting for stdin (max bytes wanted; 0 for a readiness poll). */
  stdinDemand?(max: number): void;
  /** Longest wait at teardown for output still in flight from workers (ms, default 1000). */
  flushTimeoutMs?: number;
}

interface FlushWaiter {
  target: number;
  done: () => void;
}

/**
 * Boots wasm threads as module Web Workers from the page (the coordinator), so a spawn never depends on
 * the event loop of the worker that asked for it: a worker blocked in Atomics.wait could not start a
 * nested Worker. The warm pool, spawn queue and teardown are WeftProcess's, exactly as on Node.
 *
 * Browsers cannot receive a worker's queued messages synchronously (Node's receiveMessageOnPort), so
 * workers count each output/log message in a shared word before posting it; at teardown a worker is
 * terminated only once the page has received every message counted so far (or after flushTimeoutMs).
 */
export class BrowserCoordinatorHost implements CoordinatorHost {
  private readonly outCounter = new SharedArrayBuffer(4);
  private readonly posted = new Int32Array(this.outCounter);
  private received = 0;
  private waiters: FlushWaiter[] = [];

  constructor(private readonly opts: BrowserCoordinatorOptions) {}

  startWorker(boot: BootData, events: WorkerEvents): WorkerHandle {
    // Written literally so bundlers (Vite, webpack, esbuild) pick the worker entry up.
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      type: 'module',
      name: `weft ${boot.role === 'main' ? 'main thread' : `pool worker ${boot.slot}`}`,
    });
    let exited = false;
    const exit = (): void => {
      if (exited) return;
      exited = true;
      events.exit();
    };
    worker.onmessage = (e: MessageEvent) => {
      const m = e.data as ToCoordinator | HostMessage;
      switch (m.t) {
        case 'stdout':
          this.received++;
          try {
            this.opts.output(m.fd, m.data);
          } finally {
            this.settle();
          }
          return;
        case 'log':
          this.received++;
          try {
            this.opts.log(m.line);
          } finally {
            this.settle();
          }
          return;
        case 'worker-done':
          exit();
          return;
        case 'stdin-read':
        case 'stdin-poll':
          events.message(m);
          this.opts.stdinDemand?.(m.t === 'stdin-read' ? m.max : 0);
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
    worker.postMessage({ boot, outCounter: this.outCounter } satisfies WorkerStart);
    return {
      terminate: async () => {
        await this.flush();
        worker.terminate();
      },
    };
  }

  output(fd: number, data: Uint8Array): void {
    this.opts.output(fd, data);
  }

  log(line: string): void {
    this.opts.log(line);
  }

  /** Resolves once every output message counted so far has been received (bounded by flushTimeoutMs). */
  private flush(): Promise<void> {
    const target = Atomics.load(this.posted, OUT_POSTED);
    if (this.received >= target) return Promise.resolve();
    return new Promise((resolve) => {
      const w: FlushWaiter = {
        target,
        done: () => {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve();
        },
      };
      const timer = setTimeout(w.done, this.opts.flushTimeoutMs ?? 1000);
      this.waiters.push(w);
    });
  }

  private settle(): void {
    for (const w of this.waiters.slice()) if (this.received >= w.target) w.done();
  }
}

function workerError(e: Event): Error {
  const ev = e as ErrorEvent;
  if (typeof ev.message === 'string' && ev.message) {
    const where = ev.filename ? ` (${ev.filename}:${ev.lineno}:${ev.colno})` : '';
    const err = ev.error instanceof Error ? ev.error : new Error(ev.message + where);
    return err;
  }
  return new Error(
    `could not start a thread worker (${new URL('./worker.js', import.meta.url).href}): ` +
      'is dist/ served completely, as JavaScript, with Cross-Origin-Resource-Policy allowing this page?',
  );
}
