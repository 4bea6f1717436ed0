// Imports beyond the syscalls: unknown ones fail the run before _start, naming every module.field (exit 2
// on the CLI, UnknownImportsError from run()); --allow-unknown-imports / allowUnknownImports make them
// trap with their name when called; WASI/WASIX names weft does not implement are ENOSYS in the result type
// the module declares (i64 too); run()'s `imports` provide functions, called on the calling thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, UnknownImportsError } from '../dist/index.js';
import { wat2wasm, watFile } from './helpers/wat.mjs';
import { weft } from './helpers/run.mjs';

const W = '"wasi_snapshot_preview1"';

/** A module that writes "started\n", then exits with `body`'s i32 value. */
const program = (imports, body) => `(module
  (import ${W} "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import ${W} "proc_exit" (func $exit (param i32)))
  ${imports}
  (memory (export "memory") 1)
  (data (i32.const 32) "started\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 32)) (i32.store (i32.const 4) (i32.const 8))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit ${body})))`;

const unknownFns = program(`
  (import "env" "get_answer" (func $answer (result i32)))
  (import "bogus_module" "f" (func $f (param i32)))
  (import "env" "get_big" (func $big (result i64)))`, '(call $answer)');

const callsBig = program('(import "env" "get_big" (func $big (result i64)))', '(i32.wrap_i64 (call $big))');

