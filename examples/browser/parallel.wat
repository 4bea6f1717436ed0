;; parallel.wat — estimates pi by integrating 4/(1+x^2) over [0,1] with N wasi-threads.
;;
;;   parallel.wasm [threads=4] [million-steps=400]
;;
;; Every thread sums its share of the midpoint rule, printing its progress every 10% with fd_write;
;; the main thread spawns them, waits on an atomic counter (memory.atomic.wait32), adds up the partial
;; sums and prints the estimate with its error and the time taken. Build: node examples/browser/build.mjs
;;
;; Memory map (one shared memory for all threads):
;;   0      i32  threads finished          8     i32  thread count N     16  i64 steps   24 f64 h
;;   32     i64  start time (ns)
;;   256    f64  partial sums, one per thread (up to 64)
;;   1024   passive strings, copied in by main
;;   4096   per-thread scratch, 512 bytes each (index 64 = main): iovec, nwritten, text
;;   40960  argv pointers and strings
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "memory" (memory 2 2 shared))

  (global $STR i32 (i32.const 1024))
  ;; offsets into the string block:
  ;;   0 "thread "   7 ": "   9 "% ("   12 " ms)\n"   17 "pi with "   25 " threads, "   35 " steps\n"
  ;;   42 "pi = "   47 "error = "   55 "done in "   63 " ms\n"   67 "."   68 "\n"   69 "spawn failed\n"
  ;;   82 "computing "   (92 bytes)
  (data $strings "thread : % ( ms)\npi with  threads,  steps\npi = error = done in  ms\n.\nspawn failed\ncomputing ")

  ;; ---- output helpers: text accumulates at scratch+16, pos is its length ----
  (func $scratch (param $idx i32) (result i32)
    (i32.add (i32.const 4096) (i32.mul (local.get $idx) (i32.const 512))))

  (func $str (param $base i32) (param $pos i32) (param $off i32) (param $len i32) (result i32)
    (memory.copy (i32.add (i32.add (local.get $base) (i32.const 16)) (local.get $pos))
                 (i32.add (global.get $STR) (local.get $off)) (local.get $len))
    (i32.add (local.get $pos) (local.get $len)))

  ;; unsigned decimal, at least $width digits (zero padded)
  (func $uint (param $base i32) (param $pos i32) (param $v i64) (param $width i32) (result i32)
    (local $tmp i32) (local $n i32) (local $i i32)
    (local.set $tmp (i32.add (local.get $base) (i32.const 480)))
    (loop $digits
      (i32.store8 (i32.add (local.get $tmp) (local.get $n))
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $digits (i32.or (i64.ne (local.get $v) (i64.const 0)) (i32.lt_u (local.get $n) (local.get $width)))))
    (local.set $i (local.get $n))
    (loop $copy
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (i32.add (local.get $base) (i32.const 16)) (local.get $pos))
        (i32.load8_u (i32.add (local.get $tmp) (local.get $i))))
      (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
      (br_if $copy (local.get $i)))
    (local.get $pos))

  ;; a non-negative f64 with $decimals digits after the point
  (func $fixed (param $base i32) (param $pos i32) (param $x f64) (param $decimals i32) (result i32)
    (local $scale f64) (local $i i32) (local $int i64)
    (local.set $scale (f64.const 1))
    (loop $p
      (if (i32.lt_u (local.get $i) (local.get $decimals))
        (then (local.set $scale (f64.mul (local.get $scale) (f64.const 10)))
              (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $p))))
    (local.set $int (i64.trunc_sat_f64_u (f64.nearest (f64.mul (local.get $x) (local.get $scale)))))
    (local.set $pos (call $uint (local.get $base) (local.get $pos)
      (i64.div_u (local.get $int) (i64.trunc_sat_f64_u (local.get $scale))) (i32.const 1)))
    (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 67) (i32.const 1)))
    (call $uint (local.get $base) (local.get $pos)
      (i64.rem_u (local.get $int) (i64.trunc_sat_f64_u (local.get $scale))) (local.get $decimals)))

  (func $flush (param $base i32) (param $len i32)
    (i32.store (local.get $base) (i32.add (local.get $base) (i32.const 16)))
    (i32.store offset=4 (local.get $base) (local.get $len))
    (drop (call $fd_write (i32.const 1) (local.get $base) (i32.const 1) (i32.add (local.get $base) (i32.const 8)))))

  (func $now (param $base i32) (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1000) (i32.add (local.get $base) (i32.const 8))))
    (i64.load offset=8 (local.get $base)))

  (func $elapsed_ms (param $base i32) (result i64)
    (i64.div_u (i64.sub (call $now (local.get $base)) (i64.load (i32.const 32))) (i64.const 1000000)))

  ;; ---- the worker threads ----
  (func (export "wasi_thread_start") (param $tid i32) (param $idx i32)
    (local $base i32) (local $n i64) (local $from i64) (local $to i64) (local $i i64) (local $next i64)
    (local $h f64) (local $x f64) (local $sum f64) (local $tenth i64) (local $pct i32) (local $pos i32)
    (local.set $base (call $scratch (local.get $idx)))
    (local.set $n (i64.div_u (i64.load (i32.const 16)) (i64.extend_i32_u (i32.load (i32.const 8)))))
    (local.set $from (i64.mul (local.get $n) (i64.extend_i32_u (local.get $idx))))
    (local.set $to (i64.add (local.get $from) (local.get $n)))
    (local.set $h (f64.load (i32.const 24)))
    (local.set $tenth (i64.div_u (local.get $n) (i64.const 10)))
    (if (i64.eqz (local.get $tenth)) (then (local.set $tenth (i64.const 1))))
    (local.set $i (local.get $from))
    (loop $chunks
      ;; one tenth of this thread's share, then a progress line
      (local.set $next (i64.add (local.get $i) (local.get $tenth)))
      (if (i64.gt_u (local.get $next) (local.get $to)) (then (local.set $next (local.get $to))))
      (block $done
        (loop $steps
          (br_if $done (i64.ge_u (local.get $i) (local.get $next)))
          (local.set $x (f64.mul (f64.add (f64.convert_i64_u (local.get $i)) (f64.const 0.5)) (local.get $h)))
          (local.set $sum (f64.add (local.get $sum)
            (f64.div (f64.const 4) (f64.add (f64.const 1) (f64.mul (local.get $x) (local.get $x))))))
          (local.set $i (i64.add (local.get $i) (i64.const 1)))
          (br $steps)))
      (local.set $pct (i32.wrap_i64 (i64.div_u (i64.mul (i64.sub (local.get $i) (local.get $from)) (i64.const 100)) (local.get $n))))
      ;; "thread K: PP% (T ms)\n"
      (local.set $pos (call $str (local.get $base) (i32.const 0) (i32.const 0) (i32.const 7)))
      (local.set $pos (call $uint (local.get $base) (local.get $pos) (i64.extend_i32_u (local.get $idx)) (i32.const 1)))
      (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 7) (i32.const 2)))
      (local.set $pos (call $uint (local.get $base) (local.get $pos) (i64.extend_i32_u (local.get $pct)) (i32.const 1)))
      (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 9) (i32.const 3)))
      (local.set $pos (call $uint (local.get $base) (local.get $pos) (call $elapsed_ms (local.get $base)) (i32.const 1)))
      (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 12) (i32.const 5)))
      (call $flush (local.get $base) (local.get $pos))
      (br_if $chunks (i64.lt_u (local.get $i) (local.get $to))))
    (f64.store (i32.add (i32.const 256) (i32.shl (local.get $idx) (i32.const 3))) (local.get $sum))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))

  ;; ---- argv: decimal argument $k, or $default ----
  (func $arg (param $k i32) (param $default i32) (result i32)
    (local $argc i32) (local $p i32) (local $v i32) (local $c i32)
    (drop (call $args_sizes_get (i32.const 40960) (i32.const 40964)))
    (local.set $argc (i32.load (i32.const 40960)))
    (if (i32.ge_u (local.get $k) (local.get $argc)) (then (return (local.get $default))))
    (if (i32.gt_u (i32.add (i32.load (i32.const 40964)) (i32.mul (local.get $argc) (i32.const 4))) (i32.const 24000))
      (then (return (local.get $default))))
    (drop (call $args_get (i32.const 40968) (i32.add (i32.const 40968) (i32.mul (local.get $argc) (i32.const 4)))))
    (local.set $p (i32.load (i32.add (i32.const 40968) (i32.mul (local.get $k) (i32.const 4)))))
    (block $end
      (loop $digits
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $end (i32.or (i32.lt_u (local.get $c) (i32.const 48)) (i32.gt_u (local.get $c) (i32.const 57))))
        (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digits)))
    (if (result i32) (local.get $v) (then (local.get $v)) (else (local.get $default))))

  (func (export "_start")
    (local $n i32) (local $steps i64) (local $i i32) (local $done i32) (local $base i32) (local $pos i32)
    (local $pi f64) (local $err f64)
    (memory.init $strings (i32.const 1024) (i32.const 0) (i32.const 92))
    (data.drop $strings)
    (local.set $base (call $scratch (i32.const 64)))
    (i64.store (i32.const 32) (call $now (local.get $base)))
    (local.set $n (call $arg (i32.const 1) (i32.const 4)))
    (if (i32.gt_u (local.get $n) (i32.const 64)) (then (local.set $n (i32.const 64))))
    (local.set $steps (i64.mul (i64.extend_i32_u (call $arg (i32.const 2) (i32.const 400))) (i64.const 1000000)))
    ;; round the steps to a multiple of N
    (local.set $steps (i64.mul (i64.div_u (local.get $steps) (i64.extend_i32_u (local.get $n))) (i64.extend_i32_u (local.get $n))))
    (i32.store (i32.const 8) (local.get $n))
    (i64.store (i32.const 16) (local.get $steps))
    (f64.store (i32.const 24) (f64.div (f64.const 1) (f64.convert_i64_u (local.get $steps))))
    ;; "computing pi with N threads, S steps\n"
    (local.set $pos (call $str (local.get $base) (i32.const 0) (i32.const 82) (i32.const 10)))
    (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 17) (i32.const 8)))
    (local.set $pos (call $uint (local.get $base) (local.get $pos) (i64.extend_i32_u (local.get $n)) (i32.const 1)))
    (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 25) (i32.const 10)))
    (local.set $pos (call $uint (local.get $base) (local.get $pos) (local.get $steps) (i32.const 1)))
    (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 35) (i32.const 7)))
    (call $flush (local.get $base) (local.get $pos))
    (loop $spawning
      (if (i32.le_s (call $spawn (local.get $i)) (i32.const 0))
        (then (call $flush (local.get $base) (call $str (local.get $base) (i32.const 0) (i32.const 69) (i32.const 13)))
              (call $proc_exit (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spawning (i32.lt_u (local.get $i) (local.get $n))))
    ;; wait until every thread has added its partial sum
    (loop $waiting
      (local.set $done (i32.atomic.load (i32.const 0)))
      (if (i32.lt_u (local.get $done) (local.get $n))
        (then (drop (memory.atomic.wait32 (i32.const 0) (local.get $done) (i64.const -1))) (br $waiting))))
    (local.set $i (i32.const 0))
    (loop $adding
      (local.set $pi (f64.add (local.get $pi) (f64.load (i32.add (i32.const 256) (i32.shl (local.get $i) (i32.const 3))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $adding (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $pi (f64.mul (local.get $pi) (f64.load (i32.const 24))))
    (local.set $err (f64.abs (f64.sub (local.get $pi) (f64.const 3.141592653589793))))
    ;; "pi = 3.141592653590\n" "error = 0.000000000000123\n" "done in T ms\n"
    (local.set $pos (call $str (local.get $base) (i32.const 0) (i32.const 42) (i32.const 5)))
    (local.set $pos (call $fixed (local.get $base) (local.get $pos) (local.get $pi) (i32.const 12)))
    (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 68) (i32.const 1)))
    (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 47) (i32.const 8)))
    (local.set $pos (call $fixed (local.get $base) (local.get $pos) (local.get $err) (i32.const 15)))
    (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 68) (i32.const 1)))
    (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 55) (i32.const 8)))
    (local.set $pos (call $uint (local.get $base) (local.get $pos) (call $elapsed_ms (local.get $base)) (i32.const 1)))
    (local.set $pos (call $str (local.get $base) (local.get $pos) (i32.const 63) (i32.const 4)))
    (call $flush (local.get $base) (local.get $pos))))
