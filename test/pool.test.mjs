// The Worker pool (issue 20.1, 20.2, 20.6; issue 17.5): pooled workers keep their instance from one thread to
// the next when the module allows it, so memory stays bounded over many spawns; bursts find workers; a pool
// larger than its demand shrinks; a program with many idle workers ends promptly; a process tree recycles its
// Workers (fork, exec, exit) instead of booting one per process. Timings are bounded generously (a loaded
// 2-core machine); the quiet-machine figures are benchmarks (bench/, docs/benchmarks.md).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureFixtures, fixture } from './helpers/fixtures.mjs';
import { wat2wasm, watFile } from './helpers/wat.mjs';
import { weft } from './helpers/run.mjs';
import { threadReuse } from '../dist/abi/thread-reuse.js';

before(() => Promise.all([ensureFixtures('wasix'), ensureFixtures('wasix-async'), ensureFixtures('threads')]), { timeout: 600_000 });

const probeScript = fileURLToPath(new URL('./helpers/pool-probe.mjs', import.meta.url));

/** Runs a program under run() in a fresh Node process (test/helpers/pool-probe.mjs); resolves with its report. */
function probe(args, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [probeScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`probe ended with ${code}: ${out}${err}`));
      }
    });
  });
}

// --- which modules may keep their instance (abi/thread-reuse.ts) ---

/** A wasi-threads module in wasi-libc's shape: wasi_thread_start sets __stack_pointer and calls a TLS leaf. */
const threaded = ({ body = '', extra = '', start = '' } = {}) => `(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (global $sp (mut i32) (i32.const 4096))
  (global $tls (mut i32) (i32.const 0))
  (global $other (mut i32) (i32.const 0))
  (table 2 funcref)
  (func $init_tls (param i32) (global.set $tls (local.get 0)))
  (func $work (param i32) (global.set $sp (i32.sub (global.get $sp) (i32.const 16))) ${body})
  (func (export "wasi_thread_start") (param i32 i32)
    (global.set $sp (i32.load (local.get 1)))
    (call $init_tls (i32.load offset=4 (local.get 1)))
    (call $work (local.get 0)))
  ${extra} ${start}
  (func (export "_start")))`;

test('thread reuse: allowed when code changes only __stack_pointer/__tls_base, which wasi_thread_start resets', async () => {
  const r = threadReuse(await wat2wasm(threaded()));
  assert.deepEqual(r, { ok: true, asyncify: false });
});

test('thread reuse: refused when code sets another global, changes a table, or the start function sets state', async () => {
  // (a leaf setting it unconditionally would reset it for every thread: it must depend on its old value)
  const other = threadReuse(await wat2wasm(threaded({ body: '(global.set $other (i32.add (global.get $other) (i32.const 1)))' })));
  assert.equal(other.ok, false);
  assert.match(other.why, /global 2/);
  const table = threadReuse(await wat2wasm(threaded({ body: '(table.set (i32.const 0) (ref.null func))' })));
  assert.equal(table.ok, false);
  assert.match(table.why, /table/);
  const grow = threadReuse(await wat2wasm(threaded({ body: '(drop (table.grow (ref.null func) (i32.const 1)))' })));
  assert.equal(grow.ok, false);
  const start = threadReuse(await wat2wasm(threaded({ extra: '(func $st (global.set $other (i32.const 7)))', start: '(start $st)' })));
  assert.equal(start.ok, false);
  const drop = threadReuse(await wat2wasm(threaded({ body: '(data.drop 0)', extra: '(data "x")' })));
  assert.equal(drop.ok, false);
  assert.match(drop.why, /data segment/);
});

test('thread reuse: asyncify globals are allowed, and marked for the run-time check of asyncify_get_state', async () => {
  const extra = `(global $astate (mut i32) (i32.const 0)) (global $adata (mut i32) (i32.const 0))
    (func (export "asyncify_start_unwind") (param i32) (global.set $astate (i32.const 1)) (global.set $adata (local.get 0)))
    (func (export "asyncify_stop_unwind") (global.set $astate (i32.const 0)))
    (func (export "asyncify_start_rewind") (param i32) (global.set $astate (i32.const 2)) (global.set $adata (local.get 0)))
    (func (export "asyncify_stop_rewind") (global.set $astate (i32.const 0)))
    (func (export "asyncify_get_state") (result i32) (global.get $astate))`;
  assert.deepEqual(threadReuse(await wat2wasm(threaded({ extra }))), { ok: true, asyncify: true });
});

