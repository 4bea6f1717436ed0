// `npm run bench`: weft against its peers on the same wasm programs, in one run.
// Every measurement is a fresh child process (bench/child.mjs, or a CLI), run one at a time; the cases are
// interleaved round-robin over the repeats so a burst of load from other users of the machine spreads over
// all runtimes instead of landing on one. Reports, per case, the median over the processes and the min–max
// spread (the noise), and the ratio of medians against a reference row.
//
//   node bench/run.mjs [--repeats N] [--only spawn,ping,fd,clock,startup,liftoff,fs,napi,build,yield,wasix,net,proc,pool,browser] [--json FILE]
// (fs and napi take their parts one by one too: --only fsopen,fspstat,napilzma,...)
// (browser: weft/browser in Chromium via test/helpers/browser-bench.mjs, after the process cases; skipped
// with a note when Chromium is missing)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { config, CPU_TAG, generate, TAG } from './programs/gen.mjs';
import { DEEP, FS, FS_TAG } from './programs/fs.mjs';
import { YIELD, YIELD_TAG } from './programs/yield.mjs';
import { defineWasix } from './wasix/group.mjs';
import { defineProc } from './wasix/proc.mjs';
import { defineShell } from './wasix/shell.mjs';
import { defineNet } from './net/group.mjs';
import { checkNapiOutputs, defineNapi } from './napi/group.mjs';
import { benchTmp } from './data-dir.mjs';
import { defineBuild } from './build/group.mjs';
import { definePool } from './pool/group.mjs';
import { buildC } from './wasix/build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const REPEATS = Number(opt('--repeats', 5));
const ONLY = opt('--only', 'spawn,ping,fd,clock,startup,liftoff,fs,napi,build,wasix,net,proc,pool,browser').split(',');
const JSON_OUT = opt('--json', path.join(here, 'results', 'latest.json'));
// --ab DIR: every weft case runs a second time with the weft built in DIR (a checkout of another commit,
// with its dist/ built), as '<id>@ab', interleaved with the rest: before/after in one run
const AB = opt('--ab', undefined);
const TIMEOUT_MS = 60_000;

const prog = await generate();
const child = path.join(here, 'child.mjs');
const weftCli = path.join(root, 'dist', 'cli', 'main.js');
if (!fs.existsSync(weftCli)) throw new Error('dist/ missing: build first (npm run bench does)');

// Node flags. weft applies --no-liftoff itself (and its workers reject it on the command line: they are
// started with the parent's execArgv). emnapi needs it from its user on Node 20 (V8 < 12.4 Liftoff bug with
// memory.atomic.wait); without it wait loops can hang. --no-warnings only silences node:wasi's
// ExperimentalWarning. node:wasi runs without --no-turbo-fast-api-calls (it did not crash here).
const EMNAPI = ['--no-liftoff'];
const QUIET = ['--no-warnings'];

/**
 * A case: one child process per repeat. `metrics(lines, wallMs)` turns the "@ tag value" lines it printed
 * (and its wall time) into named numbers.
 */
const cases = [];
// a program's total(s) for `tag` -> per-call time (median of its timed loops)
const perCall = (tag, n, unit) => (l) => (l[tag]?.length ? { v: median(l[tag]) / n / unit } : {});
const def = (group, id, label, cmd, metrics, o = {}) => cases.push({ group, id, label, cmd, metrics, repeats: o.repeats ?? REPEATS, env: o.env, timeoutMs: o.timeoutMs });
const node = (flags, ...args) => [process.execPath, ...flags, ...args];
function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

