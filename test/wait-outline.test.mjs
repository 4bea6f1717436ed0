// abi/wait-outline.ts: every atomic wait moved into a function of its own, so that Node 20's Liftoff
// (which miscompiles code around a wait) compiles the module right. This test process keeps Liftoff on
// (nothing here turns it off), so the cases below run Liftoff code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { outlineWaits } from '../dist/abi/wait-outline.js';
import { wat2wasm } from './helpers/wat.mjs';

const pre = `(import "e" "f" (func $f (param i32) (result i32))) (import "e" "g" (func $g (param i64)))
  (import "e" "m" (memory 1 1 shared))`;

/** Runs export `t` of the module (outlined or not) and returns what it passed to `g`. */
function runT(bytes) {
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  new Int32Array(mem.buffer)[0] = 1;
  const got = [];
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { f: () => 43, g: (v) => got.push(v), m: mem } });
  inst.exports.t();
  return got;
}

// A call result kept in a local across a wait (the miscompiled shape), waits with memarg offsets, both
// widths, each outcome: 1 not-equal, 2 timed out.
const body = `(local $x i32)
  (local.set $x (call $f (i32.const 7)))
  (call $g (i64.extend_i32_u (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
  (call $g (i64.extend_i32_u (local.get $x)))
  (call $g (i64.extend_i32_u (memory.atomic.wait32 offset=8 (i32.const 0) (i32.const 0) (i64.const 1000))))
  (call $g (i64.extend_i32_u (memory.atomic.wait64 offset=16 (i32.const 0) (i64.const 5) (i64.const -1))))
  (call $g (i64.extend_i32_u (memory.atomic.wait64 (i32.const 24) (i64.const 0) (i64.const 1))))
  (call $g (i64.extend_i32_u (local.get $x)))`;

test('outlined waits keep a local across the wait and keep every wait\'s offset and result', async () => {
  const b = await wat2wasm(`(module ${pre} (func (export "t") ${body}))`);
  const o = outlineWaits(b);
  assert.ok(o && o !== b, 'rewritten');
  assert.ok(WebAssembly.validate(o));
  // not-equal, the local, timed out (offset 8 holds 0), not-equal (offset 16 holds 0, expected 5), timed out
  assert.deepEqual(runT(o), [1n, 43n, 2n, 1n, 2n, 43n]);
});

test('the same module not outlined is what Node 20\'s Liftoff gets wrong (the reason for the rewrite)', async (t) => {
  const [major, minor] = process.versions.v8.split('.').map(Number);
  if (!(major < 12 || (major === 12 && minor < 4))) return t.skip('this V8 has no Liftoff wait bug');
  const b = await wat2wasm(`(module ${pre} (func (export "t") ${body}))`);
  assert.notDeepEqual(runT(b), [1n, 43n, 2n, 1n, 2n, 43n]);
});

test('a module keeps its functions\' indices: exports, tables and calls still reach the same code', async () => {
  const b = await wat2wasm(`(module ${pre}
    (table 2 funcref) (elem (i32.const 0) $a $b) (type $v (func (result i32)))
    (func $a (result i32) (i32.const 11))
    (func $b (result i32) (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0))) (i32.const 22))
    (func (export "t") (call $g (i64.extend_i32_u (call_indirect (type $v) (i32.const 1))))
      (call $g (i64.extend_i32_u (call $a))) (call $g (i64.extend_i32_u (call_indirect (type $v) (i32.const 0))))))`);
  const o = outlineWaits(b);
  assert.notEqual(o, b);
  assert.deepEqual(runT(o), [22n, 11n, 11n]);
  assert.deepEqual(WebAssembly.Module.exports(new WebAssembly.Module(o)), WebAssembly.Module.exports(new WebAssembly.Module(b)));
});

test('a module without waits comes back as it is; one this reader cannot rewrite, undefined', async () => {
  const plain = await wat2wasm(`(module ${pre} (func (export "t") (call $g (i64.const 1))))`);
  assert.equal(outlineWaits(plain), plain);
  // a function with a wait and an instruction the walker does not know (a made-up 0xfe sub-opcode)
  const b = await wat2wasm(`(module ${pre} (func (export "t")
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))))`);
  const at = b.findIndex((_, i) => b[i] === 0xfe && b[i + 1] === 0x01);
  const broken = b.slice();
  broken[at + 1] = 0x7f;
  assert.notEqual(outlineWaits(b), undefined);
  assert.equal(outlineWaits(broken), undefined);
});

test('every C fixture with waits (wasi-threads, WASIX, asyncified, dash) is outlined into a valid module', () => {
  const dir = new URL('../.cache/fixtures/', import.meta.url);
  const files = ['threads/smoke.wasm', 'wasix/futex.wasm', 'wasix-async/fork.wasm', 'dash/sh.wasm'].map((f) => new URL(f, dir));
  const present = files.filter((f) => fs.existsSync(f));
  assert.ok(present.length > 0, 'fixtures are built');
  for (const f of present) {
    const b = new Uint8Array(fs.readFileSync(f));
    const o = outlineWaits(b);
    assert.ok(o && o !== b && WebAssembly.validate(o), f.pathname);
  }
});
