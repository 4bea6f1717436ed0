// The command line: options (help built from the option table), argv[0], reactors, and single-threaded
// preview1 programs run on the CLI's own thread (exit codes, traps, stdin from files and pipes, signals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OPTIONS } from '../dist/cli/args.js';
import { watFile } from './helpers/wat.mjs';
import { cli, weft } from './helpers/run.mjs';
import { catWat } from './fixtures/wat-cat.mjs';

const W = '"wasi_snapshot_preview1"';

// Writes its argv, NUL-separated, to stdout.
const printArgs = `(module
  (import ${W} "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import ${W} "args_get" (func $get (param i32 i32) (result i32)))
  (import ${W} "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 1024) (i32.const 4096)))
    (i32.store (i32.const 16) (i32.const 4096)) (i32.store (i32.const 20) (i32.load (i32.const 4)))
    (drop (call $w (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))`;

// Copies stdin to stdout until end of input, then exits 7.
const cat = catWat();

const reactor = `(module
  (memory (export "memory") 1)
  (func (export "_initialize"))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`;

const trap = `(module
  (import ${W} "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "before\\n")
  (func $boom (unreachable))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 32)) (i32.store (i32.const 4) (i32.const 7))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $boom)))`;

const returns = `(module (memory (export "memory") 1) (func (export "_start")))`;

// Writes its environment, NUL-separated, to stdout.
const printEnv = printArgs.replace('"args_sizes_get"', '"environ_sizes_get"').replace('"args_get"', '"environ_get"');

test('weft run --help lists every option of the option table', async () => {
  const r = await weft(['run', '--help']);
  assert.equal(r.code, 0);
  for (const o of OPTIONS) for (const n of o.names) assert.match(r.stdout, new RegExp(`(^|[ ,])${n}\\b`, 'm'), `${n} missing from help`);
  assert.ok(OPTIONS.some((o) => o.names.includes('--argv0')));
  const top = await weft(['--help']);
  assert.equal(top.code, 0);
  assert.equal(top.stdout, r.stdout);
  // README's CLI section shows the same text.
  const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes('```\n' + r.stdout.trimEnd() + '\n```'), "README's CLI usage block is `weft --help`'s output");
});