const spawnMetrics = (l) => ({
  cold: l[TAG.spawnCold]?.[0] / 1e3,
  warm: median(l[TAG.spawnWarm] ?? []) / 1e3,
  call: median(l[TAG.spawnCall] ?? []) / 1e3,
  entry: median(l[TAG.spawnEntry] ?? []) / 1e3,
});
if (ONLY.includes('spawn')) {
  def('spawn', 'weft', 'weft run()', node([], child, 'weft', prog['spawn-shared']), spawnMetrics);
  def('spawn', 'emnapi', '@emnapi/wasi-threads, pool of 4, main wasm thread in a worker', node(EMNAPI, child, 'emnapi', prog['spawn-shared'], '-', 'precise'), spawnMetrics);
  def('spawn', 'emnapi-readme', `@emnapi/wasi-threads, README set-up (Worker per thread; ${config.spawnFew} pairs)`, node(EMNAPI, child, 'emnapi-readme', prog['spawn10-shared'], '-', 'precise'), spawnMetrics, { repeats: Math.min(REPEATS, 3) });
  // The limit: native pthreads (bench/programs/c/pthread_bench.c's spawn part, gcc -O2 -pthread), same run.
  const { native } = buildC('pthread_bench');
  const nat = (tag) => (l) => l[tag]?.[0] / 1e3;
  def('spawn', 'native', 'native: pthread_create+join, gcc -O2 -pthread (glibc)', [native, 'spawn', '300', '1000', '400'],
    (l) => ({ cold: nat(60)(l), warm: nat(61)(l), call: nat(68)(l), entry: nat(69)(l) }));
}
if (ONLY.includes('spawn')) {
  const m = (l) => ({ first: l[TAG.spawnFirst]?.[0] / 1e3, second: l[TAG.spawnSecond]?.[0] / 1e3 });
  def('spawn2', 'weft', 'weft run()', node([], child, 'weft', prog['spawn2-shared']), m);
  def('spawn2', 'emnapi', '@emnapi/wasi-threads, pool of 4, main wasm thread in a worker', node(EMNAPI, child, 'emnapi', prog['spawn2-shared'], '-', 'precise'), m);
}
if (ONLY.includes('ping')) {
  const m = perCall(TAG.ping, config.pingRounds, 1e3);
  def('ping', 'weft', 'weft run()', node([], child, 'weft', prog['pingpong-shared']), m);
  def('ping', 'emnapi', '@emnapi/wasi-threads (pool)', node(EMNAPI, child, 'emnapi', prog['pingpong-shared'], '-', 'precise'), m);
  def('ping', 'floor', 'JS floor: 2 workers, Atomics.wait/notify', node([], child, 'js-pingpong'), m);
}
for (const [key, kind, n, unit] of [['fd', 'fdwrite', config.fdWrite, 1e3], ['clock', 'clock', config.clock, 1]]) {
  if (!ONLY.includes(key)) continue;
  const [tm, tt] = key === 'fd' ? [TAG.fdMain, TAG.fdThread] : [TAG.clockMain, TAG.clockThread];
  const main = perCall(tm, n, unit);
  // *Cpu: the same loops in process CPU time (clock PROCESS_CPUTIME_ID), for node:wasi and weft; the other
  // peers' CPU clock is not one (wasm-util's is its wall clock)
  const mainCpu = (l) => ({ main: main(l).v, mainCpu: perCall(tm + CPU_TAG, n, unit)(l).v });
  const both = (l) => ({ ...mainCpu(l), thread: perCall(tt, n, unit)(l).v, threadCpu: perCall(tt + CPU_TAG, n, unit)(l).v });
  const out = key === 'fd' ? 'null' : '-';
  // wasm-util's own clock is only ms-resolution; for fd_write its clock just times the loop, so it is swapped
  // for a ns one. For the clock benchmark it is the thing measured (loops long enough for 1 ms to be ~1%).
  const clk = key === 'fd' ? 'precise' : '-';
  const plain = prog[`${kind}-plain`], shared = prog[`${kind}-shared`];
  def(key, 'node-wasi', 'node:wasi, main thread (plain module)', node(QUIET, child, 'node-wasi', plain, out), mainCpu);
  def(key, 'weft-plain', 'weft run(), main thread (plain module)', node([], child, 'weft', plain, out), mainCpu);
  def(key, 'weft-wasi', 'weft WASI class, main thread (plain module)', node([], child, 'weft-wasi', plain, out), mainCpu);
  def(key, 'wasm-util', '@tybys/wasm-util WASI, main thread (plain module)', node([], child, 'wasm-util', plain, out, clk), (l) => ({ main: main(l).v }));
  def(key, 'weft', 'weft run() (shared module)', node([], child, 'weft', shared, out), both);
  def(key, 'emnapi', 'emnapi + wasm-util (shared module)', node(EMNAPI, child, 'emnapi', shared, out, clk), (l) => ({ main: main(l).v, thread: perCall(tt, n, unit)(l).v }));
}
if (ONLY.includes('startup')) {
  const wall = (_l, ms) => ({ v: ms });
  const r = REPEATS * 2 + 2;
  const script = path.join(here, 'peers', 'hello-script.mjs');
  const hello = prog['hello-plain'];
  def('startup', 'node', 'node -e 0 (process floor)', node([], '-e', '0'), wall, { repeats: r });
  def('startup', 'node-wasi', 'node + node:wasi script, hello world', node(QUIET, script, 'node', hello), wall, { repeats: r });
  def('startup', 'weft-wasi', 'node + weft WASI class, same script', node(QUIET, script, 'weft', hello), wall, { repeats: r });
  def('startup', 'weft-cli', 'weft run hello.wasm (CLI, on its own thread)', node([], weftCli, 'run', hello), wall, { repeats: r });
  def('startup', 'weft-run', 'weft run() library, hello world in a worker', node([], child, 'weft', hello), wall, { repeats: r });
  def('startup', 'weft', 'weft run (CLI), threaded module: spawn+join 1 thread', node([], weftCli, 'run', prog['trivial-shared']), wall, { repeats: r });
  def('startup', 'emnapi', 'emnapi README set-up, same threaded module', node(EMNAPI, child, 'emnapi-readme', prog['trivial-shared']), wall, { repeats: r });
  // A napi-rs wasm32-wasi addon (@oxc-resolver/binding-wasm32-wasi, fetched by npm pack): load it, resolve 3
  // specifiers on the main thread and 3 in its worker threads; node:wasi against weft/napi/register.
  let napiPkg;
  try {
    napiPkg = (await import('../test/helpers/napi-package.mjs')).napiPackageDir();
  } catch (e) {
    console.log(`startup: napi cases skipped (${e.message})`);
  }
  if (napiPkg) {
    const app = [path.join(root, 'test', 'helpers', 'napi-resolve.cjs'), napiPkg, root, 'esbuild', 'typescript', './dist/index.js'];
    def('napi', 'napi-node', 'napi-rs addon (oxc-resolver), node:wasi', node(QUIET, ...app), wall, { repeats: r });
    def('napi', 'napi-weft', 'napi-rs addon (oxc-resolver), --import weft/napi/register', node(['--import', path.join(root, 'dist', 'napi-register.js')], ...app), wall, { repeats: r });
  }
}
if (ONLY.includes('yield')) {
  const one = (tag, scale = 1e6) => (l) => (l[tag]?.length ? l[tag][0] / scale : undefined);
  def('yieldspin', 'weft', 'weft run()', node([], child, 'weft', prog['yieldspin-shared']), (l) => ({
    alone: one(YIELD_TAG.alone)(l), spun: one(YIELD_TAG.spun)(l), ratio: one(YIELD_TAG.spun)(l) / one(YIELD_TAG.alone)(l) }));
  def('yieldping', 'weft', 'weft run()', node([], child, 'weft', prog['yieldping-shared']), (l) => ({ v: one(YIELD_TAG.ping, YIELD.pingRounds * 1e3)(l) }));
  def('yieldrare', 'weft', 'weft run()', node([], child, 'weft', prog['yieldrare-shared']), (l) => ({
    without: one(YIELD_TAG.rareWithout)(l), with: one(YIELD_TAG.rareWith)(l), ratio: one(YIELD_TAG.rareWith)(l) / one(YIELD_TAG.rareWithout)(l) }));
}
if (ONLY.includes('liftoff')) {
  const m = (l) => ({ compile: l[40]?.[0] / 1e6, firstCalls: l[41]?.[0] / 1e6 });
  const probe = path.join(here, 'peers', 'compile.mjs');
  const r = Math.min(REPEATS, 3);
  def('liftoff', 'liftoff', 'default (Liftoff, lazy compilation)', node([], probe, prog['big-shared']), m, { repeats: r });
  def('liftoff', 'no-liftoff', '--no-liftoff (what weft sets on V8 < 12.4)', node(['--no-liftoff'], probe, prog['big-shared']), m, { repeats: r });
}

