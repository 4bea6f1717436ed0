// weft/browser in Chromium (playwright-core driving Debian's /usr/bin/chromium; never a downloaded
// browser): the same wasi-threads fixtures as the Node tests with the same exit codes and output, the
// in-memory filesystem, stdin fed from the page, clear errors, and the demo page end to end.
// One browser and one page are shared by every test; pages are served by examples/browser/server.mjs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { wat2wasm } from './helpers/wat.mjs';
import {
  browserSkipReason, launchChromium, openHarness, runInPage, startTestServer,
} from './helpers/browser.mjs';
import * as P from './fixtures/wat-threads.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
// The blocked thread would hold the process for 10 s (poll sleep) or forever; 8 s leaves room for a loaded
// 2-core CI machine running another test file (worker boots and busy threads) at the same time.
const PROMPT_MS = 8000;

/** cat: copies stdin to stdout until end of input, then exits 0. */
const cat = `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $n i32)
    (loop $more
      (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 1024))
      (if (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)) (then (call $exit (i32.const 2))))
      (local.set $n (i32.load (i32.const 8)))
      (if (local.get $n) (then
        (i32.store (i32.const 4) (local.get $n))
        (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
        (br $more))))
    (call $exit (i32.const 0))))`;

/** Imports env.get_answer (provided by the page) and exits with it after writing "asked\n". */
const asksAnswer = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "env" "get_answer" (func $answer (param i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "asked\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 32)) (i32.store (i32.const 4) (i32.const 6))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (call $answer (i64.const 41)))))`;

/** A reactor: _initialize sets the base add() adds to. */
const reactor = `(module
  (memory (export "memory") 1)
  (global $base (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $base (i32.const 1000)))
  (func (export "add") (param i32 i64) (result i32 i64) (i32.add (global.get $base) (local.get 0)) (local.get 1)))`;

/**
 * A spawned thread blocks in fd_read on stdin while main keeps printing "." every 20 ms; when the
 * data arrives the thread hands it over and main prints it: only the reading thread was blocked.
 */
const readInThread = `(module
  (import "foo" "bar" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $sleep (param $ms i64)
    (i64.store (i32.const 256) (i64.const 0)) (i32.store8 (i32.const 264) (i32.const 0))
    (i32.store (i32.const 272) (i32.const 1))
    (i64.store (i32.const 280) (i64.mul (local.get $ms) (i64.const 1000000)))
    (i64.store (i32.const 288) (i64.const 0)) (i32.store16 (i32.const 296) (i32.const 0))
    (drop (call $poll (i32.const 256) (i32.const 512) (i32.const 1) (i32.const 600))))
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 640) (local.get $ptr)) (i32.store (i32.const 644) (local.get $len))
    (drop (call $write (i32.const 1) (i32.const 640) (i32.const 1) (i32.const 648))))
  (func (export "wasi_thread_start") (param i32 i32)
    (i32.store (i32.const 160) (i32.const 700)) (i32.store (i32.const 164) (i32.const 64))
    (drop (call $read (i32.const 0) (i32.const 160) (i32.const 1) (i32.const 168)))
    (i32.atomic.store (i32.const 0) (i32.const 1)))
  (func (export "_start")
    (i32.store8 (i32.const 800) (i32.const 46))
    (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then unreachable))
    (loop $wait
      (if (i32.eqz (i32.atomic.load (i32.const 0)))
        (then (call $print (i32.const 800) (i32.const 1)) (call $sleep (i64.const 20)) (br $wait))))
    (call $print (i32.const 700) (i32.load (i32.const 168)))
    (call $exit (i32.const 0))))`;

/**
 * The in-memory fs, shared by threads: main reads /data/in.txt (preopen fd 3); a spawned thread writes
 * it upper-cased to /data/out-ü.txt (a non-ASCII name); main exits 0 once the thread is done (10 + errno on failure).
 */
const fileRoundTrip = `(module
  (import "foo" "bar" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $check (param $e i32) (if (local.get $e) (then (call $exit (i32.add (i32.const 10) (local.get $e))))))
  (func (export "wasi_thread_start") (param i32 i32) (local $i i32) (local $c i32) (local $fd i32)
    (memory.init 1 (i32.const 64) (i32.const 0) (i32.const 10))
    (loop $up
      (local.set $c (i32.load8_u (i32.add (i32.const 1024) (local.get $i))))
      (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
        (then (i32.store8 (i32.add (i32.const 1024) (local.get $i)) (i32.sub (local.get $c) (i32.const 32)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $up (i32.lt_u (local.get $i) (i32.load (i32.const 24)))))
    ;; O_CREAT|O_TRUNC, rights fd_write
    (call $check (call $open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 10) (i32.const 9)
      (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 40)))
    (local.set $fd (i32.load (i32.const 40)))
    (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.load (i32.const 24)))
    (call $check (call $write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 44)))
    (call $check (call $close (local.get $fd)))
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  (func (export "_start") (local $fd i32)
    (memory.init 0 (i32.const 64) (i32.const 0) (i32.const 6))
    ;; rights fd_read
    (call $check (call $open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 6) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 40)))
    (local.set $fd (i32.load (i32.const 40)))
    (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 4096))
    (call $check (call $read (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
    (call $check (call $close (local.get $fd)))
    (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then unreachable))
    (loop $wait
      (if (i32.eqz (i32.atomic.load (i32.const 0)))
        (then (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (br $wait))))
    (call $exit (i32.const 0)))
  (data "in.txt")
  (data "out-\\c3\\bc.txt"))`;

const skip = browserSkipReason();

describe('weft/browser in Chromium', { skip }, () => {
  let server, browser, page;

  before(async () => {
    server = await startTestServer();
    const fixtures = {
      spawn: P.spawnCheck, three: P.threeLive, counter: P.atomicCounter, sequential: P.sequential,
      trap: P.trapNonMain, nostart: P.noThreadStart, max: P.maxThreads, cat, readInThread, fileRoundTrip,
      asksAnswer, reactor,
    };
    for (const state of Object.keys(P.blockers)) {
      fixtures[`exit-main-${state}`] = P.exitMain(state);
      fixtures[`exit-nonmain-${state}`] = P.exitNonMain(state);
      fixtures[`return-main-${state}`] = P.returnMain(state);
    }
    await Promise.all(Object.entries(fixtures).map(async ([name, src]) => {
      server.route(`/fx/${name}.wasm`, await wat2wasm(src, name), 'application/wasm');
    }));
    browser = await launchChromium();
    page = await openHarness(browser, server);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the page is cross-origin isolated and weft/browser loads as plain ESM', async () => {
    const r = await page.evaluate(() => ({ coi: crossOriginIsolated, run: typeof window.weft.run, fs: typeof window.weft.MemoryFS }));
    assert.deepEqual(r, { coi: true, run: 'function', fs: 'function' });
  });

  test('spawn returns a tid in [1, 2^29) that the child sees, with its argument', async () => {
    const r = await runInPage(page, '/fx/spawn.wasm');
    assert.equal(r.exitCode, 22, r.error ?? r.stderr);
  });

  test('three live threads get distinct tids', async () => {
    const r = await runInPage(page, '/fx/three.wasm');
    assert.equal(r.exitCode, 0, r.error ?? r.stderr);
  });

  test('two threads increment one atomic counter (200000 total)', async () => {
    const r = await runInPage(page, '/fx/counter.wasm');
    assert.equal(r.exitCode, 20, r.error ?? r.stderr);
  });

  test('20 sequential spawn+join, each thread printing its argument', async () => {
    const r = await runInPage(page, '/fx/sequential.wasm');
    assert.equal(r.exitCode, 0, r.error ?? r.stderr);
    assert.equal(r.stdout, '0123456789abcdefghij');
  });

  for (const state of Object.keys(P.blockers)) {
    // wasi_read: the page's stdin callback never supplies data (its promise never settles).
    const stdin = state === 'wasi_read' ? 'never' : undefined;
    test(`proc_exit in main while a thread is ${state}`, async () => {
      const r = await runInPage(page, `/fx/exit-main-${state}.wasm`, { stdin });
      assert.equal(r.exitCode, 99, r.error ?? r.stderr);
      assert.ok(r.ms < PROMPT_MS, `took ${r.ms} ms`);
    });
    test(`proc_exit in a spawned thread while main is ${state}`, async () => {
      const r = await runInPage(page, `/fx/exit-nonmain-${state}.wasm`, { stdin });
      assert.equal(r.exitCode, 99, r.error ?? r.stderr);
      assert.ok(r.ms < PROMPT_MS, `took ${r.ms} ms`);
    });
    test(`return from _start while a thread is ${state}`, async () => {
      const r = await runInPage(page, `/fx/return-main-${state}.wasm`, { stdin });
      assert.equal(r.exitCode, 0, r.error ?? r.stderr);
      assert.ok(r.ms < PROMPT_MS, `took ${r.ms} ms`);
    });
  }

  test('a trap in a spawned thread ends the process with 134, reported on stderr and the console', async () => {
    page.consoleLines.length = 0;
    const r = await runInPage(page, '/fx/trap.wasm');
    assert.equal(r.exitCode, 134, r.error);
    assert.match(r.stderr, /thread 2 trap: unreachable/);
    assert.match(r.stderr, /wasm-function|wasm:\/\//);
    assert.ok(r.ms < PROMPT_MS, `took ${r.ms} ms`);
    assert.ok(page.consoleLines.some((l) => /^error: weft: thread 2 trap: unreachable/.test(l)), page.consoleLines.join('\n'));
  });

  test('thread-spawn without wasi_thread_start returns a negative number', async () => {
    const r = await runInPage(page, '/fx/nostart.wasm');
    assert.equal(r.exitCode, 7, r.error ?? r.stderr);
  });

  test('maxThreads caps live threads, and ended threads free their place', async () => {
    const r = await runInPage(page, '/fx/max.wasm', { maxThreads: 2 });
    assert.equal(r.exitCode, 0, r.error ?? r.stderr);
  });

  test('stdin from a page callback that answers asynchronously, then end of input', async () => {
    const chunks = ['hello ', 'from ', 'the page\n', 'ünïcödé ✓\n'];
    const r = await runInPage(page, '/fx/cat.wasm', { stdin: { chunks, delayMs: 15 } });
    assert.equal(r.exitCode, 0, r.error ?? r.stderr);
    assert.equal(r.stdout, chunks.join(''));
  });

  test('stdin from a ReadableStream', async () => {
    const r = await runInPage(page, '/fx/cat.wasm', { stdin: { stream: ['one\n', 'two\n', 'three\n'] } });
    assert.equal(r.exitCode, 0, r.error ?? r.stderr);
    assert.equal(r.stdout, 'one\ntwo\nthree\n');
  });

  test('stdin from a string; no stdin reads as end of input', async () => {
    const r = await runInPage(page, '/fx/cat.wasm', { stdin: 'fixed text\n' });
    assert.equal(r.exitCode, 0, r.error ?? r.stderr);
    assert.equal(r.stdout, 'fixed text\n');
    const none = await runInPage(page, '/fx/cat.wasm');
    assert.equal(none.exitCode, 0, none.error ?? none.stderr);
    assert.equal(none.stdout, '');
  });

  test('a blocking fd_read on stdin blocks only its thread until the page supplies data', async () => {
    const r = await runInPage(page, '/fx/readInThread.wasm', { stdin: { chunks: ['data from the page\n'], delayMs: 300 } });
    assert.equal(r.exitCode, 0, r.error ?? r.stderr);
    const m = /^(\.+)data from the page\n$/.exec(r.stdout);
    assert.ok(m, JSON.stringify(r.stdout));
    assert.ok(m[1].length >= 5, `main printed only ${m[1].length} dots while the thread waited`);
  });

  test('a file round trip through the shared in-memory filesystem', async () => {
    const r = await page.evaluate(async () => {
      const { run, MemoryFS } = window.weft;
      const fs = new MemoryFS({ "/data/in.txt": "hello from the page" });
      let err = "";
      const { exitCode } = await run(fetch('/fx/fileRoundTrip.wasm'), {
        args: ["roundtrip"], preopens: { "/data": fs.dir("/data") }, stderr: (b) => (err += new TextDecoder().decode(b)),
      });
      const out = '/data/out-\u00fc.txt';
      return { exitCode, out: fs.exists(out) ? fs.readText(out) : null, list: fs.readdir("/data"), fsck: fs.fsck(), err };
    });
    assert.equal(r.exitCode, 0, r.err);
    assert.equal(r.out, 'HELLO FROM THE PAGE');
    assert.deepEqual(r.list.sort(), ['in.txt', 'out-\u00fc.txt']);
    assert.deepEqual(r.fsck.errors, []);
  });

  test('stdoutLine/stderrLine get decoded lines; lines() turns a line callback into a bytes callback', async () => {
    const r = await page.evaluate(async () => {
      const { run, lines } = window.weft;
      const got = [], viaHelper = [];
      const { exitCode } = await run(fetch('/fx/cat.wasm'), {
        stdin: 'a\r\nb\nlast without newline', stdoutLine: (l) => got.push(l), stdout: lines((l) => viaHelper.push(l)),
      });
      return { exitCode, got, viaHelper };
    });
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.got, ['a', 'b', 'last without newline']);
    assert.deepEqual(r.viaHelper, ['a', 'b', 'last without newline']);
  });

  test("run()'s result as in Node: capture, a WebAssembly.Module, page functions as imports, invoke, unknown imports", async () => {
    const r = await page.evaluate(async () => {
      const { run, UnknownImportsError } = window.weft;
      const dec = new TextDecoder();
      const module = await WebAssembly.compileStreaming(fetch('/fx/asksAnswer.wasm'));
      const asked = [];
      const a = await run(module, {
        stdout: 'capture', stderr: 'capture',
        imports: { env: { get_answer: async (x) => { asked.push(typeof x); await new Promise((res) => setTimeout(res, 10)); return Number(x) + 1; } } },
      });
      const unknown = await run(module).then(() => null, (e) => ({ is: e instanceof UnknownImportsError, code: e.code, imports: e.imports }));
      const inv = await run(fetch('/fx/reactor.wasm'), { invoke: { name: 'add', args: [5, 7n] } });
      return {
        exitCode: a.exitCode, stdout: dec.decode(a.stdout), stderr: dec.decode(a.stderr), asked, unknown,
        inv: { exitCode: inv.exitCode, results: inv.results.map(String) },
      };
    });
    assert.deepEqual(r, {
      exitCode: 42, stdout: 'asked\n', stderr: '', asked: ['bigint'],
      unknown: { is: true, code: 'ERR_WEFT_UNKNOWN_IMPORTS', imports: ['env.get_answer'] },
      inv: { exitCode: 0, results: ['1005', '7'] },
    });
  });

  test('aborting a run ends every thread promptly; run() rejects with the signal\'s reason', async () => {
    const r = await page.evaluate(async () => {
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 300);
      const t0 = performance.now();
      const err = await window.weft.run(fetch('/fx/readInThread.wasm'), {
        signal: ctl.signal, stdin: () => new Promise(() => {}), stdout: 'ignore',
      }).then(() => null, (e) => `${e.name}: ${e.message}`);
      const ms = performance.now() - t0;
      const early = await window.weft.run(fetch('/fx/readInThread.wasm'), { signal: AbortSignal.abort('stop') })
        .then(() => null, (e) => String(e));
      return { err, ms, early };
    });
    assert.match(r.err, /^AbortError: /);
    assert.ok(r.ms < PROMPT_MS, `took ${r.ms} ms`);
    assert.equal(r.early, 'stop');
  });

  test('clear errors: a page that is not cross-origin isolated names the missing headers', async () => {
    const p = await openHarness(browser, server, '?coi=0');
    try {
      const r = await runInPage(p, '/fx/spawn.wasm');
      assert.match(r.error, /not cross-origin isolated/);
      assert.match(r.error, /Cross-Origin-Opener-Policy: same-origin/);
      assert.match(r.error, /Cross-Origin-Embedder-Policy: require-corp/);
      await p.goto(server.url + '/test/harness.html?coi=coop');
      await p.waitForFunction(() => window.harnessReady === true);
      const onlyCoop = await runInPage(p, '/fx/spawn.wasm');
      assert.match(onlyCoop.error, /missing: Cross-Origin-Embedder-Policy/);
      assert.doesNotMatch(onlyCoop.error, /missing: Cross-Origin-Opener-Policy/);
    } finally {
      await p.close();
    }
  });

  test('clear errors: a module this browser cannot compile, and a bad source', async () => {
    const r = await page.evaluate(async () => {
      const errs = [];
      for (const src of [new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x7f]), '/fx/missing.wasm']) {
        try {
          await window.weft.run(src);
        } catch (e) {
          errs.push(String(e.message));
        }
      }
      return errs;
    });
    assert.match(r[0], /cannot compile the module/);
    assert.match(r[1], /HTTP 404/);
  });

  test('prewarm(3): run() takes its main and spare Workers from the started ones, then refills the pool', async () => {
    const p = await browser.newPage();
    try {
      await p.goto(server.url + '/test/harness.html');
      await p.waitForFunction(() => window.weft, null, { timeout: 10000 });
      const r = await p.evaluate(async () => {
        // Record every Worker the page starts and which ones are terminated.
        const created = [];
        const terminated = new Set();
        const NativeWorker = window.Worker;
        window.Worker = class extends NativeWorker {
          constructor(...a) { super(...a); created.push(this); }
          terminate() { terminated.add(this); return super.terminate(); }
        };
        window.weft.prewarm(3);
        const warm = created.slice();
        let out = '';
        const { exitCode } = await window.weft.run(fetch('/fx/sequential.wasm'), { stdout: (b) => (out += new TextDecoder().decode(b)), stderr: () => {} });
        const result = {
          exitCode, out, warm: warm.length, warmUsed: warm.filter((w) => terminated.has(w)).length,
          idleAfter: created.filter((w) => !warm.includes(w) && !terminated.has(w)).length,
        };
        window.weft.prewarm(0);
        result.idleAfterZero = created.filter((w) => !terminated.has(w)).length;
        window.Worker = NativeWorker;
        return result;
      });
      assert.equal(r.exitCode, 0);
      assert.equal(r.out, '0123456789abcdefghij');
      assert.equal(r.warm, 3);
      assert.equal(r.warmUsed, 3, 'the main thread and both spares ran in pre-started Workers');
      assert.ok(r.idleAfter >= 3, `the pool was refilled (${r.idleAfter} idle Workers)`);
      assert.equal(r.idleAfterZero, 0, 'prewarm(0) ends the idle Workers');
    } finally {
      await p.close();
    }
  });

  test('the demo page runs parallel.wasm end to end (screenshot in test-results/demo.png)', async () => {
    const p = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    try {
      await p.goto(server.url + '/examples/browser/?threads=4&steps=40');
      await p.waitForFunction(() => window.demoDone, null, { timeout: 20000 });
      const done = await p.evaluate(() => window.demoDone);
      assert.equal(done.exitCode, 0, done.error ?? done.text);
      assert.match(done.text, /^computing pi with 4 threads, 40000000 steps$/m);
      for (let t = 0; t < 4; t++) assert.match(done.text, new RegExp(`^thread ${t}: 100% \\(\\d+ ms\\)$`, 'm'));
      assert.match(done.text, /^pi = 3\.14159265\d+$/m);
      fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });
      await p.screenshot({ path: path.join(root, 'test-results', 'demo.png'), fullPage: true });
    } finally {
      await p.close();
    }
  });

  test("the demo's Stop button aborts a long run (run()'s signal): the page is usable again at once", async () => {
    const p = await browser.newPage();
    try {
      await p.goto(server.url + '/examples/browser/?threads=2&steps=100000');
      await p.waitForFunction(() => /computing pi/.test(document.getElementById('out').textContent), null, { timeout: 20000 });
      const t0 = Date.now();
      await p.click('#stopBtn');
      await p.waitForFunction(() => window.demoDone, null, { timeout: PROMPT_MS });
      assert.ok(Date.now() - t0 < PROMPT_MS);
      const r = await p.evaluate(() => ({
        aborted: window.demoDone.aborted, status: document.getElementById('status').textContent,
        runDisabled: document.getElementById('runBtn').disabled, stopDisabled: document.getElementById('stopBtn').disabled,
      }));
      assert.equal(r.aborted, true);
      assert.match(r.status, /^stopped after \d+ ms$/);
      assert.deepEqual([r.runDisabled, r.stopDisabled], [false, true]);
    } finally {
      await p.close();
    }
  });
});

test('nothing in the weft/browser import graph imports a Node built-in or a bare package', () => {
  const seen = new Set();
  const bad = [];
  const walk = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = fs.readFileSync(file, 'utf8');
    for (const m of src.matchAll(/\b(?:import|export)\s+(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) walk(path.resolve(path.dirname(file), spec));
      else bad.push(`${path.relative(root, file)} imports ${spec}`);
    }
  };
  // The published entry is a bundle (tools/bundle.mjs) naming its bundled worker; the unbundled modules tsc
  // wrote are checked too (deep imports, and the bundles' sources).
  walk(path.join(root, 'dist', 'browser.js'));
  assert.ok(seen.has(path.join(root, 'dist', 'host', 'browser', 'worker.bundle.js')), 'the worker bundle is part of the graph');
  walk(path.join(root, 'dist', 'host', 'browser', 'run.js'));
  assert.ok(seen.has(path.join(root, 'dist', 'host', 'browser', 'worker.js')), 'the worker entry is part of the graph');
  assert.deepEqual(bad, []);
  assert.ok(seen.size > 20, `only ${seen.size} modules found`);
});
