// --trace (strace -f -tt -T like lines), --trace-summary (strace -c) and trap reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { watFile } from './helpers/wat.mjs';
import { weft } from './helpers/run.mjs';
import { ensureFixtures, fixture } from './helpers/fixtures.mjs';
import { catWat } from './fixtures/wat-cat.mjs';
import { SYSCALL_ARGS, PAIR_KINDS } from '../dist/abi/syscall-args.js';
import { SYSCALL_SPEC } from '../dist/abi/syscalls.js';

const W = '"wasi_snapshot_preview1"';
const threadsWasm = fileURLToPath(new URL('../examples/threads.wasm', import.meta.url));
/** `[pid P tid T] SECONDS text`. */
const LINE = /^\[pid (\d+)(?: tid (\d+))?\] (\d+\.\d{6}) (.*)$/;

function lines(text) {
  return text.split('\n').filter((l) => l.startsWith('[pid '));
}

/** A program that opens a missing file, writes to a bad fd and to stdout, then exits 3. */
const fileCalls = `(module
  (import ${W} "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import ${W} "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import ${W} "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "missing.txt")
  (data (i32.const 200) "hello")
  (func (export "_start")
    (drop (call $open (i32.const 3) (i32.const 1) (i32.const 100) (i32.const 11) (i32.const 2) (i64.const 66) (i64.const 0) (i32.const 1) (i32.const 40)))
    (i32.store (i32.const 0) (i32.const 200)) (i32.store (i32.const 4) (i32.const 5))
    (drop (call $w (i32.const 99) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 3))))`;

/** Writes to a bad fd, then traps in a named function (abort() after a failed write). */
const crashAfterWrite = `(module
  (import ${W} "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $report_and_abort (param $fd i32)
    (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 1))
    (if (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)) (then unreachable)))
  (func $main (call $report_and_abort (i32.const 77)))
  (func (export "_start") (call $main)))`;

test('every argument-kind row covers exactly its syscall\'s witx parameters', () => {
  const all = { ...SYSCALL_SPEC.wasix_32v1, ...SYSCALL_SPEC.wasi };
  for (const [name, kinds] of Object.entries(SYSCALL_ARGS)) {
    const sig = all[name];
    assert.ok(sig, `${name} is a syscall`);
    const width = kinds.reduce((n, k) => n + (PAIR_KINDS.has(k) ? 2 : 1), 0);
    assert.equal(width, sig.params.length, name);
  }
});

test('--trace: pid, tid, relative time, path text, flags and rights by name, fds with paths, errno names, durations', async () => {
  const file = await watFile(fileCalls, 'trace-files');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-trace-'));
  const r = await weft(['run', '--trace', '--dir', `${dir}::/sandbox`, file]);
  fs.rmSync(dir, { recursive: true });
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, 'hellohello');
  const ls = lines(r.stderr);
  for (const l of ls) assert.match(l, LINE);
  const calls = ls.map((l) => LINE.exec(l)[4]);
  assert.ok(calls.some((c) => c.startsWith(
    'path_open(3</sandbox>, SYMLINK_FOLLOW, "missing.txt", DIRECTORY, FD_READ|FD_WRITE, 0, APPEND, 0x28) = 44 ENOENT <')), calls.join('\n'));
  assert.ok(calls.some((c) => /^fd_write\(99, \[5\], 0x8\) = 8 EBADF <\d\.\d{6}>$/.test(c)), calls.join('\n'));
  assert.equal(calls.filter((c) => /^fd_write\(1, \[5\], \[5\]\) = 0 <\d\.\d{6}>$/.test(c)).length, 2, calls.join('\n'));
  assert.match(calls.at(-2), /^proc_exit\(3\) = \?$/);
  assert.equal(calls.at(-1), '+++ exited with 3 +++');
  assert.match(ls.at(-1), /^\[pid 1\] /);
  // Times only go forward.
  const times = ls.map((l) => Number(LINE.exec(l)[3]));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
});

test('--trace: a read of stdin from a pipe shows as <unfinished ...> then <... resumed> with its byte count', async () => {
  const file = await watFile(catWat(), 'trace-cat');
  const r = await weft(['run', '--trace', file], { stdin: 'hello' });
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, 'hello');
  const calls = lines(r.stderr).map((l) => LINE.exec(l)[4]);
  const start = calls.indexOf('fd_read(0, [4096], ...) <unfinished ...>');
  assert.ok(start >= 0, calls.join('\n'));
  assert.match(calls[start + 1], /^<\.\.\. fd_read resumed> \[5\]\) = 0 <\d\.\d{6}>$/);
  // End of input: the second read returns 0 bytes.
  assert.match(calls.slice(start + 2).join('\n'), /<\.\.\. fd_read resumed> \[0\]\) = 0/);
});