// WASIX pthreads: a C program built against wasix-libc (weft) and with gcc (native), see wasix/group.mjs.
const wasixGroups = ONLY.includes('wasix') ? defineWasix({ def, node, weftCli, median }) : {};
// WASIX processes: fork/posix_spawn + waitpid latency against native, see wasix/proc.mjs.
const procGroups = ONLY.includes('proc') ? { ...defineProc({ def, node, weftCli }), ...defineShell({ def, node, weftCli }) } : {};
// Loopback TCP: net_bench.c under weft and natively, see net/group.mjs.
const netGroups = ONLY.includes('net') ? defineNet({ def, node, weftCli }) : {};
// The Worker pool: bursts of spawns, the end of a program with many idle workers, RSS over many spawns.
const poolGroups = ONLY.includes('pool') ? definePool({ def, node }) : {};
// Real napi-rs packages (tar, rolldown, lzma) under weft/napi/register against node:wasi, see napi/group.mjs.
const napi = ONLY.some((o) => o.startsWith('napi')) ? defineNapi({ def, node, repeats: REPEATS, only: ONLY }) : undefined;
// A make-like C workload over 5,000 files: node:wasi, weft (WASI class, run(), CLI) and native, see build/group.mjs.
const build = ONLY.includes('build') ? defineBuild({ def, node, child, weftCli }) : undefined;

