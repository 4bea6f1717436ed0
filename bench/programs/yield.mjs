// sched_yield benchmark programs (WAT, assembled by gen.mjs with the others; shared module, weft run()).
// What a yield is for, and what it must not cost:
//   yield-spin   the main thread times a fixed computation alone, then again while YIELD.spinners spawned
//                threads spin on sched_yield until it is done (rayon/tokio idle pools do this): with a yield
//                that gives nothing up, the spinners take CPUs the work needs. Prints both times.
//   yield-ping   two threads hand a token back and forth, each waiting for its turn by spinning on
//                sched_yield: the round trip, which a yield that sleeps too eagerly would slow.
//   yield-rare   a computation cut into YIELD.rareChunks chunks of a few µs, timed without and then with one
//                sched_yield after each chunk: what yielding costs a thread that yields but never waits.
// Memory (1 page): header's 0/16/24/64/72/2048/2304 (see gen.mjs); 96 done flag for the spinners, 100
// spinners finished, 104 ping-pong turn, 108 spinners started, 112 compute result sink.
import { header } from './gen.mjs';

export const YIELD = {
  spinners: 4,
  work: 20_000_000, // iterations of the spin group's computation (~40-100 ms alone)
  pingRounds: 20_000,
  rareChunks: 50_000,
  rareChunk: 2000, // iterations per chunk (~3-5 µs)
};
export const YIELD_TAG = { alone: 120, spun: 121, ping: 122, rareWithout: 123, rareWith: 124 };

const imports = `(import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))`;

// n iterations of a xorshift-multiply chain: work the optimiser cannot remove (the result is stored)
const compute = `(func $compute (param $n i32) (local $x i32)
    (local.set $x (i32.const 0x2545f491))
    (loop $l
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.mul (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))) (i32.const 0x9e3779b1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (i32.store (i32.const 112) (i32.add (i32.load (i32.const 112)) (local.get $x))))`;

const time = (tag, body) => `(local.set $t0 (call $now (i32.const 16)))
    ${body}
    (call $emit (i32.const 2048) (i32.const ${tag}) (i64.sub (call $now (i32.const 16)) (local.get $t0)))`;

const spin = () => `(module ${header(true, 1, imports)}
  ${compute}
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (drop (i32.atomic.rmw.add (i32.const 108) (i32.const 1)))
    (loop $l
      (if (i32.eqz (i32.atomic.load (i32.const 96)))
        (then (drop (call $yield)) (br $l))))
    (drop (i32.atomic.rmw.add (i32.const 100) (i32.const 1))))
  (func (export "_start") (local $t0 i64) (local $i i32)
    (call $compute (i32.const ${YIELD.work / 10})) ;; warm-up
    ${time(YIELD_TAG.alone, `(call $compute (i32.const ${YIELD.work}))`)}
    (loop $s
      (call $spawn_or_trap (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $s (i32.lt_u (local.get $i) (i32.const ${YIELD.spinners}))))
    ;; every spinner running before the clock starts
    (loop $up (br_if $up (i32.lt_u (i32.atomic.load (i32.const 108)) (i32.const ${YIELD.spinners}))))
    ${time(YIELD_TAG.spun, `(call $compute (i32.const ${YIELD.work}))`)}
    (i32.atomic.store (i32.const 96) (i32.const 1))
    (loop $w (br_if $w (i32.lt_u (i32.atomic.load (i32.const 100)) (i32.const ${YIELD.spinners})))))
)`;

const ping = () => `(module ${header(true, 1, imports)}
  ;; the child: waits (spinning on sched_yield) for turn 1, hands back 0; turn 2 ends it
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32) (local $v i32)
    (loop $round
      (loop $wait
        (local.set $v (i32.atomic.load (i32.const 104)))
        (if (i32.eqz (local.get $v)) (then (drop (call $yield)) (br $wait))))
      (if (i32.eq (local.get $v) (i32.const 1)) (then
        (i32.atomic.store (i32.const 104) (i32.const 0))
        (br $round))))
    (call $signal (i32.const 0)))
  (func $rounds (param $n i32)
    (loop $round
      (i32.atomic.store (i32.const 104) (i32.const 1))
      (loop $wait (if (i32.atomic.load (i32.const 104)) (then (drop (call $yield)) (br $wait))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $round (local.get $n))))
  (func (export "_start") (local $t0 i64)
    (call $spawn_or_trap (i32.const 0))
    (call $rounds (i32.const ${YIELD.pingRounds / 4})) ;; warm-up
    ${time(YIELD_TAG.ping, `(call $rounds (i32.const ${YIELD.pingRounds}))`)}
    (i32.atomic.store (i32.const 104) (i32.const 2))
    (call $await (i32.const 0)))
)`;

const rare = () => `(module ${header(true, 1, imports)}
  ${compute}
  (func $chunks (param $n i32) (param $yield i32)
    (loop $l
      (call $compute (i32.const ${YIELD.rareChunk}))
      (if (local.get $yield) (then (drop (call $yield))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n))))
  (func (export "_start") (local $t0 i64)
    (call $chunks (i32.const ${YIELD.rareChunks / 4}) (i32.const 1)) ;; warm-up
    ${time(YIELD_TAG.rareWithout, `(call $chunks (i32.const ${YIELD.rareChunks}) (i32.const 0))`)}
    ${time(YIELD_TAG.rareWith, `(call $chunks (i32.const ${YIELD.rareChunks}) (i32.const 1))`)})
)`;

export const yieldPrograms = { 'yieldspin-shared': spin, 'yieldping-shared': ping, 'yieldrare-shared': rare };
