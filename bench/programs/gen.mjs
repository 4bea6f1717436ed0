// Generates the benchmark programs (WAT -> wasm with the npm `wabt` package, threads enabled) into
// bench/programs/build/. Every runtime runs the same bytes. Two variants of the syscall loops:
//   *-shared.wasm     imports a shared memory (env.memory, 1 page) and wasi.thread-spawn: the threaded runtimes
//   *-plain.wasm      defines its own (non-shared) memory, no thread-spawn: node:wasi and the other
//                     single-threaded hosts (weft runs it too, so the main-thread rows compare identical bytes)
// No program has a data segment: emnapi instantiates the module once per thread over the shared memory, and an
// active segment would re-initialise memory each time. The shared variants export malloc/free (a fixed scratch
// slot at 1024) because @emnapi/wasi-threads' one-argument thread-spawn allocates its result struct with them.
//
// Memory map: 0 flag (child -> main), 4 ping-pong turn, 8 iteration count for the child, 16/24 main's clock
// scratch, 32 iovec {48, 1}, 40 nwritten, 48 the byte '\n', 64/72 child's clock scratch, 80 child's entry time,
// 1024 malloc scratch, 2048 main's print buffer, 2304 child's print buffer, 4096.. spawn samples (i64 each).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fsPrograms } from './fs.mjs';
import { yieldPrograms } from './yield.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
export const buildDir = path.join(here, 'build');

/** Loop sizes, shared with the runner (which divides the programs' totals by them). */
export const config = {
  spawnWarm: 250, // timed sequential spawn+join pairs after the cold one
  spawnWarmupMs: 500, // of untimed pairs between the cold one and the timed ones
  spawnFew: 10, // the same for emnapi's README set-up, where every spawn boots a Worker
  // Ping-pong warms up for a fixed time, not a count: a futex wake is ~2x faster while any other thread keeps
  // a CPU busy (an idle vCPU is slow to wake), e.g. while a runtime is still booting a spare worker.
  pingWarmupMs: 500,
  pingRounds: 5000,
  fdWrite: 10000, // calls per timed loop
  clock: 200000,
  syscallReps: 3, // timed loops per thread, after a warm-up loop of the same size
  bigFunctions: 5000,
};

/** Added to a syscall loop's tag for the line with its process CPU time. */
export const CPU_TAG = 200;

/** Tags of the "@ tag value" lines the programs print on fd 2. */
export const TAG = {
  spawnCold: 1, spawnWarm: 2, spawnCall: 3, spawnEntry: 4,
  spawnFirst: 5, spawnSecond: 6,
  fdMain: 10, fdThread: 11, clockMain: 20, clockThread: 21, ping: 30,
};

