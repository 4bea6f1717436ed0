// weft/napi: a node:wasi-compatible WASI whose objects built in an addon's worker threads join the main
// thread's process. With the real napi-rs package @oxc-resolver/binding-wasm32-wasi (fetched with `npm
// pack`, see helpers/napi-package.mjs) under `--import weft/napi/register`, and with a reactor of our own
// shared between the main thread and a Worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { napiPackageDir } from './helpers/napi-package.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const register = path.join(root, 'dist', 'napi-register.js');
const helper = (f) => path.join(root, 'test', 'helpers', f);

function node(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let pkg, skip;
try {
  pkg = napiPackageDir();
} catch (e) {
  skip = `cannot fetch the napi-rs package from the npm registry: ${e.message}`;
}

const specifiers = ['./dist/index.js', './package.json', 'esbuild', 'typescript', 'wabt', '@napi-rs/wasm-runtime', './no-such-file.js', 'no-such-package', './test/../README.md'];

test('a napi-rs wasm32-wasi package under weft/napi/register resolves exactly as under node:wasi', { skip }, async () => {
  const args = [helper('napi-resolve.cjs'), pkg, root, ...specifiers];
  const ref = await node(['--no-warnings', ...args]);
  assert.equal(ref.code, 0, ref.stderr);
  const expected = JSON.parse(ref.stdout);
  assert.equal(expected['sync esbuild'].path, path.join(root, 'node_modules', 'esbuild', 'lib', 'main.js'));
  assert.ok(expected['sync no-such-package'].error);
  const r = await node(['--import', register, ...args], { WEFT_LOG: 'debug' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), expected);
  assert.doesNotMatch(r.stderr, /ExperimentalWarning/);
  // weft served the calls (the syscall log is weft's), from the main thread and from the addon's workers.
  const tids = new Set([...r.stderr.matchAll(/^\[pid \d+ tid (\d+)\] [\d.]+ path_open\(/gm)].map((m) => m[1]));
  assert.ok(tids.has('1'), 'main thread path_open');
  assert.ok(tids.size >= 2, `path_open from the addon's worker threads too (tids ${[...tids]})`);
});

function threadsScenario(scenario) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-napi-'));
  fs.writeFileSync(path.join(dir, 'f.txt'), 'opened in a worker\n');
  return node(['--import', register, helper('napi-threads.mjs'), dir, scenario]).then((r) => {
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  });
}

test('a file opened in a Worker is readable from the main thread after the Worker exits', async () => {
  const r = await threadsScenario('fd');
  assert.equal(r.attached, true, 'the worker WASI joined the main thread process');
  assert.equal(r.openErrno, 0);
  assert.equal(r.readErrno, 0);
  assert.equal(r.text, 'opened in a worker\n');
  // What the register hook's default prevents: a Worker that tracks its fds closes them when it exits.
  const tracked = await threadsScenario('fd-tracked');
  assert.equal(tracked.openErrno, 0);
  assert.equal(tracked.readErrno, 8, 'EBADF: Node closed the fd with the worker');
});

test('a Worker joins the process of the loader that started it, not the last WASI created', async () => {
  const r = await threadsScenario('two-loaders');
  assert.equal(r.attached, true);
  assert.equal(r.openErrno, 0, 'the worker saw this loader\'s preopen (the other one is an empty directory)');
  assert.equal(r.readErrno, 0);
  assert.equal(r.text, 'opened in a worker\n');
});

test('without the register hook, a Worker still joins the process of its own loader, not the last WASI created', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-napi-'));
  fs.writeFileSync(path.join(dir, 'f.txt'), 'opened in a worker\n');
  const r = await node([helper('napi-threads.mjs'), dir, 'two-loaders'], { WEFT_NAPI_DIRECT: '1' }).then((x) => {
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(x.code, 0, x.stderr);
    return JSON.parse(x.stdout);
  });
  assert.equal(r.attached, true);
  assert.equal(r.openErrno, 0, 'the worker saw this loader\'s preopen (the other one is an empty directory)');
  assert.equal(r.text, 'opened in a worker\n');
});

test('pickProcess: own file, then most shared leading directories, newest on a tie; newest when unknown', async () => {
  const { pickProcess } = await import('../dist/host/node/napi.js');
  const loaders = [['/app/node_modules/@a/tar-wasm32-wasi/tar.wasi.cjs', 'tar'], ['/app/node_modules/@b/lzma-wasm32-wasi/lzma.wasi.cjs', 'lzma'], [undefined, 'anon']];
  assert.equal(pickProcess(loaders, '/app/node_modules/@a/tar-wasm32-wasi/wasi-worker.mjs'), 'tar');
  assert.equal(pickProcess(loaders, '/app/node_modules/@b/lzma-wasm32-wasi/wasi-worker.mjs'), 'lzma');
  assert.equal(pickProcess(loaders, undefined), 'anon');
  assert.equal(pickProcess(loaders.slice(0, 2), '/app/node_modules/@a/tar-wasm32-wasi/tar.wasi.cjs'), 'tar');
  assert.equal(pickProcess(loaders.slice(0, 2), '/elsewhere/w.mjs'), 'lzma');
  assert.equal(pickProcess([], '/x.mjs'), undefined);
});

