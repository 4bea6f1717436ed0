// Binary inspection: the memory import (module/name/limits/shared) and whether active data segments
// exist (which decides if pooled workers may instantiate ahead of a spawn).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanBinary } from '../dist/abi/wasm-module.js';
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
