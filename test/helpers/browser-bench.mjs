// Browser benchmark: spawn+join latency and fd_write throughput of weft/browser in Chromium (playwright-core
// driving /usr/bin/chromium), next to the same programs under weft on Node for reference.
//
//   npm run build && node test/helpers/browser-bench.mjs [--json]
//
// Programs (WAT, assembled with wabt) time themselves with clock_time_get and print "@ <tag> <ns>" lines
// on fd 2, in the shape of bench/programs (spawn: 1 cold + SPAWN_WARM sequential spawn+join pairs;
// fd_write: FD_WRITES one-byte writes after a tenth as warm-up, on the main thread, then on a spawned one).
// fd_write targets: a stdout callback, and a file in the shared in-memory filesystem (/data/out.bin).
import { wat2wasm } from './wat.mjs';
import { header as sharedHeader, programs as benchPrograms, TAG } from '../../bench/programs/gen.mjs';
import { browserSkipReason, launchChromium, openHarness, startTestServer } from './browser.mjs';

const SPAWN_WARM = 250;
const FD_WRITES = 20000;
const ROUNDS = 5; // fresh run() per round; the median round is reported

// The Node benchmark's WAT prelude ($now, $utoa, $emit, $await, $signal, $spawn_or_trap) and tags,
// with the two imports these programs add.
const header = sharedHeader(true, 1, `
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))`);

/** 1 cold + n warm spawn+join pairs; each pair's ns on fd 2. */
const spawnProgram = (n) => `(module ${header}
  (func (export "wasi_thread_start") (param i32 i32) (call $signal (i32.const 0)))
  (func (export "_start") (local $i i32) (local $t0 i64)
    (loop $l
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (local.set $t0 (call $now (i32.const 16)))
      (call $spawn_or_trap (i32.const 0))
      (call $await (i32.const 0))
      (i64.store (i32.add (i32.const 4096) (i32.shl (local.get $i) (i32.const 3))) (i64.sub (call $now (i32.const 16)) (local.get $t0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.le_u (local.get $i) (i32.const ${n}))))
    (local.set $i (i32.const 0))
    (loop $p
      (call $emit (i32.const 2048) (select (i32.const ${TAG.spawnCold}) (i32.const ${TAG.spawnWarm}) (i32.eqz (local.get $i)))
        (i64.load (i32.add (i32.const 4096) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $p (i32.le_u (local.get $i) (i32.const ${n})))))
)`;

/**
 * n one-byte fd_writes (after n/10 warm-up) on main, then on a spawned thread. toFile: the fd is
 * path_open(3, "out.bin", CREAT|TRUNC, FD_WRITE) (the preopen /data), else 1 (stdout).
 */
const fdProgram = (n, toFile) => `(module ${header}
  (data (i32.const 96) "out.bin")
  (func $loop (param $n i32) (local $err i32) (local $fd i32)
    (local.set $fd (i32.load (i32.const 44)))
    (loop $l
      (local.set $err (i32.or (local.get $err) (call $write (local.get $fd) (i32.const 32) (i32.const 1) (i32.const 40))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (if (local.get $err) (then (call $exit (i32.add (i32.const 10) (local.get $err))))))
  (func $bench (param $buf i32) (param $tag i32) (param $scratch i32) (local $t0 i64)
    (call $loop (i32.const ${n / 10}))
    (local.set $t0 (call $now (local.get $scratch)))
    (call $loop (i32.const ${n}))
    (call $emit (local.get $buf) (local.get $tag) (i64.sub (call $now (local.get $scratch)) (local.get $t0))))
  (func (export "wasi_thread_start") (param i32 i32)
    (call $bench (i32.const 2304) (i32.const ${TAG.fdThread}) (i32.const 64))
    (call $signal (i32.const 0)))
  (func (export "_start")
    (i32.store (i32.const 32) (i32.const 48)) (i32.store (i32.const 36) (i32.const 1)) (i32.store8 (i32.const 48) (i32.const 10))
    ${toFile
      ? `(if (call $open (i32.const 3) (i32.const 0) (i32.const 96) (i32.const 7) (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 44))
           (then (call $exit (i32.const 3))))`
      : '(i32.store (i32.const 44) (i32.const 1))'}
    (call $bench (i32.const 2048) (i32.const ${TAG.fdMain}) (i32.const 16))
    (call $spawn_or_trap (i32.const 0))
    (call $await (i32.const 0)))
)`;