test('unknown function imports: one line naming every module.field before _start, exit 2', async () => {
  const r = await weft(['run', await watFile(unknownFns, 'unknown-fns')]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '', '_start never ran');
  assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  assert.match(r.stderr, /^weft: .*unknown-fns-\w+\.wasm: unknown imports: env\.get_answer, bogus_module\.f, env\.get_big \(/);
  assert.match(r.stderr, /--allow-unknown-imports/);
  // A name in a namespace weft serves that no spec has is unknown too.
  const p1 = await weft(['run', await watFile(program(`(import ${W} "fd_fancy_new_call" (func $x (result i32)))`, '(call $x)'), 'p1-unknown')]);
  assert.equal(p1.code, 2);
  assert.match(p1.stderr, /unknown import: wasi_snapshot_preview1\.fd_fancy_new_call \(/);
});

test('--allow-unknown-imports: they trap with their name when called (i64 ones too), not before', async () => {
  const r = await weft(['run', '--allow-unknown-imports', await watFile(unknownFns, 'unknown-fns')]);
  assert.equal(r.code, 134, r.stderr);
  assert.equal(r.stdout, 'started\n');
  assert.match(r.stderr, /thread 1 trap: unknown import env\.get_answer was called/);
  const big = await weft(['run', '--allow-unknown-imports', await watFile(callsBig, 'calls-big')]);
  assert.equal(big.code, 134, big.stderr);
  assert.match(big.stderr, /trap: unknown import env\.get_big was called/);
  assert.doesNotMatch(big.stderr, /BigInt/);
  // Imported but never called: the program runs to its end.
  const unused = await weft(['run', '--allow-unknown-imports', await watFile(program('(import "env" "unused" (func (result i64)))', '(i32.const 5)'), 'unused')]);
  assert.deepEqual([unused.code, unused.stdout], [5, 'started\n']);
});

test('an unknown global or table import is named even with --allow-unknown-imports (only functions can trap)', async () => {
  const file = await watFile(program('(import "env" "g" (global i32)) (import "env" "h" (func))', '(i32.const 0)'), 'unknown-global');
  for (const extra of [[], ['--allow-unknown-imports']]) {
    const r = await weft(['run', ...extra, file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unknown imports: env\.g \(global\), env\.h \(/);
  }
});

test('WASI/WASIX names weft does not implement are ENOSYS in the declared result type, logged under WEFT_LOG=debug', async () => {
  // context_create (i32 errno) and context_switch declared here with an i64 result: 52 each way.
  const src = `(module
    (import "wasix_32v1" "context_create" (func $cc (param i32 i32) (result i32)))
    (import "wasix_32v1" "context_switch" (func $cs (param i64) (result i64)))
    (import "wasix_32v1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (call $exit (i32.add (call $cc (i32.const 0) (i32.const 0)) (i32.wrap_i64 (call $cs (i64.const 1)))))))`;
  const file = await watFile(src, 'wasix-enosys');
  const r = await weft(['run', file]);
  assert.equal(r.code, 104, r.stderr); // 52 + 52
  assert.equal(r.stderr, '');
  const logged = await weft(['run', file], { env: { WEFT_LOG: 'debug' } });
  assert.equal(logged.code, 104);
  assert.match(logged.stderr, /wasix_32v1\.context_create is not implemented \(ENOSYS\)/);
  assert.match(logged.stderr, /wasix_32v1\.context_switch is not implemented \(ENOSYS\)/);
});

test('run(): UnknownImportsError with a code and the list; allowUnknownImports runs until one is called', async () => {
  const bytes = await wat2wasm(unknownFns, 'unknown-fns');
  await assert.rejects(run(bytes, { stdout: 'ignore' }), (e) => {
    assert.ok(e instanceof UnknownImportsError);
    assert.equal(e.code, 'ERR_WEFT_UNKNOWN_IMPORTS');
    assert.deepEqual(e.imports, ['env.get_answer', 'bogus_module.f', 'env.get_big']);
    return true;
  });
  const r = await run(bytes, { allowUnknownImports: true, stdout: 'capture', stderr: 'ignore' });
  assert.equal(r.exitCode, 134);
  assert.equal(Buffer.from(r.stdout).toString(), 'started\n');
});

test('run({ imports }): user functions count as provided; i64 as BigInt, async ones awaited, throws trap', async () => {
  const src = program(`
    (import "env" "get_answer" (func $answer (result i32)))
    (import "env" "get_big" (func $big (param i64) (result i64)))
    (import "env" "later" (func $later (param i32) (result i32)))`,
  '(i32.add (call $answer) (i32.add (i32.wrap_i64 (call $big (i64.const 4294967296))) (call $later (i32.const 3))))');
  const bytes = await wat2wasm(src, 'user-imports');
  const seen = [];
  const r = await run(bytes, {
    stdout: 'capture',
    imports: {
      env: {
        get_answer: () => 40,
        get_big: (x) => (seen.push(x), x + 1n),
        later: async (x) => new Promise((res) => setTimeout(() => res(x * 10), 20)),
      },
    },
  });
  assert.equal(r.exitCode, 40 + 1 + 30, Buffer.from(r.stderr ?? []).toString());
  assert.deepEqual(seen, [4294967296n]);
  assert.equal(Buffer.from(r.stdout).toString(), 'started\n');
  const threw = await run(bytes, {
    stdout: 'ignore', stderr: 'ignore',
    imports: { env: { get_answer: () => { throw new Error('no answer'); }, get_big: (x) => x, later: (x) => x } },
  });
  assert.equal(threw.exitCode, 134);
  // Some provided, some not: only the missing one is named.
  await assert.rejects(run(bytes, { imports: { env: { get_answer: () => 1 } } }), /unknown imports: env\.get_big, env\.later \(/);
});

test('run({ imports }): a syscall cannot be replaced, only functions are accepted', async () => {
  const bytes = await wat2wasm(program('', '(i32.const 0)'), 'plain');
  await assert.rejects(run(bytes, { imports: { wasi_snapshot_preview1: { fd_write: () => 0 } } }),
    (e) => e instanceof TypeError && /weft serves the 'wasi_snapshot_preview1' namespace/.test(e.message));
  await assert.rejects(run(bytes, { imports: { wasix_32v1: { anything: () => 0 } } }), TypeError);
  await assert.rejects(run(bytes, { imports: { env: { n: 42 } } }), /imports\.env\.n must be a function/);
});

test('run({ imports }) from worker threads of a threaded program, with `this.memory` its shared memory', async () => {
  // The main thread spawns a thread that calls env.report(ptr) with a pointer to "hi"; the import reads it
  // through this.memory, and its result ends the process (as the thread's proc_exit code).
  const src = `(module
    (import "env" "memory" (memory 1 1 shared))
    (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
    (import ${W} "proc_exit" (func $exit (param i32)))
    (import "env" "report" (func $report (param i32) (result i32)))
    (data (i32.const 64) "hi")
    (func (export "wasi_thread_start") (param i32 i32) (call $exit (call $report (i32.const 64))))
    (func (export "_start")
      (drop (call $spawn (i32.const 0)))
      (loop $forever (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (br $forever))))`;
  const bytes = await wat2wasm(src, 'import-from-thread');
  let text;
  const r = await run(bytes, {
    imports: {
      env: {
        report(ptr) {
          text = Buffer.from(new Uint8Array(this.memory.buffer, ptr, 2)).toString();
          return 17;
        },
      },
    },
  });
  assert.equal(text, 'hi');
  assert.deepEqual(r, { exitCode: 17 });
});