test('proc_exit in a Worker marks the process exited; every thread unwinds, Node keeps running', async () => {
  const r = await threadsScenario('exit');
  assert.equal(r.workerThrew, 'WASIExitError: the WebAssembly module called proc_exit(7)');
  assert.equal(r.exitCode, 7);
  assert.equal(r.mainCode, 7, 'the main thread call into WASI unwinds too');
  assert.equal(r.alive, true);
});

test('weft/napi WASI in the main thread alone behaves like the WASI class', async () => {
  const { WASI } = await import('../dist/napi.js');
  const wasi = new WASI({ version: 'preview1', args: ['x'] });
  assert.equal(wasi.attached, false);
  assert.equal(wasi.exitCode, undefined);
  assert.equal(typeof wasi.getImportObject().wasi_snapshot_preview1.fd_write, 'function');
  assert.throws(() => new WASI({ version: 'unstable' }), TypeError);
});

// One WASI implementation, two faces (host/node/wasi-core.ts): weft/napi's class refuses exactly what the
// standalone one refuses, with the same errors (the napi face once ran start() on a module exporting
// _initialize).
test('weft/napi WASI rejects what the standalone WASI class rejects, with the same errors', async () => {
  const { wat2wasm } = await import('./helpers/wat.mjs');
  const { WASI: Standalone } = await import('../dist/index.js');
  const { WASI: Napi } = await import('../dist/napi.js');
  const modules = {
    both: '(module (memory (export "memory") 1) (func (export "_start")) (func (export "_initialize")))',
    reactor: '(module (memory (export "memory") 1) (func (export "_initialize")))',
    command: '(module (memory (export "memory") 1) (func (export "_start")))',
    noMemory: '(module (memory 1) (func (export "_start")))',
    exits: `(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1) (func (export "_start") (call $exit (i32.const 5))))`,
  };
  // [what, module instantiated for it, the calls]
  const cases = [
    ['start() with _initialize exported', 'both', (w, i) => w.start(i)],
    ['start() of a reactor', 'reactor', (w, i) => w.start(i)],
    ['initialize() with _start exported', 'command', (w, i) => w.initialize(i)],
    ['start() without an exported memory', 'noMemory', (w, i) => w.start(i)],
    ['start() twice', 'command', (w, i) => (w.start(i), w.start(i))],
    ['initialize() then start()', 'reactor', (w, i) => (w.initialize(i), w.start(i))],
    ['start() of a command calling proc_exit(5)', 'exits', (w, i) => w.start(i)],
    ['initialize() of a reactor', 'reactor', (w, i) => w.initialize(i)],
  ];
  const outcome = (f) => {
    try {
      return { value: f() };
    } catch (e) {
      return { error: `${e.constructor.name}: ${e.message}` };
    }
  };
  const results = {};
  for (const [face, Class] of [['standalone', Standalone], ['napi', Napi]]) {
    const r = (results[face] = {});
    for (const [what, mod, calls] of cases) {
      const w = new Class({ args: ['x'] });
      const { instance } = await WebAssembly.instantiate(await wat2wasm(modules[mod], mod), w.getImportObject());
      r[what] = outcome(() => calls(w, instance));
    }
    r["version 'unstable'"] = outcome(() => new Class({ version: 'unstable' }));
  }
  assert.deepEqual(results.napi, results.standalone);
  // And what they reject is what node:wasi rejects.
  const s = results.standalone;
  assert.match(s['start() with _initialize exported'].error, /^TypeError: .*_initialize/);
  assert.match(s['start() of a reactor'].error, /^TypeError: .*_start/);
  assert.match(s['initialize() with _start exported'].error, /^TypeError: .*_start/);
  assert.match(s['start() without an exported memory'].error, /^TypeError: .*memory/);
  assert.match(s['start() twice'].error, /already started/);
  assert.match(s['initialize() then start()'].error, /already started/);
  assert.deepEqual(s['start() of a command calling proc_exit(5)'], { value: 5 });
  assert.deepEqual(s['initialize() of a reactor'], { value: undefined });
  assert.match(s["version 'unstable'"].error, /^TypeError: .*preview1/);
});

