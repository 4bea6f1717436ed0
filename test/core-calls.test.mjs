// sched_yield, random_get and guest memory growth as syscalls see them (issue 19's small wins: a yield
// that gives the CPU up to spinning thread pools, random_get without node:crypto in a thread's first
// calls, and memory views checked without the `memory.buffer` getter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { wat2wasm, watFile } from './helpers/wat.mjs';
import { weft } from './helpers/run.mjs';

const cpus = os.availableParallelism();

const clockAndYield = `
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $now (result i64)
    (if (call $clock (i32.const 1) (i64.const 0) (i32.const 8)) (then unreachable))
    (i64.load (i32.const 8)))
  ;; ms that n back-to-back sched_yield calls take
  (func $yields (param $n i32) (result i64) (local $t0 i64)
    (local.set $t0 (call $now))
    (loop $l
      (if (call $yield) (then unreachable))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (i64.div_u (i64.sub (call $now) (local.get $t0)) (i64.const 1000000)))`;

// Exit code: the fastest of 5 rounds of 2,000 back-to-back yields, in ms (at most 255), on the main thread
// while `threads` spawned threads spin on sched_yield too. The fastest round, so a thread descheduled by
// other load does not count: a round of yields that sleep (>= 20 µs each past the first 32) takes >= 39 ms;
// one that returns at once, ~0.2-2 ms.
const spinTime = (threads) => `(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  ${clockAndYield}
  ;; spinners: yield until mem[0] is set
  (func (export "wasi_thread_start") (param i32 i32)
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (loop $l (if (i32.eqz (i32.atomic.load (i32.const 0))) (then (drop (call $yield)) (br $l)))))
  (func (export "_start") (local $i i32) (local $min i64) (local $t i64)
    (block $done (loop $s
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${threads})))
      (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then unreachable))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $s)))
    (loop $up (br_if $up (i32.lt_u (i32.atomic.load (i32.const 4)) (i32.const ${threads}))))
    (local.set $min (i64.const 255))
    (local.set $i (i32.const 0))
    (loop $round
      (local.set $t (call $yields (i32.const 2000)))
      (if (i64.lt_u (local.get $t) (local.get $min)) (then (local.set $min (local.get $t))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $i) (i32.const 5))))
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (call $exit (i32.wrap_i64 (local.get $min))))
)`;

test('sched_yield sleeps in a spin loop when the process has more live threads than CPUs', { timeout: 60_000 }, async () => {
  // cpus spinners + main: oversubscribed, so the main thread's yields sleep too
  const r = await weft(['run', await watFile(spinTime(cpus), 'yield-spin')], { timeoutMs: 50_000 });
  assert.ok(r.code >= 39, `the fastest round of 2,000 yields took ${r.code} ms: they did not sleep\n${r.stderr}`);
});

test('sched_yield returns at once when every thread can have a CPU (a single thread)', { timeout: 60_000 }, async () => {
  // One live thread: nothing in the process to give the CPU to (native sched_yield on an idle machine
  // returns at once too)
  const r = await weft(['run', await watFile(spinTime(0), 'yield-alone')], { timeoutMs: 50_000 });
  assert.ok(r.code < 39, `the fastest round of 2,000 yields of a single thread took ${r.code} ms: they slept\n${r.stderr}`);
});

// random_get: 20 calls of 64 bytes at 1024 + 64*i in the main thread and in a spawned thread (the first
// calls and the ones after URANDOM_CALLS), one of 100,000 bytes at 65536; then 4096 bytes at 260000, past the
// end of the 4 pages (EFAULT). Exit code: 0 when every call succeeded, no 64-byte block is all
// zero, no two blocks are equal and the last 16 bytes of the big one are not all zero; else the check's number.
const randomProgram = `(module
  (import "env" "memory" (memory 4 4 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $fill (param $base i32) (local $i i32)
    (loop $l
      (if (call $random (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 6))) (i32.const 64)) (then unreachable))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 20)))))
  (func (export "wasi_thread_start") (param i32 i32)
    (call $fill (i32.const 4096))
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  ;; 1 when the 64-byte block at $p is all zero
  (func $zero (param $p i32) (result i32) (local $j i32) (local $or i64)
    (loop $l
      (local.set $or (i64.or (local.get $or) (i64.load (i32.add (local.get $p) (local.get $j)))))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br_if $l (i32.lt_u (local.get $j) (i32.const 64))))
    (i64.eqz (local.get $or)))
  (func $same (param $a i32) (param $b i32) (result i32) (local $j i32) (local $x i64)
    (loop $l
      (local.set $x (i64.or (local.get $x) (i64.xor (i64.load (i32.add (local.get $a) (local.get $j))) (i64.load (i32.add (local.get $b) (local.get $j))))))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br_if $l (i32.lt_u (local.get $j) (i32.const 64))))
    (i64.eqz (local.get $x)))
  (func (export "_start") (local $i i32) (local $j i32) (local $p i32)
    (call $fill (i32.const 1024))
    (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then unreachable))
    (loop $w (if (i32.eqz (i32.atomic.load (i32.const 0)))
      (then (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (br $w))))
    ;; 40 blocks: 1024 + 64i (main, i < 20) and 4096 + 64(i - 20) (thread)
    (loop $a
      (local.set $p (select (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 6)))
        (i32.add (i32.const 2816) (i32.shl (local.get $i) (i32.const 6))) (i32.lt_u (local.get $i) (i32.const 20))))
      (if (call $zero (local.get $p)) (then (call $exit (i32.const 10))))
      (local.set $j (i32.add (local.get $i) (i32.const 1)))
      (block $end (loop $b
        (br_if $end (i32.ge_u (local.get $j) (i32.const 40)))
        (if (call $same (local.get $p) (select (i32.add (i32.const 1024) (i32.shl (local.get $j) (i32.const 6)))
            (i32.add (i32.const 2816) (i32.shl (local.get $j) (i32.const 6))) (i32.lt_u (local.get $j) (i32.const 20))))
          (then (call $exit (i32.const 11))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $b)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $a (i32.lt_u (local.get $i) (i32.const 40))))
    (if (call $random (i32.const 65536) (i32.const 100000)) (then (call $exit (i32.const 12))))
    (if (i64.eqz (i64.or (i64.load (i32.const 165520)) (i64.load (i32.const 165528)))) (then (call $exit (i32.const 13))))
    (if (i32.ne (call $random (i32.const 260000) (i32.const 4096)) (i32.const 21)) (then (call $exit (i32.const 14))))
    (call $exit (i32.const 0)))
)`;