export const header = (shared, pages = 1, imports = '') => `
  ${shared
    ? `(import "env" "memory" (memory $mem ${pages} ${pages} shared))
  (export "memory" (memory $mem))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))`
    : ''}
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  ${imports}
  ${shared ? '' : `(memory $mem (export "memory") ${pages})`}
  ${shared ? `(func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "free") (param i32))` : ''}
  ;; monotonic clock in ns, through the i64 scratch at $at
  (func $now (param $at i32) (result i64)
    (if (call $clock (i32.const 1) (i64.const 0) (local.get $at)) (then unreachable))
    (i64.load (local.get $at)))
  ;; the process's CPU time in ns (all threads), through the i64 scratch at $at: the syscall loops print it
  ;; beside their wall time (tag + CPU_TAG), which on a loaded machine counts the work, not the waiting
  (func $cpu (param $at i32) (result i64)
    (if (call $clock (i32.const 2) (i64.const 0) (local.get $at)) (then unreachable))
    (i64.load (local.get $at)))
  ;; writes the decimal digits of $v at $p, returns the end
  (func $utoa (param $p i32) (param $v i64) (result i32) (local $n i64) (local $len i32) (local $q i32)
    (local.set $n (local.get $v))
    (local.set $len (i32.const 1))
    (block $done (loop $count
      (br_if $done (i64.lt_u (local.get $n) (i64.const 10)))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (br $count)))
    (local.set $q (i32.add (local.get $p) (local.get $len)))
    (loop $digit
      (local.set $q (i32.sub (local.get $q) (i32.const 1)))
      (i32.store8 (local.get $q) (i32.wrap_i64 (i64.add (i64.const 48) (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digit (i32.gt_u (local.get $q) (local.get $p))))
    (i32.add (local.get $p) (local.get $len)))
  ;; prints "@ <tag> <v>\\n" on fd 2, using the 256-byte buffer at $buf
  (func $emit (param $buf i32) (param $tag i32) (param $v i64) (local $p i32)
    (i32.store8 (local.get $buf) (i32.const 64))
    (i32.store8 offset=1 (local.get $buf) (i32.const 32))
    (local.set $p (call $utoa (i32.add (local.get $buf) (i32.const 2)) (i64.extend_i32_u (local.get $tag))))
    (i32.store8 (local.get $p) (i32.const 32))
    (local.set $p (call $utoa (i32.add (local.get $p) (i32.const 1)) (local.get $v)))
    (i32.store8 (local.get $p) (i32.const 10))
    (i32.store offset=64 (local.get $buf) (local.get $buf))
    (i32.store offset=68 (local.get $buf) (i32.sub (i32.add (local.get $p) (i32.const 1)) (local.get $buf)))
    (drop (call $write (i32.const 2) (i32.add (local.get $buf) (i32.const 64)) (i32.const 1) (i32.add (local.get $buf) (i32.const 72)))))
  ${shared ? `
  ;; wait until mem[$addr] != 0
  (func $await (param $addr i32)
    (loop $again
      (if (i32.eqz (i32.atomic.load (local.get $addr)))
        (then (drop (memory.atomic.wait32 (local.get $addr) (i32.const 0) (i64.const -1))) (br $again)))))
  (func $signal (param $addr i32)
    (i32.atomic.store (local.get $addr) (i32.const 1))
    (drop (memory.atomic.notify (local.get $addr) (i32.const -1))))
  (func $spawn_or_trap (param $arg i32)
    (if (i32.le_s (call $spawn (local.get $arg)) (i32.const 0)) (then unreachable)))` : ''}
`;

const spawn = (n) => `(module ${header(true)}
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (i64.store (i32.const 80) (call $now (i32.const 64)))
    (call $signal (i32.const 0)))
  ;; one spawn+join, timed: returns the total, records the spawn call and child-entry times at 4096+8*(N+1+2i)
  (func $pair (param $i i32) (result i64) (local $t0 i64) (local $t1 i64) (local $at i32)
    (i32.atomic.store (i32.const 0) (i32.const 0))
    (local.set $t0 (call $now (i32.const 16)))
    (call $spawn_or_trap (i32.const 0))
    (local.set $t1 (call $now (i32.const 16)))
    (call $await (i32.const 0))
    (local.set $at (i32.add (i32.const ${4096 + 8 * (n + 1)}) (i32.shl (local.get $i) (i32.const 4))))
    (i64.store (local.get $at) (i64.sub (local.get $t1) (local.get $t0)))
    (i64.store offset=8 (local.get $at) (i64.sub (i64.load (i32.const 80)) (local.get $t0)))
    (i64.sub (call $now (i32.const 16)) (local.get $t0)))
  (func (export "_start") (local $i i32) (local $t0 i64)
    ;; the cold pair
    (i64.store (i32.const 4096) (call $pair (i32.const 0)))
    ;; warm-up pairs for a fixed time (as in the ping-pong: nothing booting in the background when timing)
    (local.set $t0 (call $now (i32.const 16)))
    (loop $warm
      (drop (call $pair (i32.const 1)))
      (br_if $warm (i64.lt_u (i64.sub (call $now (i32.const 16)) (local.get $t0)) (i64.const ${config.spawnWarmupMs * 1e6}))))
    (local.set $i (i32.const 1))
    (loop $l
      (i64.store (i32.add (i32.const 4096) (i32.shl (local.get $i) (i32.const 3))) (call $pair (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.le_u (local.get $i) (i32.const ${n}))))
    (local.set $i (i32.const 0))
    (loop $p
      (call $emit (i32.const 2048) (select (i32.const ${TAG.spawnCold}) (i32.const ${TAG.spawnWarm}) (i32.eqz (local.get $i)))
        (i64.load (i32.add (i32.const 4096) (i32.shl (local.get $i) (i32.const 3)))))
      (if (local.get $i) (then
        (call $emit (i32.const 2048) (i32.const ${TAG.spawnCall})
          (i64.load (i32.add (i32.const ${4096 + 8 * (n + 1)}) (i32.shl (local.get $i) (i32.const 4)))))
        (call $emit (i32.const 2048) (i32.const ${TAG.spawnEntry})
          (i64.load offset=8 (i32.add (i32.const ${4096 + 8 * (n + 1)}) (i32.shl (local.get $i) (i32.const 4)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $p (i32.le_u (local.get $i) (i32.const ${n})))))
)`;

