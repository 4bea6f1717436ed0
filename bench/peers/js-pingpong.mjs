// The floor for futex ping-pong: two JS workers doing the same protocol as pingpong-shared.wat with
// Atomics.wait/notify on one Int32Array word of a SharedArrayBuffer. Worker A times the rounds and prints
// "@ 30 <ns>" on fd 2, like the wasm program.
import { Worker } from 'node:worker_threads';

const code = `
const { workerData: { sab, role, warmupMs, rounds, tag } } = require('node:worker_threads');
const i32 = new Int32Array(sab);
if (role === 'b') {
  for (;;) {
    while (Atomics.load(i32, 0) === 0) Atomics.wait(i32, 0, 0);
    if (Atomics.load(i32, 0) === 2) break;
    Atomics.store(i32, 0, 0);
    Atomics.notify(i32, 0, 1);
  }
} else {
  const go = (n) => {
    for (; n > 0; n--) {
      Atomics.store(i32, 0, 1);
      Atomics.notify(i32, 0, 1);
      while (Atomics.load(i32, 0) !== 0) Atomics.wait(i32, 0, 1);
    }
  };
  const w0 = process.hrtime.bigint();
  do go(100); while (process.hrtime.bigint() - w0 < BigInt(warmupMs * 1e6));
  const t0 = process.hrtime.bigint();
  go(rounds);
  require('node:fs').writeSync(2, '@ ' + tag + ' ' + (process.hrtime.bigint() - t0) + '\\n');
  Atomics.store(i32, 0, 2);
  Atomics.notify(i32, 0, 1);
}
`;

export function runJsPingPong({ warmupMs, rounds, tag }) {
  const sab = new SharedArrayBuffer(64);
  const start = (role) => new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { sab, role, warmupMs, rounds, tag } });
    w.on('error', reject);
    w.on('exit', resolve);
  });
  return Promise.all([start('b'), start('a')]).then(() => 0);
}
