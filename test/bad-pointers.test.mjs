// Every kernel-v0 call validates guest pointers and lengths: bad input yields the WASI errno
// (EFAULT, EINVAL, EBADF...) and never a host exception — from the main thread and a spawned thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WASI } from '../dist/index.js';
import { wat2wasm, watFile } from './helpers/wat.mjs';
import { weft } from './helpers/run.mjs';

const E = { SUCCESS: 0, BADF: 8, FAULT: 21, INVAL: 28, SPIPE: 70, NOSYS: 52 };
const END = 65536; // one page of memory

async function kernel() {
  const bytes = await wat2wasm(`(module (memory (export "memory") 1) (func (export "_initialize")))`);
  const wasi = new WASI({ args: ['prog', 'arg'], env: { A: 'b' } });
  const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
  wasi.initialize(instance);
  const mem = new DataView(instance.exports.memory.buffer);
  return { w: wasi.wasiImport, mem };
}

test('args/environ calls reject pointers past the end of memory', async () => {
  const { w } = await kernel();
  assert.equal(w.args_sizes_get(END, 0), E.FAULT);
  assert.equal(w.args_sizes_get(0, END - 2), E.FAULT);
  assert.equal(w.args_get(0xfffffff0, 0), E.FAULT);
  assert.equal(w.args_get(0, END - 3), E.FAULT);
  assert.equal(w.environ_sizes_get(-1, 0), E.FAULT);
  assert.equal(w.environ_get(0, -4), E.FAULT);
  assert.equal(w.args_sizes_get(0, 4), E.SUCCESS);
});

test('clock and random calls validate pointers and ids', async () => {
  const { w } = await kernel();
  assert.equal(w.clock_res_get(1, END - 4), E.FAULT);
  assert.equal(w.clock_res_get(99, 0), E.INVAL);
  assert.equal(w.clock_time_get(1, 0n, END - 7), E.FAULT);
  assert.equal(w.clock_time_get(7, 0n, 0), E.INVAL);
  assert.equal(w.clock_time_get(0, 0n, 0), E.SUCCESS);
  assert.equal(w.random_get(END - 10, 11), E.FAULT);
  assert.equal(w.random_get(-1, 1), E.FAULT);
  assert.equal(w.random_get(0, 0x7fffffff), E.FAULT);
  assert.equal(w.random_get(100, 1000), E.SUCCESS);
});

test('fd_write/fd_read validate iovec arrays, buffers and result pointers', async () => {
  const { w, mem } = await kernel();
  assert.equal(w.fd_write(1, END - 4, 1, 100), E.FAULT, 'iovec array out of bounds');
  mem.setUint32(0, 70000, true); mem.setUint32(4, 1, true);
  assert.equal(w.fd_write(1, 0, 1, 100), E.FAULT, 'buffer out of bounds');
  mem.setUint32(0, END - 1, true); mem.setUint32(4, 2, true);
  assert.equal(w.fd_write(1, 0, 1, 100), E.FAULT, 'buffer straddles the end');
  assert.equal(w.fd_write(1, 0, 0x7fffffff, 100), E.FAULT, 'huge iovec count');
  mem.setUint32(0, 16, true); mem.setUint32(4, 0, true);
  assert.equal(w.fd_write(1, 0, 1, END - 2), E.FAULT, 'nwritten out of bounds');
  assert.equal(w.fd_write(1, 0, 1, 100), E.SUCCESS, 'zero-length write');
  assert.equal(w.fd_write(99, 0, 1, 100), E.BADF);
  assert.equal(w.fd_read(0, END - 4, 1, 100), E.FAULT);
  assert.equal(w.fd_read(0, 0, 0x40000000, 100), E.FAULT);
  assert.equal(w.fd_read(0, 0, 1, -1), E.FAULT);
  assert.equal(w.fd_read(1234, 0, 1, 100), E.BADF);
});

test('fd_* calls on stdio validate pointers and report EBADF/ESPIPE', async () => {
  const { w } = await kernel();
  assert.equal(w.fd_fdstat_get(1, END - 8), E.FAULT);
  assert.equal(w.fd_fdstat_get(99, 0), E.BADF);
  assert.equal(w.fd_fdstat_get(-1, 0), E.BADF);
  assert.equal(w.fd_fdstat_get(1, 0), E.SUCCESS);
  assert.equal(w.fd_fdstat_set_flags(99, 0), E.BADF);
  assert.equal(w.fd_fdstat_set_flags(1, 0xffff), E.INVAL);
  assert.equal(w.fd_seek(1, 0n, 0, END - 4), E.FAULT);
  assert.equal(w.fd_seek(1, 0n, 0, 0), E.SPIPE);
  assert.equal(w.fd_seek(77, 0n, 0, 0), E.BADF);
  assert.equal(w.fd_prestat_get(3, END), E.FAULT);
  assert.equal(w.fd_prestat_get(3, 0), E.BADF, 'no preopens: EBADF ends the scan');
  assert.equal(w.fd_prestat_dir_name(3, 0, 10), E.BADF);
  assert.equal(w.fd_close(99), E.BADF);
});

test('poll_oneoff validates its arrays and the subscription count', async () => {
  const { w } = await kernel();
  assert.equal(w.poll_oneoff(0, 1000, 0, 2000), E.INVAL, 'no subscriptions');
  assert.equal(w.poll_oneoff(END - 40, 1000, 1, 2000), E.FAULT, 'subscriptions out of bounds');
  assert.equal(w.poll_oneoff(0, END - 16, 1, 2000), E.FAULT, 'events out of bounds');
  assert.equal(w.poll_oneoff(0, 1000, 1, END - 1), E.FAULT, 'nevents out of bounds');
  assert.equal(w.poll_oneoff(0, 1000, 0x7fffffff, 2000), E.FAULT, 'huge count');
  assert.equal(w.proc_raise(999), E.INVAL);
});

test('bad pointers from a spawned thread return EFAULT without crashing the worker', async () => {
  const src = `(module
    (import "env" "memory" (memory 1 1 shared))
    (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (func (export "wasi_thread_start") (param i32 i32)
      (if (i32.ne (call $write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 0)) (i32.const 21)) (then (call $exit (i32.const 1))))
      (if (i32.ne (call $clock (i32.const 1) (i64.const 0) (i32.const -8)) (i32.const 21)) (then (call $exit (i32.const 2))))
      (if (i32.ne (call $random (i32.const 65000) (i32.const 1000)) (i32.const 21)) (then (call $exit (i32.const 3))))
      (if (i32.ne (call $poll (i32.const 65520) (i32.const 0) (i32.const 1) (i32.const 0)) (i32.const 21)) (then (call $exit (i32.const 4))))
      (call $exit (i32.const 42)))
    (func (export "_start")
      (drop (call $spawn (i32.const 0)))
      (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))`;
  const r = await weft(['run', await watFile(src, 'badptr-thread')]);
  assert.equal(r.code, 42, r.stderr);
});
