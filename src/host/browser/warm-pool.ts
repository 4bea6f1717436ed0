/**
 * Thread Workers started ahead of any run(): a Web Worker takes 50-100 ms (more under load) to start and
 * load its script, which every run() otherwise pays before its main thread, and each spare before its
 * first spawn. prewarm(n) keeps n started Workers idle in the page (they wait for their boot message,
 * see worker.ts); run() takes from them first and refills the pool once its program has ended.
 */
interface Warm {
  worker: Worker;
  failed: boolean;
}

const idle: Warm[] = [];
let target = 0;

/** A new thread Worker. Written literally, with static options, so bundlers pick the entry up. */
function newThreadWorker(): Worker {
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'weft thread' });
}

function warmOne(): Warm {
  const w: Warm = { worker: newThreadWorker(), failed: false };
  // A Worker that failed to load is never handed out (its error event would be gone): take() starts a
  // fresh one instead, whose failure then reaches the run.
  w.worker.onerror = (e: Event) => {
    e.preventDefault?.();
    w.failed = true;
  };
  return w;
}

/** A started Worker from the pool, else a new one. */
export function takeThreadWorker(): Worker {
  for (let w = idle.shift(); w; w = idle.shift()) {
    if (!w.failed) {
      w.worker.onerror = null;
      return w.worker;
    }
    w.worker.terminate();
  }
  return newThreadWorker();
}

/** Tops the pool back up to its size (after a run, off its start-up path). */
export function refillWarmPool(): void {
  while (idle.length < target) idle.push(warmOne());
}

/**
 * Starts `count` thread Workers now and keeps that many idle in the page from then on, so run() finds
 * its main thread's and its spare workers' Workers already started. `prewarm(0)` ends the idle ones.
 * Typically main thread + spares: 3 (the default).
 */
export function prewarm(count = 3): void {
  target = Math.max(0, Math.floor(count));
  while (idle.length > target) idle.pop()!.worker.terminate();
  refillWarmPool();
}
