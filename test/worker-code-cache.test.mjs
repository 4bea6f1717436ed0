// Node thread workers load their script through V8's code cache (host/node/worker-script.ts): the first
// Worker of a process is not asked to make it (it runs the program's start), a later one makes it once
// loaded, and the Workers booted after that compile nothing V8 kept in it. Every Worker still runs threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { bootWorker } from '../dist/host/node/worker-script.js';

/** Boots a standby worker; resolves with its 'listening' message and the worker. */
function standby() {
  const { port1, port2 } = new MessageChannel();
  const worker = bootWorker({ boot: undefined, port: port2, logFd: 2 }, { transferList: [port2], execArgv: [], stdout: false, stderr: false });
  const cache = new Promise((resolve) => worker.on('message', (m) => m.t === 'code-cache' && resolve(m)));
  const listening = new Promise((resolve) => port1.once('message', resolve));
  return { worker, port1, listening, cache };
}

test('the second Worker makes the code cache once loaded; later Workers load with it', { timeout: 60_000 }, async () => {
  const first = standby();
  assert.deepEqual(await first.listening, { t: 'listening', codeCache: undefined }, 'the first Worker is given no cache');
  const second = standby();
  assert.deepEqual(await second.listening, { t: 'listening', codeCache: undefined });
  const made = await second.cache;
  assert.equal(made.after, 'load');
  assert.ok(made.data instanceof Uint8Array && made.data.length > 10_000, `a cache of ${made.data?.length} bytes`);
  const later = [standby(), standby()];
  for (const w of later) assert.deepEqual(await w.listening, { t: 'listening', codeCache: true }, 'V8 accepted the cache');
  for (const w of [first, second, ...later]) {
    w.port1.close();
    await w.worker.terminate();
  }
});