function parse(stderr) {
  const out = {};
  for (const m of stderr.matchAll(/^@ (\d+) (\d+)$/gm)) (out[m[1]] ??= []).push(Number(m[2]));
  return out;
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const us = (ns) => (ns / 1000).toFixed(1);

/** One round in the page: run() the program, return its stderr (and check the file size for memfs). */
function pageRound(page, url, memfs) {
  return page.evaluate(async ({ url, memfs }) => {
    const { run, MemoryFS } = window.weft;
    let stderr = '';
    const dec = new TextDecoder();
    const fs = memfs ? new MemoryFS({ '/data': null }) : undefined;
    let bytes = 0;
    const t0 = performance.now();
    const { exitCode } = await run(fetch(url), {
      stdout: (b) => (bytes += b.length), stderr: (b) => (stderr += dec.decode(b)),
      preopens: fs ? { '/data': fs.dir('/data') } : undefined,
    });
    const ms = performance.now() - t0;
    if (fs) bytes = fs.stat('/data/out.bin').size;
    return { exitCode, stderr, bytes: Number(bytes), ms };
  }, { url, memfs });
}

async function nodeRound(bytes) {
  // stderr to a file: with a callback, weft on Node can drop the last output of a thread at exit (the
  // coordinator ignores messages drained after it has started tearing down; see process/coordinator.ts).
  const { run } = await import('../../dist/index.js');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const file = path.join(os.tmpdir(), `weft-bench-${process.pid}.err`);
  const fd = fs.openSync(file, 'w+');
  try {
    const { exitCode } = await run(bytes, { stdout: 'ignore', stderr: fd });
    return { exitCode, stderr: fs.readFileSync(file, 'utf8') };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

export async function benchBrowser({ rounds = ROUNDS, node = true } = {}) {
  const reason = browserSkipReason();
  if (reason) throw new Error(`cannot run the browser benchmark: ${reason}`);
  const programs = {
    spawn: await wat2wasm(spawnProgram(SPAWN_WARM), 'bench-spawn'),
    fdStdout: await wat2wasm(fdProgram(FD_WRITES, false), 'bench-fd-stdout'),
    fdMemfs: await wat2wasm(fdProgram(FD_WRITES, true), 'bench-fd-memfs'),
    spawn2: await wat2wasm(benchPrograms['spawn2-shared'](), 'bench-spawn2'),
    hello: await wat2wasm(benchPrograms['hello-plain'](), 'bench-hello'),
  };
  const server = await startTestServer();
  for (const [k, v] of Object.entries(programs)) server.route(`/bench/${k}.wasm`, v, 'application/wasm');
  const browser = await launchChromium();
  const results = { chromium: browser.version(), rounds };
  try {
    const page = await openHarness(browser, server);
    const collect = async (key, round) => {
      const per = [];
      for (let i = 0; i < rounds; i++) {
        const r = await round();
        if (r.exitCode !== 0) throw new Error(`${key}: exit ${r.exitCode}: ${r.stderr}`);
        per.push({ ...parse(r.stderr), ms: r.ms === undefined ? undefined : [r.ms] });
      }
      return per;
    };
    const summarize = (per, { runTimes = false } = {}) => {
      const out = {};
      const warm = per.flatMap((p) => p[TAG.spawnWarm] ?? []);
      if (warm.length) {
        out.spawnColdUs = +us(median(per.map((p) => p[TAG.spawnCold][0])));
        // the second spawn+join of a process: does it find a booted worker?
        out.spawnSecondUs = +us(median(per.map((p) => p[TAG.spawnWarm][0])));
        out.spawnWarmMedianUs = +us(median(warm));
        out.spawnWarmMeanUs = +us(warm.reduce((a, b) => a + b, 0) / warm.length);
      }
      if (per[0][TAG.spawnFirst]) {
        out.firstSpawnUs = +us(median(per.map((p) => p[TAG.spawnFirst][0])));
        out.secondSpawnUs = +us(median(per.map((p) => p[TAG.spawnSecond][0])));
      }
      if (runTimes) {
        // run() to exit: the first round loads the worker script, later ones find it cached
        out.firstRunMs = +per[0].ms[0].toFixed(1);
        out.laterRunsMs = +median(per.slice(1).map((p) => p.ms[0])).toFixed(1);
      }
      if (per[0][TAG.fdMain]) {
        out.fdWriteMainNs = Math.round(median(per.map((p) => p[TAG.fdMain][0])) / FD_WRITES);
        out.fdWriteThreadNs = Math.round(median(per.map((p) => p[TAG.fdThread][0])) / FD_WRITES);
      }
      return out;
    };
    results.browser = {
      hello: summarize(await collect('hello', () => pageRound(page, '/bench/hello.wasm', false)), { runTimes: true }),
      spawn2: summarize(await collect('spawn2', () => pageRound(page, '/bench/spawn2.wasm', false))),
      spawn: summarize(await collect('spawn', () => pageRound(page, '/bench/spawn.wasm', false))),
      fdWriteStdoutCallback: summarize(await collect('fd stdout', () => pageRound(page, '/bench/fdStdout.wasm', false))),
      fdWriteMemfs: summarize(await collect('fd memfs', () => pageRound(page, '/bench/fdMemfs.wasm', true))),
    };
    // The same start-up and first spawns with Workers started ahead (weft/browser prewarm(3)); the pool is
    // refilled after each run(), so every round finds 3 started Workers (given a second to load them).
    await page.evaluate(() => window.weft.prewarm(3));
    const settled = (url) => async () => {
      await new Promise((r) => setTimeout(r, 1000));
      return pageRound(page, url, false);
    };
    results.browser.helloPrewarmed = summarize(await collect('hello prewarmed', settled('/bench/hello.wasm')), { runTimes: true });
    results.browser.spawn2Prewarmed = summarize(await collect('spawn2 prewarmed', settled('/bench/spawn2.wasm')));
    await page.evaluate(() => window.weft.prewarm(0));
    if (node) {
      results.node = {
        spawn2: summarize(await collect('node spawn2', () => nodeRound(programs.spawn2))),
        spawn: summarize(await collect('node spawn', () => nodeRound(programs.spawn))),
        fdWriteStdoutCallback: summarize(await collect('node fd stdout', () => nodeRound(programs.fdStdout))),
      };
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return results;
}

// (node --test runs every file under test/, this one included: only run when invoked directly.)
if (import.meta.url === `file://${process.argv[1]}` && !process.env.NODE_TEST_CONTEXT) {
  const r = await benchBrowser();
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`Chromium ${r.chromium}, median of ${r.rounds} runs; ${SPAWN_WARM} warm spawn+join pairs, ${FD_WRITES} one-byte fd_writes`);
    for (const [host, rows] of Object.entries({ chromium: r.browser, node: r.node ?? {} })) {
      for (const [name, v] of Object.entries(rows)) console.log(`${host.padEnd(8)} ${name.padEnd(22)} ${JSON.stringify(v)}`);
    }
  }
}