test('--trace: thread start and exit lines from every thread, in time order, then the process exit', async () => {
  const r = await weft(['run', '--trace', threadsWasm, '3', '20000']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /counted by 3 threads/);
  const ls = lines(r.stderr);
  const parsed = ls.map((l) => LINE.exec(l));
  assert.ok(parsed.every(Boolean), ls.join('\n'));
  const spawned = parsed.filter((m) => /^thread-spawn\(0x[0-9a-f]+\) = \d+ </.test(m[4])).map((m) => Number(/= (\d+)/.exec(m[4])[1]));
  assert.equal(spawned.length, 3, ls.join('\n'));
  for (const tid of spawned) {
    const started = parsed.findIndex((m) => m[2] === String(tid) && m[4].startsWith(`+++ thread started: wasi_thread_start(${tid}, 0x`));
    const exited = parsed.findIndex((m) => m[2] === String(tid) && m[4] === '+++ thread exited +++');
    assert.ok(started >= 0 && exited > started, `tid ${tid}:\n${ls.join('\n')}`);
  }
  assert.equal(parsed.at(-1)[4], '+++ exited with 0 +++');
  const times = parsed.map((m) => Number(m[3]));
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'one sink, lines in time order');
});

test('--trace-summary: strace -c table with calls, errors and times per syscall; =threads: one per thread', async () => {
  const file = await watFile(fileCalls, 'trace-files');
  const r = await weft(['run', '--trace-summary', file]);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(lines(r.stderr).length, 0, 'no per-call lines without --trace');
  const text = r.stderr;
  assert.match(text, /^% time {5}seconds {2}usecs\/call {5}calls {4}errors syscall$/m);
  const row = (name) => new RegExp(`^ *[\\d.]+ +[\\d.]+ +\\d+ +(\\d+) +(\\d*) ${name}$`, 'm').exec(text);
  assert.deepEqual(row('fd_write').slice(1), ['3', '1'], text);
  assert.deepEqual(row('path_open').slice(1), ['1', '1'], text);
  assert.deepEqual(row('proc_exit').slice(1), ['1', ''], text);
  assert.match(text, /^100\.00 +[\d.]+ +5 +2 total$/m);

  const t = await weft(['run', '--trace-summary=threads', threadsWasm, '2', '20000']);
  assert.equal(t.code, 0, t.stderr);
  const headers = [...t.stderr.matchAll(/^pid 1 tid (\d+):$/gm)].map((m) => Number(m[1])).sort();
  // Threads that made no syscall have no table: the main thread's and the first printer's at least.
  assert.equal(headers[0], 1, t.stderr);
  assert.ok(headers.length >= 2 && headers.every((h) => h <= 3), t.stderr);
  const main = t.stderr.slice(t.stderr.indexOf('pid 1 tid 1:'), t.stderr.indexOf('pid 1 tid ', t.stderr.indexOf('pid 1 tid 1:') + 1));
  assert.match(main, /^ *[\d.]+ +[\d.]+ +\d+ +2 +thread-spawn$/m);
  const bad = await weft(['run', '--trace-summary=bogus', file]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--trace-summary takes no value or 'threads'/);
});

