// WASIX calls made directly from WAT: thread_spawn_v2 with hand-built ThreadStart structs, bad pointers
// to every pointer-taking call (an errno, never a crash), the thread limit, thread_exit from main,
// signals (default actions and a registered callback), eventfds, pipes and poll, tracing.
// Programs report the first failed check as their exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watFile } from './helpers/wat.mjs';
import { weft } from './helpers/run.mjs';

const E = { AGAIN: 6, FAULT: 21, INVAL: 28, NOTCAPABLE: 76, PIPE: 64, PERM: 63, RANGE: 68, NOENT: 44, SRCH: 71 };

const imports = `
  (import "env" "memory" (memory 1 1 shared))
  (import "wasix_32v1" "thread_spawn_v2" (func $spawn (param i32 i32) (result i32)))
  (import "wasix_32v1" "thread_join" (func $join (param i32) (result i32)))
  (import "wasix_32v1" "thread_id" (func $tid (param i32) (result i32)))
  (import "wasix_32v1" "thread_exit" (func $thread_exit (param i32)))
  (import "wasix_32v1" "thread_sleep" (func $sleep (param i64) (result i32)))
  (import "wasix_32v1" "thread_signal" (func $tsignal (param i32 i32) (result i32)))
  (import "wasix_32v1" "thread_parallelism" (func $par (param i32) (result i32)))
  (import "wasix_32v1" "futex_wait" (func $fwait (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "futex_wake" (func $fwake (param i32 i32) (result i32)))
  (import "wasix_32v1" "callback_signal" (func $callback (param i32 i32)))
  (import "wasix_32v1" "proc_raise" (func $raise (param i32) (result i32)))
  (import "wasix_32v1" "proc_exit2" (func $exit2 (param i32)))
  (import "wasix_32v1" "getcwd" (func $getcwd (param i32 i32) (result i32)))
  (import "wasix_32v1" "chdir" (func $chdir (param i32 i32) (result i32)))
  (import "wasix_32v1" "fd_pipe" (func $pipe (param i32 i32) (result i32)))
  (import "wasix_32v1" "fd_event" (func $event (param i64 i32 i32) (result i32)))
  (import "wasix_32v1" "fd_dup2" (func $dup2 (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "clock_time_set" (func $clockset (param i32 i64) (result i32)))
  (import "wasix_32v1" "tty_get" (func $ttyget (param i32) (result i32)))
  (import "wasix_32v1" "tty_set" (func $ttyset (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $setflags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  ;; exit with code $n unless $ok
  (func $check (param $n i32) (param $ok i32) (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $n)))))
  (func $await (param $addr i32)
    (loop $again (if (i32.eqz (i32.atomic.load (local.get $addr)))
      (then (drop (memory.atomic.wait32 (local.get $addr) (i32.const 0) (i64.const -1))) (br $again)))))
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 3000) (local.get $ptr)) (i32.store (i32.const 3004) (local.get $len))
    (drop (call $write (i32.const 1) (i32.const 3000) (i32.const 1) (i32.const 3008))))
`;

// ThreadStart at 1024: stack 0x8000, tls 0x9000, fn 3, arg 77 (0x4d), self 0xa000, stack_size 4096, guard 0
const threadStart = `
    (i32.store (i32.const 1024) (i32.const 0x8000)) (i32.store (i32.const 1028) (i32.const 0x9000))
    (i32.store (i32.const 1032) (i32.const 3)) (i32.store (i32.const 1036) (i32.const 77))
    (i32.store (i32.const 1040) (i32.const 0xa000)) (i32.store (i32.const 1080) (i32.const 4096))`;