// Node 20's Liftoff miscompiles code around atomic waits (V8 < 12.4; src/host/node/engine.ts): an i32 local
// holding a call result reads back as 0 after memory.atomic.wait32. An addon's loader compiles its threaded
// module itself, so weft/napi must have wrapped WebAssembly's compile entry points (outlining the waits)
// before that compile: at --import of the register hook, and when the main thread's WASI is built (the
// loaders build it before they compile). On V8 >= 12.4 the module works either way.
const liftoffProbe = `(module (import "e" "f" (func $f (param i32) (result i32))) (import "e" "g" (func $g (param i32)))
  (import "e" "m" (memory 1 1 shared))
  (func (export "t") (local $x i32) (local.set $x (call $f (i32.const 7)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (call $g (local.get $x))))`;
const probeScript = async (before) => {
  const { wat2wasm } = await import('./helpers/wat.mjs');
  const b64 = Buffer.from(await wat2wasm(liftoffProbe, 'liftoff-probe')).toString('base64');
  return `${before}
    const mod = new WebAssembly.Module(Buffer.from(${JSON.stringify(b64)}, 'base64'));
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    new Int32Array(m.buffer)[0] = 1; // the wait finds a value that differs: returns at once
    let got;
    new WebAssembly.Instance(mod, { e: { f: () => 43, g: (v) => { got = v; }, m } }).exports.t();
    console.log('local after wait: ' + got);`;
};

test('the probe: a module compiled with no workaround shows the miscompilation on V8 < 12.4', async () => {
  const r = await node(['--input-type=module', '-e', await probeScript('')]);
  const [major, minor] = process.versions.v8.split('.').map(Number);
  const affected = major < 12 || (major === 12 && minor < 4);
  assert.equal(r.stdout.trim(), `local after wait: ${affected ? 0 : 43}`, r.stderr);
});

test('--import weft/napi/register: threaded modules compiled by any entry point work under Liftoff (V8 < 12.4)', async () => {
  const r = await node(['--import', register, '--input-type=module', '-e', await probeScript('')]);
  assert.equal(r.stdout.trim(), 'local after wait: 43', r.stderr);
  // the same through WebAssembly.compile and WebAssembly.instantiate(bytes), as other loaders compile
  const other = '{ e: { f: () => 0, g: () => {}, m: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }) } }';
  for (const how of ['await WebAssembly.compile(BYTES)', `(await WebAssembly.instantiate(BYTES, ${other})).module`]) {
    const script = (await probeScript('')).replace(/new WebAssembly\.Module\((Buffer\.from\([^)]*\))\)/, (_, b) => how.replace('BYTES', b));
    assert.ok(script.includes(how.split('BYTES')[0]), 'the probe compiles through ' + how);
    const r2 = await node(['--import', register, '--input-type=module', '-e', script]);
    assert.equal(r2.stdout.trim(), 'local after wait: 43', how + ': ' + r2.stderr);
  }
});

test('--import weft/napi/register keeps Liftoff on (an addon starts as fast as under node:wasi)', async () => {
  const b64 = Buffer.from(await (await import('./helpers/wat.mjs')).wat2wasm(liftoffProbe, 'liftoff-probe')).toString('base64');
  const script = `const mod = new WebAssembly.Module(Buffer.from(${JSON.stringify(b64)}, 'base64'));
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    new Int32Array(m.buffer)[0] = 1;
    const i = new WebAssembly.Instance(mod, { e: { f: () => 43, g: () => {}, m } });
    i.exports.t();
    console.log('liftoff ' + %IsLiftoffFunction(i.exports.t));`;
  const r = await node(['--allow-natives-syntax', '--import', register, '--input-type=module', '-e', script]);
  assert.equal(r.stdout.trim(), 'liftoff true', r.stderr);
});

test('the register hook and weft/napi wrap the compile entry points once between them (each compile outlined once)', async () => {
  // Two bundles, two copies of the wrapper: the second must see the first's (one rewrite per compile).
  const napi = JSON.stringify(pathToFileURL(path.join(root, 'dist', 'napi.js')).href);
  const r = await node(['--import', register, '--input-type=module', '-e', `
    const before = [WebAssembly.Module, WebAssembly.compile, WebAssembly.instantiate];
    const { WASI } = await import(${napi});
    new WASI({ version: 'preview1' });
    const after = [WebAssembly.Module, WebAssembly.compile, WebAssembly.instantiate];
    console.log(before.every((f, i) => f === after[i]) ? 'same' : 'wrapped again');`]);
  assert.equal(r.stdout.trim(), 'same', r.stderr);
});

test("weft/napi's WASI, built in the main thread, makes the loader's compile safe under Liftoff (V8 < 12.4)", async () => {
  const napi = JSON.stringify(pathToFileURL(path.join(root, 'dist', 'napi.js')).href);
  const r = await node(['--input-type=module', '-e', await probeScript(`const { WASI } = await import(${napi}); new WASI({ version: 'preview1' });`)]);
  assert.equal(r.stdout.trim(), 'local after wait: 43', r.stderr);
});
