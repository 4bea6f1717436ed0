// One readiness engine for poll_oneoff and epoll_wait (kernel/readiness.ts): a poll that watches stdin
// (served by the coordinator) together with an fd in shared memory (a socket, a pipe) reports whichever
// becomes ready first. stdin is a pipe the test writes to after a delay and keeps open; the event reported
// says which fired (no time is asserted: a start-up slowed by load takes seconds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cli } from './helpers/run.mjs';
import { watFile } from './helpers/wat.mjs';

/**
 * poll_oneoff over [stdin (userdata 1), fd $other (userdata 2), a 5 s monotonic clock (userdata 3)], then
 * prints the userdata digit of every event and a newline. $setup may create $other.
 */
const pollmix = (imports, setup, other, memory = '') => `(module
  ${imports}
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  ${memory}
  (func (export "_start") (local $n i32) (local $i i32)
    ${setup}
    ;; subscriptions at 256 (48 bytes each): userdata @0, tag @8, fd or clock id @16, timeout @24
    (i64.store (i32.const 256) (i64.const 1)) (i32.store8 (i32.const 264) (i32.const 1)) (i32.store (i32.const 272) (i32.const 0))
    (i64.store (i32.const 304) (i64.const 2)) (i32.store8 (i32.const 312) (i32.const 1)) (i32.store (i32.const 320) ${other})
    (i64.store (i32.const 352) (i64.const 3)) (i32.store8 (i32.const 360) (i32.const 0)) (i32.store (i32.const 368) (i32.const 1))
    (i64.store (i32.const 376) (i64.const 5000000000))
    (if (call $poll (i32.const 256) (i32.const 512) (i32.const 3) (i32.const 640)) (then (call $exit (i32.const 10))))
    (local.set $n (i32.load (i32.const 640)))
    ;; events at 512 (32 bytes each): userdata @0
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (i32.const 700) (local.get $i))
        (i32.add (i32.const 48) (i32.load (i32.add (i32.const 512) (i32.shl (local.get $i) (i32.const 5))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each)))
    (i32.store8 (i32.add (i32.const 700) (local.get $n)) (i32.const 10))
    (i32.store (i32.const 800) (i32.const 700)) (i32.store (i32.const 804) (i32.add (local.get $n) (i32.const 1)))
    (drop (call $write (i32.const 1) (i32.const 800) (i32.const 1) (i32.const 808)))))`;

/** Runs weft with stdin a pipe that gets "hi\n" after delayMs and stays open; resolves when it exits. */
function runWithLateStdin(args, delayMs) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, 'run', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const write = setTimeout(() => child.stdin.write('hi\n'), delayMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(write);
      clearTimeout(kill);
      child.stdin.destroy();
      resolve({ code, out, err, ms: performance.now() - t0 });
    });
  });
}

test('poll_oneoff on stdin and a listening socket (--tcp-listen) reports stdin when it becomes readable', async () => {
  const wasm = await watFile(pollmix('', '', '(i32.const 3)', '(memory (export "memory") 1)'), 'pollmix-sock');
  const r = await runWithLateStdin(['--tcp-listen', '127.0.0.1:0', wasm], 300);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '1\n', `events by userdata (1 stdin, 3 the 5 s clock): ${r.err}`);
});

/** pollmix over the read end of a WASIX pipe nobody writes to. */
const pipeMix = pollmix(`(import "env" "memory" (memory 1 1 shared))
  (import "wasix_32v1" "fd_pipe" (func $pipe (param i32 i32) (result i32)))`,
'(if (call $pipe (i32.const 900) (i32.const 904)) (then (call $exit (i32.const 11))))', '(i32.load (i32.const 900))');

test('poll_oneoff on stdin and a WASIX pipe reports stdin when it becomes readable', async () => {
  const wasm = await watFile(pipeMix, 'pollmix-pipe');
  const r = await runWithLateStdin([wasm], 300);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '1\n', `events by userdata (1 stdin, 3 the 5 s clock): ${r.err}`);
});

test('poll_oneoff on stdin and a pipe still times out on its clock when neither is readable', async () => {
  // a 5 s clock would slow the suite: the same program with a 400 ms one
  const wasm = await watFile(pipeMix.replace('5000000000', '400000000'), 'pollmix-pipe-timeout');
  const r = await runWithLateStdin([wasm], 20_000);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '3\n', r.err);
  assert.ok(r.ms >= 350, `took ${r.ms} ms`);
});

/**
 * Up to 500 rounds: poll_oneoff over [stdin (userdata 1), a 0 s clock (userdata 3)] — a poll that must not
 * block — then a 10 ms sleep; prints "1" once a round reports stdin readable, "0" if none did.
 */
const zeroTimeoutPoll = `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $say (param $c i32)
    (i32.store8 (i32.const 700) (local.get $c)) (i32.store8 (i32.const 701) (i32.const 10))
    (i32.store (i32.const 800) (i32.const 700)) (i32.store (i32.const 804) (i32.const 2))
    (drop (call $write (i32.const 1) (i32.const 800) (i32.const 1) (i32.const 808))))
  (func (export "_start") (local $round i32) (local $n i32) (local $i i32)
    (i64.store (i32.const 256) (i64.const 1)) (i32.store8 (i32.const 264) (i32.const 1)) (i32.store (i32.const 272) (i32.const 0))
    (i64.store (i32.const 304) (i64.const 3)) (i32.store8 (i32.const 312) (i32.const 0)) (i32.store (i32.const 320) (i32.const 1))
    (i64.store (i32.const 328) (i64.const 0))
    (i64.store (i32.const 400) (i64.const 9)) (i32.store8 (i32.const 408) (i32.const 0)) (i32.store (i32.const 416) (i32.const 1))
    (i64.store (i32.const 424) (i64.const 10000000))
    (loop $rounds
      (drop (call $poll (i32.const 256) (i32.const 512) (i32.const 2) (i32.const 640)))
      (local.set $n (i32.load (i32.const 640)))
      (local.set $i (i32.const 0))
      (block $done (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i64.eq (i64.load (i32.add (i32.const 512) (i32.shl (local.get $i) (i32.const 5)))) (i64.const 1))
          (then (call $say (i32.const 49)) (return)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
      (drop (call $poll (i32.const 400) (i32.const 512) (i32.const 1) (i32.const 640)))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const 500))))
    (call $say (i32.const 48))))`;

test('poll_oneoff with a zero timeout reports stdin readable once input is there (served stdin)', async () => {
  const wasm = await watFile(zeroTimeoutPoll, 'poll-zero-stdin');
  const r = await runWithLateStdin([wasm], 200);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '1\n', `a zero-timeout poll never saw stdin readable: ${r.err}`);
});