const spawnProgram = `(module ${imports}
  ;; child: records the user arg from its ThreadStart, its tid (argument and thread_id) and the pointer
  (func (export "wasi_thread_start") (param $tid i32) (param $ptr i32)
    (i32.store (i32.const 4) (i32.load offset=12 (local.get $ptr)))
    (i32.store (i32.const 8) (local.get $tid))
    (drop (call $tid (i32.const 12)))
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  (func (export "_start") (local $t i32)
    ${threadStart}
    (call $check (i32.const 1) (i32.eqz (call $spawn (i32.const 1024) (i32.const 2000))))
    (call $await (i32.const 0))
    (local.set $t (i32.load (i32.const 2000)))
    (call $check (i32.const 2) (i32.and (i32.gt_s (local.get $t) (i32.const 1)) (i32.lt_u (local.get $t) (i32.const 0x20000000))))
    (call $check (i32.const 3) (i32.eq (i32.load (i32.const 4)) (i32.const 77)))
    (call $check (i32.const 4) (i32.eq (i32.load (i32.const 8)) (local.get $t)))
    (call $check (i32.const 5) (i32.eq (i32.load (i32.const 12)) (local.get $t)))
    (call $check (i32.const 6) (i32.eq (i32.load (i32.const 16)) (i32.const 1024)))
    (call $check (i32.const 7) (i32.eqz (call $join (local.get $t))))
    ;; main's own tid differs
    (call $check (i32.const 8) (i32.eqz (call $tid (i32.const 20))))
    (call $check (i32.const 9) (i32.ne (i32.load (i32.const 20)) (local.get $t)))
    (call $print (i32.const 2500) (i32.const 3)))
  (data (i32.const 2500) "ok\\n"))`;

test('thread_spawn_v2: a hand-built ThreadStart reaches wasi_thread_start(tid, ptr); tid written, joinable', async () => {
  const r = await weft(['run', await watFile(spawnProgram, 'wasix-spawn')]);
  assert.equal(r.code, 0, `failed check ${r.code}\n${r.stderr}`);
  assert.equal(r.stdout, 'ok\n');
});

