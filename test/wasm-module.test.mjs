// Binary inspection: the memory import (module/name/limits/shared) and whether active data segments
// exist (which decides if pooled workers may instantiate ahead of a spawn).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionSignatures, scanBinary } from '../dist/abi/wasm-module.js';
import { wat2wasm } from './helpers/wat.mjs';

test('memory import: module, name, limits and shared flag come from the binary', async () => {
  const b = await wat2wasm('(module (import "foo" "bar" (memory 2 7 shared)))');
  assert.deepEqual(scanBinary(b).memoryImport, { module: 'foo', name: 'bar', initial: 2, maximum: 7, shared: true });
});

test('several passive data segments are not active data (as in every --shared-memory C binary)', async () => {
  const b = await wat2wasm(`(module (import "env" "memory" (memory 1 1 shared))
    (data "first passive segment, long enough to matter") (data "second") (data "third one"))`);
  assert.equal(scanBinary(b).hasActiveData, false);
});

test('an active segment after passive ones is found', async () => {
  const b = await wat2wasm(`(module (import "env" "memory" (memory 1 1 shared))
    (data "passive 1") (data "passive 2") (data (i32.const 16) "active"))`);
  assert.equal(scanBinary(b).hasActiveData, true);
});

test('function signatures of imports (in order) and exports come from the binary', async () => {
  const b = await wat2wasm(`(module
    (type $t (func (param i32 i64) (result i64)))
    (import "env" "get_answer" (func (type $t)))
    (import "env" "g" (global i32))
    (import "env" "t" (table 1 funcref))
    (import "m" "f" (func (param f32 f64 externref) (result f32 f64)))
    (memory (export "memory") 1)
    (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (export "reexported" (func 0))
    (export "g2" (global 0)))`);
  assert.deepEqual(functionSignatures(b), {
    imports: [
      { module: 'env', name: 'get_answer', type: { params: ['i32', 'i64'], results: ['i64'] } },
      { module: 'm', name: 'f', type: { params: ['f32', 'f64', 'ref'], results: ['f32', 'f64'] } },
    ],
    exports: {
      add: { params: ['i32', 'i32'], results: ['i32'] },
      reexported: { params: ['i32', 'i64'], results: ['i64'] },
    },
  });
});