test('random_get fills buffers in the main and a spawned thread, before and after it switches to node:crypto', async () => {
  const r = await weft(['run', await watFile(randomProgram, 'random')]);
  assert.equal(r.code, 0, r.stderr);
});

// Memory growth seen by fd_write: the iovec and its bytes are in pages the program grew, after the
// syscalls had already seen (and kept views of) the smaller memory. Non-shared: grown here; shared: grown and
// filled by a spawned thread, then passed to fd_write by the main thread, which touches no byte of the new
// pages itself (V8 may show it the growth late). Prints "grown\n" from the new pages.
const growWrite = (shared) => `(module
  ${shared ? `(import "env" "memory" (memory 1 4 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))` : ''}
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  ${shared ? '' : '(memory (export "memory") 1 4)'}
  ;; "grown\\n" at 140000 and its iovec at 140100, in the third page
  (func $fillNew
    (i64.store (i32.const 140000) (i64.const 0x0a6e776f7267))
    (i32.store (i32.const 140100) (i32.const 140000)) (i32.store (i32.const 140104) (i32.const 6)))
  ${shared ? `(func (export "wasi_thread_start") (param i32 i32)
    (drop (memory.grow (i32.const 2)))
    (call $fillNew)
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))` : ''}
  (func (export "_start")
    ;; a first write from the first page, so the kernel has views of the 1-page memory
    (i32.store (i32.const 16) (i32.const 64)) (i32.store (i32.const 20) (i32.const 0))
    (if (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)) (then (call $exit (i32.const 2))))
    ${shared ? `(if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then unreachable))
    (loop $w (if (i32.eqz (i32.atomic.load (i32.const 0)))
      (then (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (br $w))))`
    : `(drop (memory.grow (i32.const 2)))
    (if (i32.ne (memory.size) (i32.const 3)) (then (call $exit (i32.const 3))))
    (call $fillNew)`}
    (if (call $write (i32.const 1) (i32.const 140100) (i32.const 1) (i32.const 24)) (then (call $exit (i32.const 4))))
    (if (i32.ne (i32.load (i32.const 24)) (i32.const 6)) (then (call $exit (i32.const 5))))
    (call $exit (i32.const 0)))
)`;

for (const shared of [false, true]) {
  test(`syscalls see memory grown ${shared ? 'by another thread (shared memory)' : 'by the program (non-shared memory)'}`, async () => {
    const r = await weft(['run', await watFile(growWrite(shared), `grow-${shared ? 'shared' : 'plain'}`)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'grown\n');
  });
}

// The same rounds in a plain (non-shared) module, for weft's WASI class: one thread by construction.
const plainYields = `(module
  ${clockAndYield}
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32) (local $min i64) (local $t i64)
    (local.set $min (i64.const 255))
    (loop $round
      (local.set $t (call $yields (i32.const 2000)))
      (if (i64.lt_u (local.get $t) (local.get $min)) (then (local.set $min (local.get $t))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $i) (i32.const 5))))
    (call $exit (i32.wrap_i64 (local.get $min))))
)`;

test('sched_yield of the WASI class (a single thread, in the calling thread) returns at once', async () => {
  const { WASI } = await import('../dist/index.js');
  const wasi = new WASI({ version: 'preview1', returnOnExit: true });
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(await wat2wasm(plainYields, 'yield-wasi')), wasi.getImportObject());
  const ms = wasi.start(instance);
  assert.ok(ms < 39, `the fastest round of 2,000 yields took ${ms} ms: they slept`);
});
