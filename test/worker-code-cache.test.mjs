// Node thread workers load their script through V8's code cache (host/node/worker-script.ts): the first
// Worker of a process is not asked to make it (it runs the program's start), a later one makes it once
// loaded, and the Workers booted after that compile nothing V8 kept in it. Every Worker still runs threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { bootWorker } from '../dist/host/node/worker-script.js';

// The cache kept on disk between runs (code-cache.test.mjs) would give the first Worker one: off here.
process.env.WEFT_CODE_CACHE = 'off';

/** Boots a standby worker; resolves with its 'listening' message and the worker. */
function standby() {
  const { port1, port2 } = new MessageChannel();
  const worker = bootWorker({ boot: undefined, port: port2, logFd: 2 }, { transferList: [port2], execArgv: [], stdout: false, stderr: false, trackUnmanagedFds: false });
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

/** fds of this process open on the worker bundle. */
function bundleFds() {
  let n = 0;
  for (const f of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${f}`).endsWith('worker.bundle.cjs')) n++;
    } catch {
      // (the directory's own fd, gone by now)
    }
  }
  return n;
}

// Node closes no fd a Worker opened when it ends (thread workers run with trackUnmanagedFds off): a Worker
// that read the bundle file itself and was terminated between its open and its close left that fd open
// for good. Each Worker here is terminated the moment an fd on the bundle shows up in this process (this
// thread spins on /proc/self/fd while the Worker loads), or once it says it is loaded. On the build whose
// Workers read the file themselves, each of 3 runs of this test left an fd open.
test('Workers terminated while they load leave no fd on the bundle', { timeout: 120_000, skip: process.platform !== 'linux' }, async () => {
  const before = bundleFds();
  for (let i = 0; i < 30; i++) {
    const w = standby();
    const until = performance.now() + 10_000;
    while (bundleFds() === before && !receiveMessageOnPort(w.port1) && performance.now() < until);
    w.port1.close();
    await w.worker.terminate();
  }
  assert.equal(bundleFds(), before, 'fds left open on worker.bundle.cjs');
});
