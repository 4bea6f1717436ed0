// The one run() result and its options in Node: captured output, every kind of wasm source, AbortSignal,
// stdin from streams, cwd; and that the Node entry's types compile without the DOM lib.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { MemoryFS, run } from '../dist/index.js';
import { wat2wasm, watFile } from './helpers/wat.mjs';
import { catWat } from './fixtures/wat-cat.mjs';
import { ensureFixtures, fixture, repo } from './helpers/fixtures.mjs';

// Copies stdin to stdout, writes "err\n" to stderr, exits 7.
const cat = catWat({ err: true });

const text = (b) => Buffer.from(b).toString();

test("stdout/stderr 'capture' fill RunResult.stdout/stderr with the bytes; other options leave them out", async () => {
  const bytes = await wat2wasm(cat, 'cat');
  const r = await run(bytes, { stdin: 'in\u00e9', stdout: 'capture', stderr: 'capture' });
  assert.equal(r.exitCode, 7);
  assert.ok(r.stdout instanceof Uint8Array && r.stderr instanceof Uint8Array);
  assert.deepEqual([text(r.stdout), text(r.stderr)], ['in\u00e9', 'err\n']);
  let seen = '';
  const mixed = await run(bytes, { stdin: 'x', stdout: (b) => (seen += text(b)), stderr: 'ignore' });
  assert.deepEqual(mixed, { exitCode: 7 });
  assert.equal(seen, 'x');
});

test('sources: a path, file: URLs, data: URL, bytes, ArrayBuffer, a WebAssembly.Module, { module, bytes }', async () => {
  const file = await watFile(cat, 'cat');
  const bytes = new Uint8Array(fs.readFileSync(file));
  const module = await WebAssembly.compile(bytes);
  const dataUrl = `data:application/wasm;base64,${Buffer.from(bytes).toString('base64')}`;
  for (const src of [file, pathToFileURL(file), pathToFileURL(file).href, dataUrl, bytes, bytes.buffer.slice(0), module, { module, bytes }]) {
    const r = await run(src, { stdin: 'ok', stdout: 'capture', stderr: 'ignore' });
    assert.deepEqual([r.exitCode, text(r.stdout)], [7, 'ok'], String(src?.constructor?.name ?? src));
  }
  // A module importing its memory needs its bytes (the limits are only in the binary).
  const shared = await WebAssembly.compile(await wat2wasm(`(module (import "env" "memory" (memory 1 1 shared)) (func (export "_start")))`, 'shared-start'));
  await assert.rejects(run(shared), /imports its memory \(env\.memory\): pass its bytes too/);
});

test('stdin from a Node Readable, a web ReadableStream, an async generator and a pull callback', async () => {
  const bytes = await wat2wasm(cat, 'cat');
  const web = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('web ')); c.enqueue('stream'); c.close(); } });
  async function* gen() { yield 'gen'; yield new Uint8Array([0x21]); }
  const parts = ['pull', ' once', null];
  for (const [stdin, want] of [
    [Readable.from(['node ', Buffer.from('readable')]), 'node readable'],
    [web, 'web stream'],
    [gen(), 'gen!'],
    [() => parts.shift(), 'pull once'],
    [fs.createReadStream(fileWith('from a file stream')), 'from a file stream'],
  ]) {
    const r = await run(bytes, { stdin, stdout: 'capture', stderr: 'ignore' });
    assert.deepEqual([r.exitCode, text(r.stdout)], [7, want]);
  }
});

function fileWith(content) {
  const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-run-api-')), 'in.txt');
  fs.writeFileSync(p, content);
  return p;
}

test('signal: aborting tears every worker down and rejects with its reason; already aborted rejects at once', async () => {
  // In a child process, which must then exit by itself (no worker or stdin handle left).
  const script = `
    import { run } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
    import { threadBlockedReading } from ${JSON.stringify(new URL('./helpers/blocked.mjs', import.meta.url).href)};
    const bytes = await threadBlockedReading();
    const ctl = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ctl.abort(), 200);
    const err = await run(bytes, { signal: ctl.signal, stdin: () => new Promise(() => {}) }).then(() => 'resolved', (e) => e);
    const ms = performance.now() - t0;
    let started = false;
    const early = await run(bytes, { signal: AbortSignal.abort(new Error('stop')), stdin: () => { started = true; return null; } })
      .then(() => 'resolved', (e) => e.message);
    console.log(JSON.stringify({ name: err.name, ms, early, started }));`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.name, 'AbortError');
  assert.ok(out.ms < 3000, `abort took ${out.ms} ms`);
  assert.deepEqual([out.early, out.started], ['stop', false]);
  assert.ok(performance.now() - t0 < 15_000);
});