// Filesystem: the programs of programs/fs.mjs on a prepared host directory (preopen /sandbox = fd 3), weft
// against node:wasi on the same plain module, and weft's shared module on its main and a spawned thread.
// (`--only fs` runs every kind; `--only fsopen,fspstat` only those)
let fsDir;
const FS_KINDS = [['write', 1e3], ['read', 0], ['open', 1e3], ['readdir', 1e6], ['pstat', 1e3], ['pstat7', 1e3],
  ['fstat', 1e3], ['seek', 1e3], ['readlink', 1e3], ['mkdir', 1e3]].filter(([k]) => ONLY.includes('fs') || ONLY.includes(`fs${k}`));
if (FS_KINDS.length) {
  fsDir = prepareFsData();
  const env = { ...process.env, WEFT_BENCH_DIR: fsDir };
  for (const [kind, unit] of FS_KINDS) {
    const tm = FS_TAG[`${kind}Main`], tt = FS_TAG[`${kind}Thread`];
    // read: GB/s (bytes per ns) of one pass over the file; the others: time per call (or per listing)
    const metric = (tag) => (l) => (unit ? perCall(tag, FS[kind], unit)(l).v : l[tag]?.length ? FS.readBytes / (median(l[tag]) / FS.read) : undefined);
    const plain = prog[`fs${kind}-plain`], shared = prog[`fs${kind}-shared`];
    const main = (l) => ({ main: metric(tm)(l), mainCpu: metric(tm + CPU_TAG)(l) });
    def(`fs${kind}`, 'node-wasi', 'node:wasi, main thread (plain module)', node(QUIET, child, 'node-wasi', plain), main, { env });
    def(`fs${kind}`, 'weft-plain', 'weft run(), main thread (plain module)', node([], child, 'weft', plain), main, { env });
    def(`fs${kind}`, 'weft', 'weft run() (shared module)', node([], child, 'weft', shared), (l) => ({ ...main(l), thread: metric(tt)(l), threadCpu: metric(tt + CPU_TAG)(l) }), { env });
  }
}

/** big.bin (FS.readBytes of pseudo-random bytes), small.txt, d10k/ with FS.dirEntries empty files. */
function prepareFsData() {
  const dir = fs.mkdtempSync(path.join(benchTmp(), 'weft-bench-fs-'));
  const chunk = Buffer.alloc(1 << 20);
  let x = 0x9e3779b9;
  for (let i = 0; i < chunk.length; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    chunk.writeInt32LE(x | 0, i);
  }
  const fd = fs.openSync(path.join(dir, 'big.bin'), 'w');
  for (let i = 0; i < FS.readBytes / chunk.length; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'small.txt'), 'small\n');
  fs.mkdirSync(path.join(dir, 'd10k'));
  for (let i = 0; i < FS.dirEntries; i++) fs.writeFileSync(path.join(dir, 'd10k', `entry-${String(i).padStart(5, '0')}`), '');
  fs.symlinkSync('small.txt', path.join(dir, 'link'));
  fs.mkdirSync(path.join(dir, path.dirname(DEEP)), { recursive: true });
  fs.writeFileSync(path.join(dir, DEEP), 'small\n');
  return dir;
}