test('thread reuse: every C fixture built with wasix-libc / wasi-libc qualifies (the scanner reads clang output whole)', async () => {
  const fs = await import('node:fs');
  for (const [route, name] of [['wasix', 'spawn_loop'], ['wasix', 'tls'], ['wasix', 'signal'], ['wasix', 'tcp_echo'], ['threads', 'smoke'], ['wasix-async', 'fork']]) {
    const r = threadReuse(new Uint8Array(fs.readFileSync(fixture(route, name))));
    assert.equal(r.ok, true, `${route}/${name}: ${r.why}`);
    assert.equal(r.asyncify, route === 'wasix-async', `${route}/${name}`);
  }
});

// A module whose threads count in a global of their instance: reusing the instance would show the count of
// earlier threads; each thread must see a fresh instance (the global at 0), as wasi-threads requires.
const perInstance = `(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (global $count (mut i32) (i32.const 0))
  (func (export "wasi_thread_start") (param i32 i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.atomic.store (i32.const 4) (global.get $count))
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 0) (i32.const -1))))
  (func (export "_start") (local $i i32)
    (loop $l
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then unreachable))
      (loop $w (if (i32.eqz (i32.atomic.load (i32.const 0)))
        (then (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (br $w))))
      (if (i32.ne (i32.atomic.load (i32.const 4)) (i32.const 1)) (then (call $exit (i32.const 3))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 30))))
    (call $exit (i32.const 0))))`;

test('a module with per-instance state gets a fresh instance for every thread (30 sequential spawns)', async () => {
  const r = await weft(['run', await watFile(perInstance, 'pool-per-instance')]);
  assert.equal(r.code, 0, `a thread saw an earlier thread's global (exit 3)\n${r.stderr}`);
});

// --- memory, bursts, shrinking, the end ---

test('10,000 sequential pthread spawn+join: RSS grows by less than 32 MB after the first 2,000', { timeout: 180_000 }, async () => {
  const r = await probe([fixture('wasix', 'spawn_loop'), 'seq', '10000']);
  assert.equal(r.code, 0);
  const marks = r.lines.filter((l) => l.text.startsWith('mark '));
  assert.equal(marks.length, 10);
  const base = marks[1].rss; // after 2,000 spawns: workers booted, code warm
  const peak = Math.max(...marks.slice(1).map((m) => m.rss));
  assert.ok(peak - base < 32, `RSS ${base.toFixed(1)} MiB at 2,000 spawns, peak ${peak.toFixed(1)} MiB after: ${marks.map((m) => m.rss.toFixed(0)).join(' ')}`);
});

// Before instance reuse: +53..55 MB from the 200th to the 2,000th connection, still rising; now +11..36 MB at
// load 30, varying with how many workers the pool needed (each a few MB of heaps and thread arenas).
test('2,000 short connections to a thread-per-connection server: RSS grows by less than 48 MB after the first 200', { timeout: 240_000 }, async () => {
  const r = await probe([fixture('wasix', 'echo_detached'), '--echo-clients', '2000', '2000'], 200_000);
  assert.equal(r.code, 0);
  assert.ok(r.lines.some((l) => l.text === 'served 2000, 0 ended before any byte, 0 errors'), JSON.stringify(r.lines.slice(-3)));
  assert.equal(r.lost, 0);
  const marks = r.lines.filter((l) => l.text.startsWith('conn '));
  assert.equal(marks.length, 20);
  const base = marks[1].rss, peak = Math.max(...marks.slice(1).map((m) => m.rss));
  assert.ok(peak - base < 48, `RSS ${base.toFixed(1)} MiB after 200 connections, peak ${peak.toFixed(1)} MiB: ${marks.map((m) => m.rss.toFixed(0)).join(' ')}`);
});