const pingpong = () => `(module ${header(true)}
  ;; child: waits for turn=1 and hands it back as 0, until main sets turn=2
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (loop $round
      (loop $wait
        (if (i32.eqz (i32.atomic.load (i32.const 4)))
          (then (drop (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1))) (br $wait))))
      (if (i32.eq (i32.atomic.load (i32.const 4)) (i32.const 2)) (then (return)))
      (i32.atomic.store (i32.const 4) (i32.const 0))
      (drop (memory.atomic.notify (i32.const 4) (i32.const 1)))
      (br $round)))
  (func $rounds (param $n i32)
    (loop $round
      (i32.atomic.store (i32.const 4) (i32.const 1))
      (drop (memory.atomic.notify (i32.const 4) (i32.const 1)))
      (loop $wait
        (if (i32.atomic.load (i32.const 4))
          (then (drop (memory.atomic.wait32 (i32.const 4) (i32.const 1) (i64.const -1))) (br $wait))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $round (local.get $n))))
  (func (export "_start") (local $t0 i64)
    (call $spawn_or_trap (i32.const 0))
    ;; warm-up by time: the runtime must be quiescent when the timed rounds start (see gen.mjs config)
    (local.set $t0 (call $now (i32.const 16)))
    (loop $warm
      (call $rounds (i32.const 100))
      (br_if $warm (i64.lt_u (i64.sub (call $now (i32.const 16)) (local.get $t0)) (i64.const ${config.pingWarmupMs * 1e6}))))
    (local.set $t0 (call $now (i32.const 16)))
    (call $rounds (i32.const ${config.pingRounds}))
    (call $emit (i32.const 2048) (i32.const ${TAG.ping}) (i64.sub (call $now (i32.const 16)) (local.get $t0)))
    (i32.atomic.store (i32.const 4) (i32.const 2))
    (drop (memory.atomic.notify (i32.const 4) (i32.const 1))))
)`;