// The child's stderr (where the programs print) is a file: a pipe could fill up, or be non-blocking and
// give the writers EAGAIN, and reading it would cost this process CPU while the child runs.
const errFile = path.join(os.tmpdir(), `weft-bench-${process.pid}.err`);
function runOnce(cmd, env, timeoutMs = TIMEOUT_MS) {
  return new Promise((resolve) => {
    const errFd = fs.openSync(errFile, 'w+');
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd[0], cmd.slice(1), { cwd: root, stdio: ['ignore', 'ignore', errFd], env });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      fs.closeSync(errFd);
      const err = fs.readFileSync(errFile, 'utf8');
      const lines = {};
      const other = [];
      for (const line of err.split('\n')) {
        const m = /^@ (\d+) (\d+)$/.exec(line);
        if (m) (lines[m[1]] ??= []).push(Number(m[2]));
        else if (line.trim()) other.push(line);
      }
      resolve({ code, signal, ms, lines, other });
    });
  });
}

if (AB) {
  const abDist = path.join(path.resolve(AB), 'dist');
  if (!fs.existsSync(path.join(abDist, 'index.js'))) throw new Error(`--ab ${AB}: no dist/index.js there (build it first)`);
  const ours = path.join(root, 'dist');
  for (const c of [...cases]) {
    if (!c.id.startsWith('weft')) continue;
    const cmd = c.cmd.map((a) => (a.startsWith(ours + path.sep) ? abDist + a.slice(ours.length) : a));
    const i = cases.indexOf(c);
    cases.splice(i + 1, 0, { ...c, id: `${c.id}@ab`, label: `${c.label} [base: ${AB}]`, cmd, env: { ...(c.env ?? process.env), WEFT_DIST: abDist } });
  }
}

const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
const cpuField = (name) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo)?.[1];
const machine = {
  date: new Date().toISOString(),
  nproc: os.availableParallelism?.() ?? os.cpus().length,
  cpu: `${cpuField('model name') ?? os.cpus()[0]?.model} (family ${cpuField('cpu family')}, model ${cpuField('model')}, ${Math.round(Number(cpuField('cpu MHz')))} MHz${/ hypervisor/.test(cpuField('flags') ?? '') ? ', VM' : ''})`,
  node: process.version,
  v8: process.versions.v8,
  loadavgStart: os.loadavg(),
};
console.log(`weft benchmarks — ${machine.date}, ${machine.nproc} cpus (${machine.cpu}), Node ${machine.node} (V8 ${machine.v8})`);
console.log(`load average at start: ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}; ${cases.length} cases, up to ${REPEATS} processes each\n`);

