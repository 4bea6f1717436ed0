/**
 * A lock word in shared memory: 0 free, 1 held. Short critical sections only; after a brief spin it
 * parks with Atomics.wait (so it must not be taken on a browser page's main thread).
 */
export function spinLock(i32: Int32Array, index: number): void {
  let spins = 0;
  while (Atomics.compareExchange(i32, index, 0, 1) !== 0) {
    if (++spins > 100) Atomics.wait(i32, index, 1, 1);
  }
}

export function spinUnlock(i32: Int32Array, index: number): void {
  Atomics.store(i32, index, 0);
  Atomics.notify(i32, index, 1);
}