/** A syscall loop run on the main thread, then (shared variant) on a spawned thread. */
const syscallLoop = (shared, kind) => {
  const n = kind === 'fd' ? config.fdWrite : config.clock;
  const body = kind === 'fd'
    ? `(local.set $err (i32.or (local.get $err) (call $write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40))))`
    : `(local.set $err (i32.or (local.get $err) (call $clock (i32.const 1) (i64.const 0) (local.get $scratch))))`;
  const [tagMain, tagThread] = kind === 'fd' ? [TAG.fdMain, TAG.fdThread] : [TAG.clockMain, TAG.clockThread];
  return `(module ${header(shared)}
  (func $loop (param $n i32) (param $scratch i32) (local $err i32)
    (loop $l
      ${body}
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (if (local.get $err) (then unreachable))
    ${kind === 'fd' ? '(if (i32.ne (i32.load (i32.const 40)) (i32.const 1)) (then unreachable))' : ''})
  ;; warm-up (as many calls as a timed loop: JS syscall layers need the JIT), then ${config.syscallReps} timed loops,
  ;; each printing its total ns
  (func $bench (param $buf i32) (param $tag i32) (param $scratch i32) (local $t0 i64) (local $c0 i64) (local $r i32)
    (call $loop (i32.const ${n}) (local.get $scratch))
    (local.set $r (i32.const ${config.syscallReps}))
    (loop $rep
      (local.set $c0 (call $cpu (local.get $scratch)))
      (local.set $t0 (call $now (local.get $scratch)))
      (call $loop (i32.const ${n}) (local.get $scratch))
      (call $emit (local.get $buf) (local.get $tag) (i64.sub (call $now (local.get $scratch)) (local.get $t0)))
      (call $emit (local.get $buf) (i32.add (local.get $tag) (i32.const ${CPU_TAG})) (i64.sub (call $cpu (local.get $scratch)) (local.get $c0)))
      (local.set $r (i32.sub (local.get $r) (i32.const 1)))
      (br_if $rep (local.get $r))))
  ${shared ? `(func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (call $bench (i32.const 2304) (i32.const ${tagThread}) (i32.const 64))
    (call $signal (i32.const 0)))` : ''}
  (func (export "_start")
    (i32.store (i32.const 32) (i32.const 48))
    (i32.store (i32.const 36) (i32.const 1))
    (i32.store8 (i32.const 48) (i32.const 10))
    (call $bench (i32.const 2048) (i32.const ${tagMain}) (i32.const 16))
    ${shared ? `(call $spawn_or_trap (i32.const 0))
    (call $await (i32.const 0))` : ''})
)`;
};

/** Start-up: a threaded module that spawns one thread and joins it; the plain one returns at once. */
const trivial = (shared) => `(module ${header(shared)}
  ${shared ? `(func (export "wasi_thread_start") (param $tid i32) (param $arg i32) (call $signal (i32.const 0)))` : ''}
  (func (export "_start")
    ${shared ? `(call $spawn_or_trap (i32.const 0)) (call $await (i32.const 0))` : ''})
)`;

/**
 * First and second spawn of a process: _start spawns two threads back to back; each child records when it
 * starts running; prints both delays from the start of _start (ns). Child i: clock scratch at 96+16i, entry
 * time at 128+8i, flag at 160+4i.
 */
const spawnTwo = () => `(module ${header(true)}
  (func (export "wasi_thread_start") (param $tid i32) (param $i i32)
    (i64.store (i32.add (i32.const 128) (i32.shl (local.get $i) (i32.const 3)))
      (call $now (i32.add (i32.const 96) (i32.shl (local.get $i) (i32.const 4)))))
    (call $signal (i32.add (i32.const 160) (i32.shl (local.get $i) (i32.const 2)))))
  (func (export "_start") (local $t0 i64)
    (local.set $t0 (call $now (i32.const 16)))
    (call $spawn_or_trap (i32.const 0))
    (call $spawn_or_trap (i32.const 1))
    (call $await (i32.const 160))
    (call $await (i32.const 164))
    (call $emit (i32.const 2048) (i32.const ${5}) (i64.sub (i64.load (i32.const 128)) (local.get $t0)))
    (call $emit (i32.const 2048) (i32.const ${6}) (i64.sub (i64.load (i32.const 136)) (local.get $t0))))
)`;

/** Start-up: hello world, as `weft run hello.wasm` and a node:wasi script would run it (plain module). */
const hello = () => `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello, world\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 13))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)`;

/**
 * A large module for compile-time measurements: `bigFunctions` functions of ~60 instructions (arithmetic,
 * a loop, a branch, memory access, a call), a table of all of them and an export that calls each once.
 * Imports a shared memory, like every module weft turns Liftoff off for.
 */