test('bursts of 8 spawns: every thread starts within 5 s, and within 1 s once the pool has grown', { timeout: 120_000 }, async () => {
  const r = await weft(['run', fixture('wasix', 'spawn_loop'), 'burst', '8', '4'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const rounds = [...r.stdout.matchAll(/round (\d+) max_ms ([\d.]+)/g)].map((m) => Number(m[2]));
  assert.equal(rounds.length, 4, r.stdout);
  assert.ok(rounds.every((ms) => ms < 5000), `per round: ${rounds.join(', ')} ms`);
  assert.ok(rounds.slice(2).every((ms) => ms < 1000), `warm rounds: ${rounds.slice(2).join(', ')} ms`);
});

test('3 spawns in a row, each thread running within 1 s of its spawn (the wasi-testsuite shape), 5 runs', { timeout: 120_000 }, async () => {
  for (let i = 0; i < 5; i++) {
    const r = await weft(['run', fixture('wasix', 'spawn_loop'), 'three']);
    assert.equal(r.code, 0, `run ${i}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, 'three: ok\n');
  }
});

test('a pool larger than its demand shrinks while the program idles', { skip: process.platform !== 'linux' && 'counts /proc/self/task', timeout: 120_000 }, async () => {
  const r = await probe([fixture('wasix', 'spawn_loop'), 'burst', '8', '1', '8000']);
  assert.equal(r.code, 0);
  const sleeping = r.lines.find((l) => l.text === 'sleeping'), slept = r.lines.find((l) => l.text === 'slept');
  assert.ok(sleeping && slept, JSON.stringify(r.lines));
  // 8 threads ran at once: 8+ pooled workers, each an OS thread; idle for 8 s, all but the spare retire
  assert.ok(slept.threads <= sleeping.threads - 5, `OS threads: ${sleeping.threads} after the burst, ${slept.threads} after idling`);
});

// (each Worker's end is Node's isolate disposal, CPU that a loaded machine stretches: 6 s for 100 at load 40;
// bench/pool/ gives the quiet figure for 200)
test('a program ending with 100 idle pooled workers ends within 10 s of its last output', { timeout: 180_000 }, async () => {
  const r = await weft(['run', fixture('wasix', 'spawn_loop'), 'idle', '100'], { timeoutMs: 150_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /idle: 100 joined/);
  const m = /exiting at (\d+)/.exec(r.stdout);
  // the program's CLOCK_REALTIME at its last line against the wall clock when the CLI process closed
  const teardownMs = Date.now() - Number(BigInt(m[1]) / 1000000n);
  assert.ok(teardownMs < 10_000, `ended ${teardownMs.toFixed(0)} ms after the program's last line`);
});

test('exit() with 200 threads blocked (futex waits, sleeps): the CLI ends within 5 s of the last line', { timeout: 180_000 }, async () => {
  // Quiet: see docs/benchmarks.md (pool group, "poolexit"); the cost is Node's disposal of 200 Worker
  // isolates, done in parallel (serially, as process.exit() does, it took longer than this bound under load).
  const r = await weft(['run', fixture('wasix', 'spawn_loop'), 'blocked', '200'], { timeoutMs: 150_000 });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const m = /blocked: 200 threads, exiting at (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const teardownMs = Date.now() - Number(BigInt(m[1]) / 1000000n);
  assert.ok(teardownMs < 5_000, `ended ${teardownMs.toFixed(0)} ms after the program's last line`);
});

test('a process tree recycles its Workers: 20 fork + exec + exit + waitpid boot a handful, not one per process', { timeout: 120_000 }, async () => {
  const dir = fixture('wasix-async', 'forkexec').replace(/\/[^/]+$/, '');
  const r = await probe([fixture('wasix-async', 'forkexec'), '--dir', `${dir}::/bin`, 'loop', '20', '/bin/forkexec.wasm']);
  assert.equal(r.code, 0);
  assert.equal(r.lines[0]?.text, 'forkexec: 20 ok');
  // main + its spare + two standby, and a refill or two: 40 processes ran (20 forked, 20 exec'd)
  assert.ok(r.workers <= 16, `${r.workers} Workers constructed (before recycling: 41)`);
});
