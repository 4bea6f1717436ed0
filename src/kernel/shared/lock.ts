import { mayPark } from '../../abi/agent.js';

/**
 * A mutex in shared memory (0 free, 1 held, 2 held with waiters), so unlocking an uncontended lock is
 * one atomic op and no notify. Critical sections are short. Parks with Atomics.wait where the agent may;
 * a browser page's main thread (the process tree closing a dead process's descriptors) spins instead.
 */
export function spinLock(i32: Int32Array, index: number): void {
  let c = Atomics.compareExchange(i32, index, 0, 1);
  if (c === 0) return;
  for (let spins = 0; spins < 64; spins++) {
    c = Atomics.compareExchange(i32, index, 0, 1);
    if (c === 0) return;
  }
  if (!mayPark()) {
    while (Atomics.compareExchange(i32, index, 0, 1) !== 0);
    return;
  }
  if (c !== 2) c = Atomics.exchange(i32, index, 2);
  while (c !== 0) {
    Atomics.wait(i32, index, 2);
    c = Atomics.exchange(i32, index, 2);
  }
}

export function spinUnlock(i32: Int32Array, index: number): void {
  if (Atomics.sub(i32, index, 1) !== 1) {
    Atomics.store(i32, index, 0);
    Atomics.notify(i32, index, 1);
  }
}
