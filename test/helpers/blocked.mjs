// A threaded program whose spawned thread blocks reading stdin forever while main waits for it (for
// tests that end a run from outside: abort, signals).
import { wat2wasm } from './wat.mjs';

export function threadBlockedReading() {
  return wat2wasm(`(module
    (import "env" "memory" (memory 1 1 shared))
    (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_read" (func $r (param i32 i32 i32 i32) (result i32)))
    (func (export "wasi_thread_start") (param i32 i32)
      (i32.store (i32.const 16) (i32.const 64)) (i32.store (i32.const 20) (i32.const 16))
      (drop (call $r (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24))))
    (func (export "_start")
      (drop (call $spawn (i32.const 0)))
      (loop $forever (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (br $forever))))`, 'thread-blocked-reading');
}