test('cwd: the directory a WASIX program starts in', async () => {
  await ensureFixtures('wasix');
  const mfs = new MemoryFS({ '/keep': '' });
  const opts = { args: ['cwd', '/sandbox'], preopens: { '/sandbox': mfs.dir('/') }, stdout: 'capture' };
  const at = await run(fixture('wasix', 'cwd'), { ...opts, cwd: '/sandbox' });
  assert.equal(text(at.stdout).split('\n')[0], 'cwd: start /sandbox');
  const root = await run(fixture('wasix', 'cwd'), opts);
  assert.equal(text(root.stdout).split('\n')[0], 'cwd: start /');
  await assert.rejects(run(fixture('wasix', 'cwd'), { ...opts, cwd: 'sandbox' }), /cwd must be an absolute path/);
});

test("dist/index.d.ts compiles in a project with lib ['ES2022'] and types ['node'] (no DOM), and still checks types", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-types-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(repo, path.join(dir, 'node_modules', 'weft'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
      lib: ['ES2022'], types: ['node'], typeRoots: [path.join(repo, 'node_modules/@types')], skipLibCheck: false,
    },
    files: ['main.ts', 'wrong.ts'],
  }));
  const good = `import { run, WASI, MemoryFS, UnknownImportsError, type RunResult, type RunOptions } from 'weft';
    import { Readable } from 'node:stream';
    const opts: RunOptions = {
      args: ['p'], stdin: Readable.from(['x']), stdout: 'capture', signal: AbortSignal.timeout(1000), cwd: '/',
      imports: { env: { f(a: number) { void this.memory; return a + 1; } } }, invoke: { name: 'f', args: [1, 2n] },
    };
    const r: RunResult = await run(new URL('file:///x.wasm'), opts);
    const code: number = r.exitCode;
    const out: Uint8Array | undefined = r.stdout;
    const w = new WASI({ version: 'preview1' });
    void code; void out; void w; void MemoryFS; void UnknownImportsError;\n`;
  // One compile (tsc is slow here): main.ts must be clean; wrong.ts, a wrong use, must fail, so the
  // declarations are checked types, not \`any\`.
  fs.writeFileSync(path.join(dir, 'main.ts'), good);
  fs.writeFileSync(path.join(dir, 'wrong.ts'), `import { run } from 'weft';\nconst bad: string = (await run('x')).exitCode;\nrun(42);\nexport { bad };\n`);
  const r = spawnSync(path.join(repo, 'node_modules/.bin/tsc'), ['-p', '.'], { cwd: dir, encoding: 'utf8' });
  const errors = r.stdout.split('\n').filter((l) => /error TS/.test(l));
  assert.deepEqual(errors.filter((l) => !l.startsWith('wrong.ts')), [], r.stdout + r.stderr);
  assert.match(r.stdout, /wrong\.ts\(2,7\): error TS2322/);
  assert.match(r.stdout, /wrong\.ts\(3,5\): error TS2345/);
  fs.rmSync(dir, { recursive: true });
});

test("require('weft') works where Node loads ES modules from require (20.19+)", (t) => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major === 20 && minor < 19) return t.skip(`Node ${process.versions.node} cannot require ES modules`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-require-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(repo, path.join(dir, 'node_modules', 'weft'));
  const r = spawnSync(process.execPath, ['-e', `const { run, WASI, UnknownImportsError } = require('weft');
    console.log(typeof run, typeof WASI, typeof UnknownImportsError)`], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'function function function', r.stderr);
  fs.rmSync(dir, { recursive: true });
});

// Opens "left-open" in its first preopen (creating it), writes "x" and exits without closing it.
const leaveOpen = `(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "left-open")
  (data (i32.const 32) "x")
  (func (export "_start")
    (if (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 9) (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 8))
      (then (call $exit (i32.const 9))))
    (i32.store (i32.const 40) (i32.const 32))
    (i32.store (i32.const 44) (i32.const 1))
    (drop (call $write (i32.load (i32.const 8)) (i32.const 40) (i32.const 1) (i32.const 48)))
    (call $exit (i32.const 0))))`;

test('run() closes the host fds a program left open, and its preopens, when it ends (workers and sameThread)', { skip: !fs.existsSync('/proc/self/fd') }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-fds-'));
  try {
    const bytes = await wat2wasm(leaveOpen, 'leave-open');
    const count = () => fs.readdirSync('/proc/self/fd').length;
    for (const sameThread of [false, true]) {
      assert.equal((await run(bytes, { preopens: { '/': dir }, sameThread })).exitCode, 0); // warm (pools, caches)
      const before = count();
      for (let i = 0; i < 8; i++) assert.equal((await run(bytes, { preopens: { '/': dir }, sameThread })).exitCode, 0);
      assert.equal(count(), before, `host fds after 8 runs (sameThread ${sameThread})`);
      assert.equal(fs.readFileSync(path.join(dir, 'left-open'), 'utf8'), 'x');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