test('a trap names the function from the name section and the last failed syscall; exit 134', async () => {
  const file = await watFile(crashAfterWrite, 'trace-crash', { names: true });
  for (const args of [['run', file], ['run', '--trace', file]]) {
    const r = await weft(args);
    assert.equal(r.code, 134, r.stderr);
    assert.match(r.stderr, /^weft: thread 1 trap: unreachable in report_and_abort\(\) after fd_write returned EBADF$/m, r.stderr);
    assert.match(r.stderr, /^ {4}#0 report_and_abort \(wasm-function\[1\]:0x[0-9a-f]+\)\n {4}#1 main \(wasm-function\[2\]:0x[0-9a-f]+\)\n {4}#2 \?/m, r.stderr);
  }
  // Without a name section: the function index.
  const bare = await weft(['run', await watFile(crashAfterWrite, 'trace-crash')]);
  assert.equal(bare.code, 134);
  assert.match(bare.stderr, /trap: unreachable in wasm-function\[1\] after fd_write returned EBADF/);
});

test('--profile FILE.json: Chrome trace events, a named track per thread, syscalls and waits as slices', async () => {
  await ensureFixtures('wasix');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-profile-'));
  const out = path.join(dir, 'p.json');
  const r = await weft(['run', '--profile', out, fixture('wasix', 'join')]);
  assert.equal(r.code, 0, r.stderr);
  const events = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(dir, { recursive: true });
  const named = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.tid).sort();
  const slices = events.filter((e) => e.ph === 'X');
  const tids = [...new Set(slices.map((e) => e.tid))].sort();
  assert.ok(tids.length >= 3, `main and two threads made calls: ${tids}`);
  for (const tid of tids) assert.ok(named.includes(tid), `track ${tid} is named`);
  assert.ok(events.some((e) => e.ph === 'M' && e.name === 'process_name' && e.pid === 1 && /join/.test(e.args.name)));
  for (const e of slices) {
    assert.equal(e.pid, 1);
    assert.ok(e.ts >= 0 && e.dur >= 0 && typeof e.name === 'string', JSON.stringify(e));
  }
  const sleeps = slices.filter((e) => e.name === 'thread_sleep');
  assert.ok(sleeps.length > 0 && sleeps.every((e) => e.cat === 'wait'));
  const sleep = sleeps.reduce((a, b) => (b.dur > a.dur ? b : a));
  assert.ok(sleep.dur >= 50_000, `thread_sleep(100ms) lasts ~100 ms: ${sleep.dur} us`);
  assert.ok(slices.some((e) => e.name === 'thread_join' && e.cat === 'wait'));
  assert.ok(slices.some((e) => e.name === 'fd_write' && e.cat === 'syscall' && e.args.result === '0'));
});

test('--trace across a process tree: spawned, exec\'d and forked processes have their own pid, start and exit lines', async () => {
  await ensureFixtures('wasix', 'wasix-async');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-trace-tree-'));
  try {
    for (const [route, name] of [['wasix', 'spawn'], ['wasix-async', 'fork']]) fs.copyFileSync(fixture(route, name), path.join(dir, `${name}.wasm`));
    const log = path.join(dir, 'spawn.log');
    const r = await weft(['run', `--trace=${log}`, '--dir', `${dir}::/sandbox`, path.join(dir, 'spawn.wasm'), 'main', '/sandbox/spawn.wasm', '/sandbox']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const text = fs.readFileSync(log, 'utf8');
    // posix_spawn of `spawn.wasm exit 7`: a new pid starts, exits 7, and the parent's waitpid resumes.
    const child = /^\[pid (\d+) tid 1\] [\d.]+ \+\+\+ process started: \["\/sandbox\/spawn\.wasm","exit","7"\] \+\+\+$/m.exec(text);
    assert.ok(child && child[1] !== '1', text.slice(0, 4000));
    assert.match(text, new RegExp(`^\\[pid ${child[1]}\\] [\\d.]+ \\+\\+\\+ exited with 7 \\+\\+\\+$`, 'm'));
    assert.match(text, /^\[pid 1 tid 1\] [\d.]+ proc_join\(.*<unfinished \.\.\.>$/m);
    assert.match(text, /^\[pid 1 tid 1\] [\d.]+ <\.\.\. proc_join resumed>.* = 0 </m);
    // exec: the same pid starts the new program.
    const exec = /^\[pid (\d+) tid 1\] [\d.]+ proc_exec3\(.* = \? \+\+\+ replaced by the new program <[\d.]+>\n\[pid (\d+) tid 1\] [\d.]+ \+\+\+ process started: /m.exec(text);
    assert.ok(exec && exec[1] === exec[2], 'exec line then the same pid starting');

    const flog = path.join(dir, 'fork.log');
    const f = await weft(['run', `--trace=${flog}`, '--dir', `${dir}::/sandbox`, path.join(dir, 'fork.wasm'), 'main', '/sandbox/fork.wasm']);
    assert.equal(f.code, 0, f.stdout + f.stderr);
    const ftext = fs.readFileSync(flog, 'utf8');
    // (whole lines of the unwinding pass, [-1], dropped: the next line keeps its start-of-line anchor)
    const forked = /^\[pid 1 tid 1\] [\d.]+ proc_fork\(1, \[(\d+)\]\) = 0 </m.exec(ftext.replace(/^.*proc_fork\(1, \[4294967295\]\).*\n/gm, ''));
    assert.ok(forked, ftext.slice(0, 3000));
    assert.match(ftext, new RegExp(`^\\[pid ${forked[1]} tid 1\\] [\\d.]+ \\+\\+\\+ process started \\(forked\\): `, 'm'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
