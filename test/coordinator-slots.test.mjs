// The coordinator's worker slots (process/coordinator.ts) with a fake host: a retired worker's late
// events must not act on the worker that took its slot (issue 20.3: a stale 'exit' cleared the
// successor's record, a third worker was booted into the same slot, and one's 'retired' then
// terminated the other in the middle of a guest thread).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WeftProcess } from '../dist/process/coordinator.js';
import { Control, Ctl } from '../dist/kernel/shared/control-block.js';
import { createChannel } from '../dist/kernel/shared/channel.js';
import { FdTable } from '../dist/kernel/shared/fd-table.js';
import { runThread } from '../dist/process/thread-runtime.js';

function fakeHost() {
  const workers = [];
  const host = {
    workers,
    startWorker(boot, events) {
      const w = { slot: boot.slot, role: boot.role, events, gone: false };
      workers.push(w);
      return {
        terminate: () => void (w.gone = true),
        release: () => {
          w.gone = true;
          return Promise.resolve();
        },
      };
    },
    output() {},
    log() {},
  };
  return host;
}

test("a retired pool worker's late exit leaves its slot's successor alone: never two live workers in one slot", async () => {
  const host = fakeHost();
  const p = new WeftProcess(host, {
    module: undefined,
    info: { memoryImport: { initial: 1, maximum: 1, shared: true }, exports: ['_start', 'wasi_thread_start'], usesWasix: false, functionImports: ['wasi.thread-spawn'],
      spawnsThreads: true, threadReuse: () => undefined },
    kernel: {}, maxThreads: 8, spareWorkers: 1,
  });
  void p.start();
  const [, first] = host.workers;
  assert.equal(first.slot, 1);
  // As a real pool worker: counted free (Ctl.IDLE) while it waits for a spawn, uncounted when it retires.
  Atomics.add(p.ctl.i32, Ctl.IDLE, 1);
  first.events.message({ t: 'ready', slot: 1 });
  assert.equal(host.workers.length, 2, 'one spare worker, free: nothing more to boot');
  // The pool worker retires; the coordinator releases it and boots a successor into the freed slot.
  Atomics.sub(p.ctl.i32, Ctl.IDLE, 1);
  first.events.message({ t: 'retired', slot: 1 });
  const successor = host.workers.at(-1);
  assert.notEqual(successor, first);
  assert.equal(successor.slot, 1);
  assert.equal(first.gone, true);
  // The released worker's exit arrives late (Node: after terminate()), then demand asks for workers.
  first.events.exit();
  first.events.message({ t: 'retired', slot: 1 }); // (a duplicate must not release the successor either)
  host.workers[0].events.message({ t: 'spawn-hint' });
  const live = host.workers.filter((w) => !w.gone);
  const slots = live.map((w) => w.slot);
  assert.deepEqual(slots.filter((s, i) => slots.indexOf(s) !== i), [], `slots shared by live workers: ${slots}`);
  assert.equal(successor.gone, false, 'the successor was released by its predecessor\'s events');
  await p.kill(1);
});

test("a pooled worker is counted free (Ctl.IDLE) before it says 'ready': the coordinator tops the pool up on 'ready'", () => {
  // Posted first and counted after, the coordinator saw no free worker on 'ready' and booted a second
  // spare for every threaded program (a shell that never starts a thread paid one more Worker boot).
  const ctl = Control.create(4);
  const posts = [];
  const host = {
    post: (m) => posts.push({ t: m.t, idle: Atomics.load(ctl.i32, Ctl.IDLE) }),
    log: () => {},
  };
  runThread({
    role: 'pool', slot: 1, module: undefined, memory: undefined, memoryLimits: undefined, channel: createChannel(),
    kernel: { ctlSab: ctl.sab, maxThreads: 4, fdSab: FdTable.create().sab, preopens: [], args: [], env: [], usesWasix: false, hasThreadStart: true },
    preinstantiate: false, idleTimeoutMs: 20,
  }, host);
  // With no spawn it waits idleTimeoutMs, then retires (and is no longer counted).
  assert.deepEqual(posts, [{ t: 'ready', idle: 1 }, { t: 'retired', idle: 0 }]);
});