test('--trace decodes the ThreadStart of thread_spawn_v2', async () => {
  const r = await weft(['run', '--trace', await watFile(spawnProgram, 'wasix-spawn')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[pid 1 tid 1\] [0-9.]+ thread_spawn_v2\(0x400, \[2\]\) \{stack=0x8000 tls=0x9000 fn=3 arg=0x4d self=0xa000 stack_size=4096 guard=0\} = 0 </);
  assert.match(r.stderr, /\[pid 1 tid 2\] [0-9.]+ thread_id\(\[2\]\) = 0 </);
});

const badPointers = `(module ${imports}
  (func (export "wasi_thread_start") (param i32 i32))
  (func (export "_start")
    ${threadStart}
    ;; ThreadStart past the end of memory, result pointer past the end, misaligned ThreadStart
    (call $check (i32.const 1) (i32.eq (call $spawn (i32.const 65500) (i32.const 2000)) (i32.const ${E.FAULT})))
    (call $check (i32.const 2) (i32.eq (call $spawn (i32.const 1024) (i32.const 65534)) (i32.const ${E.FAULT})))
    (call $check (i32.const 3) (i32.eq (call $spawn (i32.const 1026) (i32.const 2000)) (i32.const ${E.INVAL})))
    (call $check (i32.const 4) (i32.eq (call $spawn (i32.const -4) (i32.const 2000)) (i32.const ${E.FAULT})))
    (call $check (i32.const 5) (i32.eq (call $tid (i32.const 70000)) (i32.const ${E.FAULT})))
    (call $check (i32.const 6) (i32.eq (call $par (i32.const -1)) (i32.const ${E.FAULT})))
    ;; futex: bad address, misaligned address, bad timeout pointer, bad woken pointer, bad option tag
    (call $check (i32.const 7) (i32.eq (call $fwait (i32.const 70000) (i32.const 0) (i32.const 1200) (i32.const 1300)) (i32.const ${E.FAULT})))
    (call $check (i32.const 8) (i32.eq (call $fwait (i32.const 1202) (i32.const 0) (i32.const 1200) (i32.const 1300)) (i32.const ${E.INVAL})))
    (call $check (i32.const 9) (i32.eq (call $fwait (i32.const 1400) (i32.const 0) (i32.const 65528) (i32.const 1300)) (i32.const ${E.FAULT})))
    (call $check (i32.const 10) (i32.eq (call $fwait (i32.const 1400) (i32.const 0) (i32.const 1200) (i32.const 65536)) (i32.const ${E.FAULT})))
    (i32.store8 (i32.const 1200) (i32.const 2))
    (call $check (i32.const 11) (i32.eq (call $fwait (i32.const 1400) (i32.const 0) (i32.const 1200) (i32.const 1300)) (i32.const ${E.INVAL})))
    (call $check (i32.const 12) (i32.eq (call $fwake (i32.const 65536) (i32.const 1300)) (i32.const ${E.FAULT})))
    ;; a 1 ms timed wait times out (woken = 0)
    (i32.store8 (i32.const 1200) (i32.const 1)) (i64.store (i32.const 1208) (i64.const 1000000))
    (i32.store8 (i32.const 1300) (i32.const 9))
    (call $check (i32.const 13) (i32.eqz (call $fwait (i32.const 1400) (i32.const 0) (i32.const 1200) (i32.const 1300))))
    (call $check (i32.const 14) (i32.eqz (i32.load8_u (i32.const 1300))))
    ;; strings and out-pointers of the other calls
    (call $callback (i32.const 70000) (i32.const 8))
    (i32.store (i32.const 1500) (i32.const 64))
    (call $check (i32.const 15) (i32.eq (call $getcwd (i32.const 70000) (i32.const 1500)) (i32.const ${E.FAULT})))
    (call $check (i32.const 16) (i32.eq (call $getcwd (i32.const 1600) (i32.const 70000)) (i32.const ${E.FAULT})))
    (call $check (i32.const 17) (i32.eq (call $chdir (i32.const 70000) (i32.const 4)) (i32.const ${E.FAULT})))
    (call $check (i32.const 18) (i32.eq (call $pipe (i32.const 70000) (i32.const 1500)) (i32.const ${E.FAULT})))
    (call $check (i32.const 19) (i32.eq (call $event (i64.const 0) (i32.const 0) (i32.const -8)) (i32.const ${E.FAULT})))
    (call $check (i32.const 20) (i32.eq (call $ttyget (i32.const 65530)) (i32.const ${E.FAULT})))
    (call $check (i32.const 21) (i32.eq (call $dup2 (i32.const 1) (i32.const 5000) (i32.const 0) (i32.const 1500)) (i32.const ${E.INVAL})))
    (call $check (i32.const 22) (i32.eq (call $dup2 (i32.const 1) (i32.const 10) (i32.const 0) (i32.const 65535)) (i32.const ${E.FAULT})))
    (call $check (i32.const 23) (i32.eq (call $clockset (i32.const 0) (i64.const 0)) (i32.const ${E.PERM})))
    (call $check (i32.const 24) (i32.eq (call $join (i32.const 0)) (i32.const ${E.INVAL})))
    (call $check (i32.const 25) (i32.eq (call $join (i32.const 0x1ffffff0)) (i32.const ${E.SRCH})))
    (call $check (i32.const 26) (i32.eq (call $tsignal (i32.const 0x1ffffff0) (i32.const 10)) (i32.const ${E.SRCH})))
    (call $check (i32.const 27) (i32.eq (call $tsignal (i32.const 1) (i32.const 99)) (i32.const ${E.INVAL})))
    ;; getcwd: a short buffer gives ERANGE and the size needed ("/" + NUL)
    (i32.store (i32.const 1500) (i32.const 1))
    (call $check (i32.const 28) (i32.eq (call $getcwd (i32.const 1600) (i32.const 1500)) (i32.const ${E.RANGE})))
    (call $check (i32.const 29) (i32.eq (i32.load (i32.const 1500)) (i32.const 2)))
    (call $check (i32.const 30) (i32.eq (call $chdir (i32.const 2500) (i32.const 8)) (i32.const ${E.NOENT})))
    (call $print (i32.const 2600) (i32.const 3)))
  (data (i32.const 2500) "/nowhere")
  (data (i32.const 2600) "ok\\n"))`;

test('bad pointers and nonsense arguments to WASIX calls give errnos, never a crash', async () => {
  const r = await weft(['run', await watFile(badPointers, 'wasix-bad')]);
  assert.equal(r.code, 0, `failed check ${r.code}\n${r.stderr}`);
  assert.equal(r.stdout, 'ok\n');
  assert.equal(r.stderr, '');
});

test('thread_spawn_v2 without a wasi_thread_start export returns ENOTCAPABLE', async () => {
  const src = `(module ${imports}
    (func (export "_start") ${threadStart}
      (call $exit (call $spawn (i32.const 1024) (i32.const 2000)))))`;
  const r = await weft(['run', await watFile(src, 'wasix-nostart')]);
  assert.equal(r.code, E.NOTCAPABLE, r.stderr);
});

test('thread_spawn_v2 at --max-threads returns EAGAIN', async () => {
  const src = `(module ${imports}
    (func (export "wasi_thread_start") (param i32 i32)
      (drop (memory.atomic.wait32 (i32.const 60) (i32.const 0) (i64.const -1))))
    (func (export "_start") ${threadStart}
      (call $check (i32.const 1) (i32.eqz (call $spawn (i32.const 1024) (i32.const 2000))))
      (call $exit (call $spawn (i32.const 1024) (i32.const 2000)))))`;
  const r = await weft(['run', '--max-threads', '2', await watFile(src, 'wasix-limit')]);
  assert.equal(r.code, E.AGAIN, r.stderr);
  assert.ok(r.ms < 10000, `took ${r.ms} ms`); // the blocked thread must not keep the process
});

test('thread_exit in main ends only main; the process ends (0) when the last thread does', async () => {
  const src = `(module ${imports}
    (func (export "wasi_thread_start") (param i32 i32)
      (drop (call $sleep (i64.const 200000000)))
      (call $print (i32.const 2500) (i32.const 11)))
    (func (export "_start") ${threadStart}
      (call $check (i32.const 1) (i32.eqz (call $spawn (i32.const 1024) (i32.const 2000))))
      (call $thread_exit (i32.const 5))
      unreachable)
    (data (i32.const 2500) "child done\\n"))`;
  const r = await weft(['run', await watFile(src, 'wasix-main-exit')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'child done\n');
  assert.ok(r.ms >= 150, `ended after ${r.ms} ms, before the child`);
});

test('proc_exit2 from a spawned thread ends every thread with its code', async () => {
  const src = `(module ${imports}
    (func (export "wasi_thread_start") (param i32 i32) (call $exit2 (i32.const 42)))
    (func (export "_start") ${threadStart}
      (drop (call $spawn (i32.const 1024) (i32.const 2000)))
      (drop (memory.atomic.wait32 (i32.const 60) (i32.const 0) (i64.const -1)))
      unreachable))`;
  const r = await weft(['run', await watFile(src, 'wasix-exit2')]);
  assert.equal(r.code, 42, r.stderr);
});

const signalProgram = (sig, withHandler) => `(module ${imports}
  (func (export "on_signal") (param $sig i32) (i32.store (i32.const 100) (local.get $sig)))
  (func (export "_start")
    ${withHandler ? '(call $callback (i32.const 2500) (i32.const 9))' : ''}
    (call $check (i32.const 1) (i32.eqz (call $raise (i32.const ${sig}))))
    ;; delivered when proc_raise returned: the handler has run
    (call $exit (i32.add (i32.const 200) (i32.load (i32.const 100)))))
  (data (i32.const 2500) "on_signal"))`;

test('signals: a callback registered with callback_signal runs for proc_raise, in the raising thread', async () => {
  const r = await weft(['run', await watFile(signalProgram(10, true), 'wasix-sig-handler')]);
  assert.equal(r.code, 210, r.stderr);
});

test('signals: without a callback SIGTERM ends the process with 128+15; SIGCHLD is ignored', async () => {
  let r = await weft(['run', await watFile(signalProgram(15, false), 'wasix-sig-term')]);
  assert.equal(r.code, 143, r.stderr);
  assert.match(r.stderr, /terminated by signal 15/);
  r = await weft(['run', await watFile(signalProgram(17, false), 'wasix-sig-chld')]);
  assert.equal(r.code, 200, r.stderr);
});

test('signals: thread_signal to another thread runs the callback there at its next syscall', async () => {
  const src = `(module ${imports}
    (func (export "on_signal") (param $sig i32)
      (drop (call $tid (i32.const 104)))
      (i32.store (i32.const 100) (local.get $sig)))
    (func (export "wasi_thread_start") (param i32 i32)
      (i32.atomic.store (i32.const 0) (i32.const 1)) (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      ;; syscalls until the signal has been handled
      (loop $l (drop (call $sleep (i64.const 1000000))) (br_if $l (i32.eqz (i32.load (i32.const 100))))))
    (func (export "_start") (local $t i32)
      (call $callback (i32.const 2500) (i32.const 9))
      ${threadStart}
      (call $check (i32.const 1) (i32.eqz (call $spawn (i32.const 1024) (i32.const 2000))))
      (local.set $t (i32.load (i32.const 2000)))
      (call $await (i32.const 0))
      (call $check (i32.const 2) (i32.eqz (call $tsignal (local.get $t) (i32.const 12))))
      (call $check (i32.const 3) (i32.eqz (call $join (local.get $t))))
      (call $check (i32.const 4) (i32.eq (i32.load (i32.const 100)) (i32.const 12)))
      (call $check (i32.const 5) (i32.eq (i32.load (i32.const 104)) (local.get $t))))
    (data (i32.const 2500) "on_signal"))`;
  const r = await weft(['run', await watFile(src, 'wasix-sig-thread')]);
  assert.equal(r.code, 0, `failed check ${r.code}\n${r.stderr}`);
});

// iovec at 1800 -> buffer 1900; poll subscription at 2100, event at 2200
const streams = `(module ${imports}
  (func $rd (param $fd i32) (param $len i32) (result i32)
    (i32.store (i32.const 1800) (i32.const 1900)) (i32.store (i32.const 1804) (local.get $len))
    (call $read (local.get $fd) (i32.const 1800) (i32.const 1) (i32.const 1808)))
  (func $wr (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 1800) (local.get $ptr)) (i32.store (i32.const 1804) (local.get $len))
    (call $write (local.get $fd) (i32.const 1800) (i32.const 1) (i32.const 1808)))
  (func (export "on_signal") (param i32))
  (func (export "_start") (local $r i32) (local $w i32) (local $e i32)
    (call $callback (i32.const 2500) (i32.const 9))
    ;; eventfd with initial 3: read gives 3, then (non-blocking) EAGAIN; write 5, read 5
    (call $check (i32.const 1) (i32.eqz (call $event (i64.const 3) (i32.const 0) (i32.const 1500))))
    (local.set $e (i32.load (i32.const 1500)))
    (call $check (i32.const 2) (i32.eqz (call $rd (local.get $e) (i32.const 8))))
    (call $check (i32.const 3) (i64.eq (i64.load (i32.const 1900)) (i64.const 3)))
    (call $check (i32.const 4) (i32.eqz (call $setflags (local.get $e) (i32.const 4))))
    (call $check (i32.const 5) (i32.eq (call $rd (local.get $e) (i32.const 8)) (i32.const ${E.AGAIN})))
    (call $check (i32.const 6) (i32.eq (call $rd (local.get $e) (i32.const 4)) (i32.const ${E.INVAL})))
    (i64.store (i32.const 1950) (i64.const 5))
    (call $check (i32.const 7) (i32.eqz (call $wr (local.get $e) (i32.const 1950) (i32.const 8))))
    (call $check (i32.const 8) (i32.eqz (call $rd (local.get $e) (i32.const 8))))
    (call $check (i32.const 9) (i64.eq (i64.load (i32.const 1900)) (i64.const 5)))
    ;; semaphore eventfd: reads give 1 each
    (call $check (i32.const 10) (i32.eqz (call $event (i64.const 2) (i32.const 1) (i32.const 1500))))
    (local.set $e (i32.load (i32.const 1500)))
    (call $check (i32.const 11) (i32.eqz (call $rd (local.get $e) (i32.const 8))))
    (call $check (i32.const 12) (i64.eq (i64.load (i32.const 1900)) (i64.const 1)))
    ;; pipe: write 5 bytes, poll says readable with 5 bytes, read them, EOF after the writer closes
    (call $check (i32.const 13) (i32.eqz (call $pipe (i32.const 1500) (i32.const 1504))))
    (local.set $r (i32.load (i32.const 1500))) (local.set $w (i32.load (i32.const 1504)))
    (call $check (i32.const 14) (i32.eqz (call $wr (local.get $w) (i32.const 2600) (i32.const 5))))
    (i64.store (i32.const 2100) (i64.const 7)) (i32.store8 (i32.const 2108) (i32.const 1))
    (i32.store (i32.const 2116) (local.get $r))
    (call $check (i32.const 15) (i32.eqz (call $poll (i32.const 2100) (i32.const 2200) (i32.const 1) (i32.const 2300))))
    (call $check (i32.const 16) (i32.eq (i32.load (i32.const 2300)) (i32.const 1)))
    (call $check (i32.const 17) (i64.eq (i64.load (i32.const 2216)) (i64.const 5)))
    (call $check (i32.const 18) (i32.eqz (call $rd (local.get $r) (i32.const 64))))
    (call $check (i32.const 19) (i32.eq (i32.load (i32.const 1808)) (i32.const 5)))
    (call $check (i32.const 20) (i32.eq (i32.load (i32.const 1900)) (i32.load (i32.const 2600))))
    ;; empty pipe, non-blocking read end: EAGAIN
    (call $check (i32.const 21) (i32.eqz (call $setflags (local.get $r) (i32.const 4))))
    (call $check (i32.const 22) (i32.eq (call $rd (local.get $r) (i32.const 64)) (i32.const ${E.AGAIN})))
    (call $check (i32.const 23) (i32.eqz (call $close (local.get $w))))
    (call $check (i32.const 24) (i32.eqz (call $rd (local.get $r) (i32.const 64))))
    (call $check (i32.const 25) (i32.eqz (i32.load (i32.const 1808))))
    ;; writing with no reader left: EPIPE (SIGPIPE goes to the registered callback)
    (call $check (i32.const 26) (i32.eqz (call $pipe (i32.const 1500) (i32.const 1504))))
    (call $check (i32.const 27) (i32.eqz (call $close (i32.load (i32.const 1500)))))
    (call $check (i32.const 28) (i32.eq (call $wr (i32.load (i32.const 1504)) (i32.const 2600) (i32.const 5)) (i32.const ${E.PIPE})))
    (call $print (i32.const 2600) (i32.const 5)))
  (data (i32.const 2500) "on_signal")
  (data (i32.const 2600) "okay\\n"))`;

test('eventfds (counter and semaphore) and pipes (poll, non-blocking, EOF, EPIPE)', async () => {
  const r = await weft(['run', await watFile(streams, 'wasix-streams')]);
  assert.equal(r.code, 0, `failed check ${r.code}\n${r.stderr}`);
  assert.equal(r.stdout, 'okay\n');
});

test('writing to a pipe without a reader raises SIGPIPE: the process ends with 128+13 when unhandled', async () => {
  const src = `(module ${imports}
    (func (export "_start")
      (call $check (i32.const 1) (i32.eqz (call $pipe (i32.const 1500) (i32.const 1504))))
      (call $check (i32.const 2) (i32.eqz (call $close (i32.load (i32.const 1500)))))
      (i32.store (i32.const 1800) (i32.const 2600)) (i32.store (i32.const 1804) (i32.const 1))
      (drop (call $write (i32.load (i32.const 1504)) (i32.const 1800) (i32.const 1) (i32.const 1808)))
      (call $exit (i32.const 3))))`;
  const r = await weft(['run', await watFile(src, 'wasix-sigpipe')]);
  assert.equal(r.code, 141, r.stderr);
});

test('tty_get reports which stdio fds are terminals; tty_set modes are read back', async () => {
  const src = `(module ${imports}
    (func (export "_start")
      (call $check (i32.const 1) (i32.eqz (call $ttyget (i32.const 1024))))
      ;; under the test runner stdin/stdout/stderr are pipes: not terminals; defaults echo/line-buffered on
      (call $check (i32.const 2) (i32.eqz (i32.load8_u (i32.const 1040))))
      (call $check (i32.const 3) (i32.eqz (i32.load8_u (i32.const 1041))))
      (call $check (i32.const 4) (i32.eq (i32.load8_u (i32.const 1043)) (i32.const 1)))
      (call $check (i32.const 5) (i32.ne (i32.load (i32.const 1024)) (i32.const 0)))
      ;; echo off, line buffering off
      (i32.store8 (i32.const 1043) (i32.const 0)) (i32.store8 (i32.const 1044) (i32.const 0))
      (call $check (i32.const 6) (i32.eqz (call $ttyset (i32.const 1024))))
      (i64.store (i32.const 1040) (i64.const -1))
      (call $check (i32.const 7) (i32.eqz (call $ttyget (i32.const 1024))))
      (call $check (i32.const 8) (i32.eqz (i32.load8_u (i32.const 1043))))
      (call $check (i32.const 9) (i32.eqz (i32.load8_u (i32.const 1044))))
      (call $check (i32.const 10) (i32.eq (i32.load8_u (i32.const 1045)) (i32.const 1)))
      (call $check (i32.const 11) (i32.eq (call $ttyset (i32.const 65530)) (i32.const ${E.FAULT})))))`;
  const r = await weft(['run', await watFile(src, 'wasix-tty')]);
  assert.equal(r.code, 0, `failed check ${r.code}\n${r.stderr}`);
});

test('signals: a thread blocked in futex_wait wakes for a signal, runs the callback, and waits on', async () => {
  // The child waits (no timeout) on word 200 until it is 1; main signals it, then sets the word and wakes it.
  const src = `(module ${imports}
    (func (export "on_signal") (param $sig i32) (i32.store (i32.const 100) (local.get $sig)))
    (func (export "wasi_thread_start") (param i32 i32)
      (i32.store8 (i32.const 1200) (i32.const 0))
      (i32.atomic.store (i32.const 0) (i32.const 1)) (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (loop $l
        (call $check (i32.const 10) (i32.eqz (call $fwait (i32.const 200) (i32.const 0) (i32.const 1200) (i32.const 1300))))
        ;; the signal's handler ran when futex_wait returned: report it once
        (if (i32.and (i32.eq (i32.load (i32.const 100)) (i32.const 10)) (i32.eqz (i32.load (i32.const 104))))
          (then (i32.atomic.store (i32.const 104) (i32.const 1)) (drop (memory.atomic.notify (i32.const 104) (i32.const 1)))))
        (br_if $l (i32.eqz (i32.atomic.load (i32.const 200))))))
    (func (export "_start") (local $t i32)
      (call $callback (i32.const 2500) (i32.const 9))
      ${threadStart}
      (call $check (i32.const 1) (i32.eqz (call $spawn (i32.const 1024) (i32.const 2000))))
      (local.set $t (i32.load (i32.const 2000)))
      (call $await (i32.const 0))
      (drop (call $sleep (i64.const 20000000)))
      (call $check (i32.const 2) (i32.eqz (call $tsignal (local.get $t) (i32.const 10))))
      ;; the handler runs in the blocked thread without anyone touching word 200
      (call $await (i32.const 104))
      (i32.atomic.store (i32.const 200) (i32.const 1))
      (i32.store8 (i32.const 1200) (i32.const 0))
      (drop (call $fwake (i32.const 200) (i32.const 1300)))
      (call $check (i32.const 3) (i32.eqz (call $join (local.get $t)))))
    (data (i32.const 2500) "on_signal"))`;
  const r = await weft(['run', await watFile(src, 'wasix-sig-futex')]);
  assert.equal(r.code, 0, `failed check ${r.code}\n${r.stderr}`);
  assert.ok(r.ms < 30_000, `took ${r.ms} ms`); // (a lost wake-up hangs until the default 60 s timeout)
});