const big = () => {
  const n = config.bigFunctions;
  const fns = [];
  for (let i = 0; i < n; i++) {
    const callee = i > 0 ? `(local.set $c (i32.add (local.get $c) (call $f${i - 1} (local.get $b) (i32.const 0))))` : '';
    fns.push(`(func $f${i} (param $a i32) (param $b i32) (result i32) (local $c i32) (local $j i32)
    (local.set $c (i32.xor (local.get $a) (i32.const ${(i * 2654435761) >>> 0 & 0x7fffffff})))
    (local.set $j (i32.and (local.get $b) (i32.const 7)))
    (loop $l
      (local.set $c (i32.add (i32.mul (local.get $c) (i32.const ${31 + (i % 97)}))
        (i32.load (i32.and (i32.shl (local.get $j) (i32.const 2)) (i32.const 4092)))))
      (local.set $c (i32.rotl (local.get $c) (i32.const ${(i % 31) + 1})))
      (if (i32.and (local.get $c) (i32.const 1))
        (then (local.set $c (i32.sub (local.get $c) (i32.const ${i}))))
        (else (local.set $c (i32.xor (local.get $c) (i32.shr_u (local.get $c) (i32.const 7))))))
      (i32.store (i32.and (i32.shl (local.get $j) (i32.const 3)) (i32.const 4092)) (local.get $c))
      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $j) (i32.const 0))))
    ${i % 4 === 1 ? callee : ''}
    (i32.add (local.get $c) (i32.mul (local.get $a) (local.get $b))))`);
  }
  return `(module
  (import "env" "memory" (memory 1 1 shared))
  (type $ft (func (param i32 i32) (result i32)))
  ${fns.join('\n  ')}
  (table ${n} funcref)
  (elem (i32.const 0) ${Array.from({ length: n }, (_, i) => `$f${i}`).join(' ')})
  (func (export "call_all") (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc)
        (call_indirect (type $ft) (local.get $i) (i32.const 3) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const ${n}))))
    (local.get $acc))
)`;
};

export const programs = {
  'spawn-shared': () => spawn(config.spawnWarm),
  'spawn10-shared': () => spawn(config.spawnFew),
  'pingpong-shared': pingpong,
  'fdwrite-shared': () => syscallLoop(true, 'fd'),
  'fdwrite-plain': () => syscallLoop(false, 'fd'),
  'clock-shared': () => syscallLoop(true, 'clock'),
  'clock-plain': () => syscallLoop(false, 'clock'),
  'trivial-shared': () => trivial(true),
  'trivial-plain': () => trivial(false),
  'hello-plain': hello,
  'spawn2-shared': spawnTwo,
  'big-shared': big,
  ...yieldPrograms, // yield.mjs: sched_yield spinners against work, a yield-spin ping-pong, rare yields
  ...fsPrograms, // fs.mjs: fd_write to a file, 256 MB sequential read, path_open+fd_close, fd_readdir of 10,000
};

/** Assembles every program (validated with threads enabled); returns { name: path }. */
export async function generate() {
  const wabt = await require('wabt')();
  fs.mkdirSync(buildDir, { recursive: true });
  const out = {};
  for (const [name, make] of Object.entries(programs)) {
    const src = make();
    const watPath = path.join(buildDir, `${name}.wat`);
    const wasmPath = path.join(buildDir, `${name}.wasm`);
    const fresh = fs.existsSync(wasmPath) && fs.existsSync(watPath) && fs.readFileSync(watPath, 'utf8') === src;
    if (!fresh) {
      const m = wabt.parseWat(`${name}.wat`, src, { threads: true });
      try {
        m.resolveNames();
        m.validate({ threads: true });
        fs.writeFileSync(wasmPath, m.toBinary({}).buffer);
        fs.writeFileSync(watPath, src);
      } finally {
        m.destroy();
      }
    }
    out[name] = wasmPath;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await generate();
  for (const [name, p] of Object.entries(out)) console.log(`${name.padEnd(16)} ${fs.statSync(p).size} bytes  ${p}`);
}
