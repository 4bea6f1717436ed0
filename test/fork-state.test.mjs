// A forked child's copy of its parent's WASIX state (kernel/shared/wasix-state.ts copyForFork): taken
// under the state's lock and with the copy's lock free. Copied while another agent held the lock (the
// coordinator reading the signal callback's name to deliver a SIGCHLD), the child's first callback_signal
// spun forever: a rare hang of fork loops (about one bench process in 50).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { WasixHeader, WasixState } from '../dist/kernel/shared/wasix-state.js';

const stateUrl = new URL('../dist/kernel/shared/wasix-state.js', import.meta.url).href;

test('a fork while another thread holds the process state lock copies a whole state with a free lock', async () => {
  const objSab = WasixState.createObjects();
  const st = WasixState.create(objSab, '/home');
  const held = new Int32Array(new SharedArrayBuffer(4));
  // Another agent takes the lock, says so, changes the state under it, and lets go 150 ms later.
  const w = new Worker(`
    const { workerData: { sab, objSab, held } } = require('node:worker_threads');
    import(${JSON.stringify(stateUrl)}).then(({ WasixState }) => {
      const st = new WasixState(sab, objSab);
      st.lock();
      Atomics.store(held, 0, 1); Atomics.notify(held, 0);
      Atomics.wait(held, 0, 1, 150);
      st.unlock();
      st.setCwd('/after');
    });`, { eval: true, workerData: { sab: st.sab, objSab, held } });
  Atomics.wait(held, 0, 0, 10_000);
  assert.equal(Atomics.load(held, 0), 1, 'the other thread holds the lock');
  const t0 = performance.now();
  const copy = st.copyForFork();
  assert.ok(performance.now() - t0 >= 100, 'the copy waited for the lock');
  assert.equal(new Int32Array(copy)[WasixHeader.LOCK], 0, "the child's lock is free");
  const child = new WasixState(copy, objSab);
  assert.equal(child.handlerName(), null); // takes the child's lock: returns at once
  await w.terminate();
});