const started = Date.now();
const results = new Map(cases.map((c) => [c, []]));
const failures = [];
const maxRepeats = Math.max(...cases.map((c) => c.repeats));
for (let r = 0; r < maxRepeats; r++) {
  for (const c of cases) {
    if (r >= c.repeats) continue;
    const res = await runOnce(c.cmd, c.env, c.timeoutMs);
    c.seconds = (c.seconds ?? 0) + res.ms / 1000;
    if (res.code !== 0) {
      failures.push(`${c.group}/${c.id} #${r}: exit ${res.code ?? res.signal}\n    ${res.other.slice(-5).join('\n    ')}`);
      continue;
    }
    results.get(c).push(c.metrics(res.lines, res.ms));
  }
  process.stderr.write(`  round ${r + 1}/${maxRepeats} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}
fs.rmSync(errFile, { force: true });
if (fsDir) fs.rmSync(fsDir, { recursive: true, force: true });
napi?.cleanup();
build?.cleanup();
machine.loadavgEnd = os.loadavg();
machine.seconds = (Date.now() - started) / 1000;

// name, unit, how to print, and which (case id, metric) each ratio is against
const groups = {
  spawn: { title: 'Thread spawn+join (wasi-threads, shared module)', unit: 'µs', metrics: {
    cold: ['cold: first spawn+join of the process', 'native'],
    warm: [`warm: median of ${config.spawnWarm} sequential spawn+join pairs (per process; native: 300)`, 'native'],
    call: ['warm: thread-spawn call returns', 'native'],
    entry: ['warm: child starts running', 'native'],
  } },
  spawn2: { title: 'First and second spawn of a process: two thread-spawns back to back at the start of _start; time until each child runs', unit: 'µs', metrics: {
    first: ['first child running', 'weft'], second: ['second child running', 'weft'],
  } },
  ping: { title: `Futex ping-pong, per round trip (${config.pingRounds} rounds after ${config.pingWarmupMs} ms of warm-up rounds)`, unit: 'µs', metrics: { v: ['round trip', 'floor'] } },
  fd: { title: `fd_write of 1 byte to /dev/null, per call (median of ${config.syscallReps} loops of ${config.fdWrite} calls, after one warm-up loop)`, unit: 'µs', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  clock: { title: `clock_time_get(monotonic), per call (median of ${config.syscallReps} loops of ${config.clock} calls, after one warm-up loop)`, unit: 'ns', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  startup: { title: 'Start-up: process start to exit (wall time from the parent)', unit: 'ms', metrics: { v: ['end to end', 'node-wasi'] } },
  napi: { title: 'A napi-rs wasm32-wasi addon: load @oxc-resolver/binding-wasm32-wasi, resolve 3 specifiers in the main thread and 3 in its workers (process wall time)', unit: 'ms', metrics: { v: ['end to end', 'napi-node'] } },
  fswrite: { title: `fd_write of 1 byte to a host file, per call (median of ${FS.reps} loops of ${FS.write} calls, after one warm-up loop)`, unit: 'µs', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  fsread: { title: `Sequential read of a ${FS.readBytes >> 20} MiB file in ${FS.readChunk >> 10} KiB fd_reads (page cache), throughput of one pass (median of ${FS.reps} passes, after one warm-up pass)`, unit: 'GB/s', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  fsopen: { title: `path_open + fd_close of an existing file, per pair (median of ${FS.reps} loops of ${FS.open}, after one warm-up loop)`, unit: 'µs', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  fsreaddir: { title: `fd_readdir: a whole listing of a ${FS.dirEntries}-entry directory (64 KiB buffer), per listing (median of ${FS.reps} loops of ${FS.readdir}, after one warm-up loop)`, unit: 'ms', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  fspstat: { title: `path_filestat_get of a file in the preopen, per call (median of ${FS.reps} loops of ${FS.pstat}, after one warm-up loop)`, unit: 'µs', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  fspstat7: { title: `path_filestat_get of ${DEEP} (7 components), per call (median of ${FS.reps} loops of ${FS.pstat7}, after one warm-up loop)`, unit: 'µs', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  fsfstat: { title: `fd_filestat_get of an open file, per call (median of ${FS.reps} loops of ${FS.fstat}, after one warm-up loop)`, unit: 'µs', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  fsseek: { title: `fd_seek(3, SET) of an open file, per call (median of ${FS.reps} loops of ${FS.seek}, after one warm-up loop)`, unit: 'µs', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  fsreadlink: { title: `path_readlink of a symlink, per call (median of ${FS.reps} loops of ${FS.readlink}, after one warm-up loop)`, unit: 'µs', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  fsmkdir: { title: `path_create_directory + path_remove_directory, per pair (median of ${FS.reps} loops of ${FS.mkdir}, after one warm-up loop)`, unit: 'µs', metrics: {
    main: ['main thread', 'node-wasi'], thread: ['spawned thread', 'node-wasi:main'],
    mainCpu: ['main thread, process CPU time', 'node-wasi'], threadCpu: ['spawned thread, process CPU time', 'node-wasi:mainCpu'],
  } },
  yieldspin: { title: `sched_yield spinners: a computation on the main thread alone, then while ${YIELD.spinners} threads spin on sched_yield`, unit: 'ms', metrics: {
    alone: ['computation alone', 'weft'], spun: ['the same with the spinners', 'weft'], ratio: ['with spinners / alone (x)', 'weft'],
  } },
  yieldping: { title: `Ping-pong between two threads that wait by spinning on sched_yield, per round trip (${YIELD.pingRounds} rounds)`, unit: 'µs', metrics: {
    v: ['round trip', 'weft'],
  } },
  yieldrare: { title: `A computation in ${YIELD.rareChunks} chunks of ${YIELD.rareChunk} iterations, without and with a sched_yield after each chunk`, unit: 'ms', metrics: {
    without: ['without yields', 'weft'], with: ['with a yield per chunk', 'weft'], ratio: ['with / without (x)', 'weft'],
  } },
  liftoff: { title: `Compile a ${config.bigFunctions}-function module (${(fs.statSync(prog['big-shared']).size / 1024).toFixed(0)} KiB, shared memory)`, unit: 'ms', metrics: {
    compile: ['WebAssembly.compile', 'liftoff'], firstCalls: ['instantiate + first call of every function', 'liftoff'],
  } },
};
Object.assign(groups, wasixGroups, netGroups, procGroups, napi?.groups, build?.groups, poolGroups);

const summary = [];
const fmt = (x) => (!Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const lookup = (group, id, metric) => summary.find((s) => s.group === group && s.id === id && s.metric === metric)?.median;
for (const [gname, g] of Object.entries(groups)) {
  for (const [metric, [what]] of Object.entries(g.metrics)) {
    for (const c of cases.filter((c) => c.group === gname)) {
      const vals = results.get(c).map((m) => m[metric]).filter((x) => Number.isFinite(x));
      if (!vals.length) continue;
      summary.push({ group: gname, id: c.id, label: c.label, metric, what, unit: g.unit, median: median(vals),
        min: Math.min(...vals), max: Math.max(...vals), n: vals.length, values: vals });
    }
  }
}
let md = '';
for (const [gname, g] of Object.entries(groups)) {
  const rows = summary.filter((s) => s.group === gname);
  if (!rows.length) continue;
  md += `\n### ${g.title}\n\n| case | runtime | median ${g.unit} | min–max | n | ratio |\n|---|---|---:|---:|---:|---:|\n`;
  for (const s of rows) {
    const [, refSpec] = g.metrics[s.metric];
    const [refId, refMetric = s.metric] = refSpec.split(':');
    const ref = lookup(gname, refId, refMetric);
    const refLabel = `${refId}${refMetric !== s.metric ? ' ' + refMetric : ''}`;
    const ratio = ref ? `${(s.median / ref).toFixed(2)}x ${refLabel}` : '';
    md += `| ${s.what} | ${s.label} | ${fmt(s.median)} | ${fmt(s.min)}–${fmt(s.max)} | ${s.n} | ${s.id === refId && refMetric === s.metric ? '(ref)' : ratio} |\n`;
  }
}
console.log(md);
if (napi) {
  const { problems, groups: checked } = checkNapiOutputs(results);
  failures.push(...problems);
  if (!problems.length) console.log(`napi: every process's output identical within each group (${checked.join(', ')})\n`);
}
if (build) failures.push(...build.check(results));
if (failures.length) console.log(`failures:\n  ${failures.join('\n  ')}\n`);
const slow = [...cases].sort((a, b) => b.seconds - a.seconds).slice(0, 4).map((c) => `${c.group}/${c.id} ${c.seconds.toFixed(0)} s`);
console.log(`load average at end: ${machine.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}; took ${machine.seconds.toFixed(0)} s (slowest: ${slow.join(', ')})`);

// Chromium: start-up of run() (hello world), first/second spawn of a process, warm spawn+join, fd_write.
let browser;
if (ONLY.includes('browser')) {
  const { benchBrowser } = await import('../test/helpers/browser-bench.mjs');
  const { browserSkipReason } = await import('../test/helpers/browser.mjs');
  const skip = browserSkipReason();
  if (skip) console.log(`browser: skipped (${skip})`);
  else {
    browser = await benchBrowser({ rounds: Math.max(REPEATS, 3) });
    console.log(`\n### Browser (Chromium ${browser.chromium}; median of ${browser.rounds} run() calls in one page; weft on Node for reference)\n`);
    for (const [host, rows] of Object.entries({ chromium: browser.browser, node: browser.node ?? {} })) {
      for (const [name, v] of Object.entries(rows)) console.log(`${host.padEnd(8)} ${name.padEnd(22)} ${JSON.stringify(v)}`);
    }
  }
}
fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
fs.writeFileSync(JSON_OUT, JSON.stringify({ machine, config, summary, failures, browser }, null, 1) + '\n');