test('usage errors are one line naming the flag, ending with the --help hint, exit 2', async () => {
  const file = await watFile(returns, 'returns');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cli-'));
  const aFile = path.join(dir, 'f.txt');
  fs.writeFileSync(aFile, 'x');
  const cases = [
    [['run', '--no-such-option', file], /^weft: unknown option '--no-such-option'; try 'weft run --help'$/],
    [['--no-such-option=3', file], /^weft: unknown option '--no-such-option'; try 'weft run --help'$/],
    [['run', '--max-threads'], /^weft: --max-threads needs a value \(N\); try/],
    [['run', '--max-threads', 'lots', file], /^weft: --max-threads expects a positive integer, got 'lots'; try/],
    [['run', '--net=yes', file], /^weft: --net takes no value; try/],
    [['run', '--net-allow', 'garbage', file], /^weft: --net-allow: expected HOST:PORT, got 'garbage'; try/],
    [['run', '--net-allow', '127.0.0.1:80,bogus.example:80', file], /^weft: --net-allow: 'bogus\.example' is not an IP address/],
    [['run', '--net-allow', '127.0.0.1:99999', file], /^weft: --net-allow: '99999' is not a port/],
    [['run', '--tcp-listen', '127.0.0.1:notaport', file], /^weft: --tcp-listen: 'notaport' is not a port \(0-65535\) in '127\.0\.0\.1:notaport'; try/],
    [['run', '--tcp-listen', 'host:80', file], /^weft: --tcp-listen: 'host' is not an IP address or localhost/],
    [['run', '--dir', path.join(dir, 'nonexistent'), file], /^weft: --dir .*nonexistent: no such directory; try 'weft run --help'$/],
    [['run', '--dir-ro', aFile, file], /^weft: --dir-ro .*f\.txt: not a directory; try/],
    [['run', '--env', '=x', file], /^weft: --env expects NAME or NAME=VAL, got '=x'; try/],
    [['run', '--invoke'], /^weft: --invoke needs a value \(FUNC\); try/],
    [['run'], /^weft: no program given; try 'weft run --help'$/],
    [['run', '--dir', dir], /^weft: no program given; try/],
    [[path.join(dir, 'missing.wasm')], /^weft: .*missing\.wasm: no such file; try/],
    [['compile', 'x.wasm'], /^weft: compile: no such file; try/],
  ];
  for (const [args, re] of cases) {
    const r = await weft(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').length, 2, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trimEnd(), re, args.join(' '));
  }
  fs.rmSync(dir, { recursive: true });
});

test('weft --version and -V print the package version', async () => {
  const { version } = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  for (const flag of ['--version', '-V']) {
    const r = await weft([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `weft ${version}\n`);
  }
  assert.equal((await weft(['run', '--version'])).stdout, `weft ${version}\n`);
});

test("'weft prog.wasm args' is 'weft run prog.wasm args'; options may come without 'run' too", async () => {
  const file = await watFile(printArgs, 'print-args');
  const r = await weft([file, 'a b', '--dir', 'c']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\0'), [path.basename(file), 'a b', '--dir', 'c', '']);
  const named = await weft(['--argv0', 'tool', file, 'x']);
  assert.deepEqual(named.stdout.split('\0'), ['tool', 'x', '']);
  const dashed = await weft(['run', '--', file, '-h']);
  assert.deepEqual(dashed.stdout.split('\0'), [path.basename(file), '-h', '']);
});

test('--trace FILE and --trace=FILE write the log to FILE; --trace never takes the program as FILE', async () => {
  const file = await watFile(printArgs, 'print-args');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cli-'));
  // The same program without the .wasm ending: only its wasm magic tells it from a trace file.
  const bare = path.join(dir, 'printargs');
  fs.copyFileSync(file, bare);
  const log = path.join(dir, 'trace.log');
  const spaced = await weft(['run', '--trace', log, file, 'x']);
  assert.equal(spaced.code, 0, spaced.stderr);
  assert.deepEqual(spaced.stdout.split('\0'), [path.basename(file), 'x', '']);
  assert.match(fs.readFileSync(log, 'utf8'), /fd_write/);
  assert.doesNotMatch(spaced.stderr, /fd_write/);
  fs.rmSync(log);
  const joined = await weft(['--trace=' + log, bare, 'y']);
  assert.deepEqual(joined.stdout.split('\0'), ['printargs', 'y', '']);
  assert.match(fs.readFileSync(log, 'utf8'), /fd_write/);
  fs.rmSync(log);
  // Not taken as FILE: a .wasm name, a wasm binary, the last argument, an option.
  for (const args of [['--trace', file, 'z'], ['--trace', bare, 'z'], ['--trace', bare], ['--trace', '--argv0', 'p', bare, 'z']]) {
    const r = await weft(args);
    assert.equal(r.code, 0, `${args}: ${r.stderr}`);
    assert.match(r.stderr, /fd_write/, `${args}: the log goes to stderr`);
    assert.equal(r.stdout.split('\0')[1] ?? '', args.at(-1) === 'z' ? 'z' : '', String(args));
  }
  assert.equal(fs.existsSync(log), false);
  fs.rmSync(dir, { recursive: true });
});

test('parseArgs: --trace takes the next argument only when it cannot be the program', async () => {
  const { parseArgs } = await import('../dist/cli/args.js');
  const ctx = { env: {}, isWasmFile: (p) => p === 'prog', dirState: () => 'dir' };
  const parse = (...a) => parseArgs(a, ctx);
  assert.deepEqual([parse('--trace', 'out.log', 'p.wasm').trace, parse('--trace', 'out.log', 'p.wasm').program], ['out.log', 'p.wasm']);
  assert.deepEqual([parse('--trace', 'p.wasm', 'a').trace, parse('--trace', 'p.wasm', 'a').program], [true, 'p.wasm']);
  assert.deepEqual([parse('--trace', 'P.WASM').trace, parse('--trace', 'P.WASM').program], [true, 'P.WASM']);
  assert.deepEqual([parse('--trace', 'prog', 'a').trace, parse('--trace', 'prog', 'a').program], [true, 'prog']);
  assert.deepEqual([parse('--trace', 'x').trace, parse('--trace', 'x').program], [true, 'x']);
  assert.deepEqual([parse('--trace=prog', 'a.wasm').trace, parse('--trace=prog', 'a.wasm').program], ['prog', 'a.wasm']);
  assert.equal(parse('--trace', '--', 'p.wasm').trace, true);
});

test('--env NAME passes NAME on from weft\'s environment (unset stays unset); --env NAME=VAL sets it', async () => {
  const file = await watFile(printEnv, 'print-env');
  const r = await weft(['run', '--env', 'FROM_HOST', '--env', 'NOT_SET_ANYWHERE', '--env=SET=a=b', '--env', 'EMPTY=', file],
    { env: { FROM_HOST: 'host value', NOT_SET_ANYWHERE: undefined } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\0'), ['FROM_HOST=host value', 'SET=a=b', 'EMPTY=', '']);
  const none = await weft(['run', file], { env: { FROM_HOST: 'host value' } });
  assert.equal(none.stdout, '', 'nothing is inherited unless asked');
});

test("argv[0] is the program's base name by default, --argv0 overrides it", async () => {
  const file = await watFile(printArgs, 'print-args');
  const r = await weft(['run', file, 'a b', 'c']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\0'), [path.basename(file), 'a b', 'c', '']);
  const named = await weft(['run', '--argv0', 'tool', file, '-x']);
  assert.deepEqual(named.stdout.split('\0'), ['tool', '-x', '']);
  const inline = await weft(['run', '--argv0=', file]);
  assert.deepEqual(inline.stdout.split('\0'), ['', '']);
});

test('a reactor module gives a clear error and exit 2 (not a trap)', async () => {
  const r = await weft(['run', await watFile(reactor, 'reactor')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /reactor \(it exports _initialize, no _start\)/);
  assert.doesNotMatch(r.stderr, /trap/);
  const none = await weft(['run', await watFile('(module (func (export "f")))', 'no-start')]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /not a command/);
});

test('single-threaded program on the CLI thread: _start returning, traps', async () => {
  const ok = await weft(['run', await watFile(returns, 'returns')]);
  assert.equal(ok.code, 0, ok.stderr);
  const t = await weft(['run', await watFile(trap, 'trap-main')]);
  assert.equal(t.code, 134);
  assert.equal(t.stdout, 'before\n');
  assert.match(t.stderr, /thread 1 trap: unreachable/);
});

test('stdin from a pipe and from a file, read on the CLI thread', async () => {
  const file = await watFile(cat, 'cat');
  const big = 'x'.repeat(200_000) + 'end\n';
  const r = await weft(['run', file], { stdin: big });
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, big);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cli-'));
  const input = path.join(dir, 'in.txt');
  fs.writeFileSync(input, 'from a file\n');
  const viaFile = await new Promise((resolve) => {
    const fd = fs.openSync(input, 'r');
    const child = spawn(process.execPath, [cli, 'run', file], { stdio: [fd, 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.on('close', (code) => { fs.closeSync(fd); resolve({ code, out }); });
  });
  assert.deepEqual(viaFile, { code: 7, out: 'from a file\n' });
  fs.rmSync(dir, { recursive: true });
});

test('a program blocked reading an open stdin pipe on the CLI thread still ends on SIGTERM/SIGINT', async () => {
  const file = await watFile(cat, 'cat');
  for (const sig of ['SIGTERM', 'SIGINT']) {
    const child = spawn(process.execPath, [cli, 'run', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stdin.write('partial\n');
    const t0 = performance.now();
    await new Promise((r) => child.stdout.once('data', r));
    child.kill(sig);
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const [, signal] = await new Promise((r) => child.on('close', (...a) => r(a)));
    clearTimeout(killer);
    assert.equal(signal, sig, 'ended by the signal, not by the SIGKILL fallback');
    assert.equal(out, 'partial\n');
    assert.ok(performance.now() - t0 < 4000);
  }
});

test('run({ sameThread }) runs a preview1 command on the calling thread; threaded modules still get workers', async () => {
  const { run, NotACommandError } = await import('../dist/index.js');
  const { wat2wasm } = await import('./helpers/wat.mjs');
  const hello = await wat2wasm(`(module
    (import ${W} "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (import ${W} "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "hello\\n")
    (func (export "_start") (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 6))
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (call $exit (i32.const 3))))`, 'same-thread-hello');
  let out = '';
  assert.deepEqual(await run(hello, { sameThread: true, stdin: 'ignore', stdout: (b) => (out += Buffer.from(b)) }), { exitCode: 3 });
  assert.equal(out, 'hello\n');
  // stdin given as text needs the coordinator that serves it: such a run still works, in a worker.
  const polls = await wat2wasm(`(module
    (import ${W} "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "_start")))`, 'same-thread-polls');
  assert.deepEqual(await run(polls, { sameThread: true, stdin: 'text' }), { exitCode: 0 });
  await assert.rejects(run(await wat2wasm(reactor, 'reactor'), { sameThread: true }), NotACommandError);
});

test('a program polling a stdin pipe keeps the worker path: its poll timeout still fires', async () => {
  // poll_oneoff on [clock 150 ms, stdin readable]; exits 10 + the type of the first event (0 clock, 1 fd_read).
  const poller = `(module
    (import ${W} "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (import ${W} "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (i32.store8 (i32.const 8) (i32.const 0))
      (i32.store (i32.const 16) (i32.const 1))
      (i64.store (i32.const 24) (i64.const 150000000))
      (i32.store8 (i32.const 56) (i32.const 1))
      (i32.store (i32.const 64) (i32.const 0))
      (if (call $poll (i32.const 0) (i32.const 256) (i32.const 2) (i32.const 512)) (then (call $exit (i32.const 2))))
      (call $exit (i32.add (i32.const 10) (i32.load8_u (i32.const 266))))))`;
  const r = await weft(['run', await watFile(poller, 'poll-stdin')], { stdin: 'pipe-open', timeoutMs: 5000 });
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 10, `the clock fired first (exit ${r.code}) ${r.stderr}`);
});

// A reactor: _initialize sets $base, which add() adds; big() has i64/f32/f64 results.
const invokable = `(module
  (import ${W} "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import ${W} "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "side effect\\n")
  (global $base (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $base (i32.const 100)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (global.get $base) (i32.add (local.get 0) (local.get 1))))
  (func (export "big") (param i64 f32 f64) (result i64 f32 f64 f32)
    (i64.mul (local.get 0) (i64.const 2)) (local.get 1) (local.get 2) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "say")
    (i32.store (i32.const 0) (i32.const 32)) (i32.store (i32.const 4) (i32.const 12))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "quit") (param i32) (result i32) (call $exit (local.get 0)) (i32.const 1)))`;

test('--invoke calls an export (after _initialize) with arguments parsed by type and prints its results', async () => {
  const file = await watFile(invokable, 'invokable');
  const add = await weft(['--invoke', 'add', file, '2', '0x10']);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout, '118\n');
  const big = await weft(['run', '--invoke', 'big', file, '-4611686018427387904', '0.1', '1e21']);
  assert.equal(big.code, 0, big.stderr);
  assert.equal(big.stdout, '-9223372036854775808\n0.1\n1000000000000000000000\nNaN\n');
  const tiny = await weft(['--invoke=big', file, '0xff', '-0', '1.5e-7']);
  assert.equal(tiny.stdout, '510\n-0\n0.00000015\nNaN\n');
  const inf = await weft(['--invoke', 'big', file, '0', 'inf', '-Infinity']);
  assert.equal(inf.stdout, '0\ninf\n-inf\nNaN\n');
  // No results: nothing printed; the function's own output is the program's.
  const say = await weft(['--invoke', 'say', file]);
  assert.deepEqual([say.code, say.stdout], [0, 'side effect\n']);
  // proc_exit inside the function: its code, no results.
  const quit = await weft(['--invoke', 'quit', file, '7']);
  assert.deepEqual([quit.code, quit.stdout], [7, '']);
});

test('--invoke on a command calls the export instead of _start; mistakes are one line and exit 2', async () => {
  const command = `(module
    (import ${W} "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start") (call $exit (i32.const 9)))
    (func (export "twice") (param i64) (result i64) (i64.add (local.get 0) (local.get 0))))`;
  const file = await watFile(command, 'invoke-command');
  const r = await weft(['--invoke', 'twice', file, '21']);
  assert.deepEqual([r.code, r.stdout], [0, '42\n'], r.stderr);
  for (const [args, re] of [
    [['--invoke', 'nope', file], /exports no function 'nope'/],
    [['--invoke', 'twice', file], /'twice' takes 1 argument \(i64\), got 0/],
    [['--invoke', 'twice', file, '1', '2'], /takes 1 argument \(i64\), got 2/],
    [['--invoke', 'twice', file, 'x'], /argument 1 of 'twice' \(i64\): 'x' is not an integer/],
    [['--invoke', 'twice', file, '18446744073709551616'], /does not fit in i64/],
  ]) {
    const bad = await weft(args);
    assert.equal(bad.code, 2, `${args}: ${bad.stderr}`);
    assert.equal(bad.stderr.split('\n').length, 2, bad.stderr);
    assert.match(bad.stderr, re);
  }
});

test('run({ invoke }) resolves with the results; a reactor is initialised first', async () => {
  const { run, InvokeError } = await import('../dist/index.js');
  const { wat2wasm } = await import('./helpers/wat.mjs');
  const bytes = await wat2wasm(invokable, 'invokable');
  assert.deepEqual(await run(bytes, { invoke: { name: 'add', args: [1, 2] } }), { exitCode: 0, results: [103] });
  const big = await run(bytes, { invoke: { name: 'big', args: [5, 0.5, 2.25] } });
  assert.equal(big.exitCode, 0);
  assert.deepEqual(big.results.slice(0, 3), [10n, 0.5, 2.25]);
  assert.ok(Number.isNaN(big.results[3]));
  assert.deepEqual(await run(bytes, { invoke: { name: 'quit', args: [4] } }), { exitCode: 4 });
  await assert.rejects(run(bytes, { invoke: { name: 'add', args: [1] } }), (e) => e instanceof InvokeError && e.code === 'ERR_WEFT_INVOKE');
  await assert.rejects(run(bytes, { invoke: { name: 'big', args: [1.5, 0, 0] } }), /i64: 1.5 is not an integer/);
});
