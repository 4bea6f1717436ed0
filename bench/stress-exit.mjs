// Stress of every way a process ends (issue 20.1): each case runs the weft CLI many times, the program writes
// "E" on stdout right before its ending event (proc_exit in main or a thread, _start returning, a trap in
// main or a thread, a signal's default action, SIGKILL of a child process, the root of a tree returning),
// and the harness times the end of the CLI process from that byte. A run still alive HANG_MS after its start
// is killed and counted as a hang. Bounded: at most --runs runs per case, one --timeout per run.
//
//   node bench/stress-exit.mjs [--runs 200] [--concurrency 2] [--busy 0] [--only exit-main,trap-thread,...]
//                              [--json FILE] [--cli path/to/dist/cli/main.js]
// --busy K starts K busy loops (sh -c 'while :; do :; done') beside the runs and kills them at the end.
// Prints, per case: runs, hangs, wrong exit codes, and the end-after-event time (median, p99, max).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { watFile } from '../test/helpers/wat.mjs';
import * as P from '../test/fixtures/wat-threads.mjs';
import { buildC } from './wasix/build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
// --cli: another build of weft's CLI (e.g. a copy of dist/ kept aside while the tree is rebuilt)
const cli = opt('--cli', path.join(root, 'dist', 'cli', 'main.js'));
const RUNS = Number(opt('--runs', 200));
const CONCURRENCY = Number(opt('--concurrency', 2));
const BUSY = Number(opt('--busy', 0));
const HANG_MS = Number(opt('--timeout', 30_000));
const ONLY = opt('--only', '')?.split(',').filter(Boolean);
const JSON_OUT = opt('--json', undefined);

/** name -> { args, stdin, code (expected exit code), check(stdout) } */
const cases = [];
const add = (name, args, code, o = {}) => {
  if (!ONLY.length || ONLY.some((p) => name.startsWith(p))) cases.push({ name, args, code, ...o });
};
for (const state of Object.keys(P.blockers)) {
  const stdin = state === 'wasi_read' ? 'pipe-open' : undefined;
  add(`exit-main/${state}`, ['run', await watFile(P.exitMain(state, true), `stress-exit-main-${state}`)], 99, { stdin });
  add(`exit-thread/${state}`, ['run', await watFile(P.exitNonMain(state, true), `stress-exit-thread-${state}`)], 99, { stdin });
  add(`return-main/${state}`, ['run', await watFile(P.returnMain(state, true), `stress-return-main-${state}`)], 0, { stdin });
  add(`trap-main/${state}`, ['run', await watFile(P.trapMain(state), `stress-trap-main-${state}`)], 134, { stdin });
  add(`trap-thread/${state}`, ['run', await watFile(P.trapNonMainMarked(state), `stress-trap-thread-${state}`)], 134, { stdin });
}
if (!ONLY.length || ONLY.some((p) => ['signal', 'killtree', 'treeend'].some((n) => n.startsWith(p) || p.startsWith(n)))) {
  const { wasm } = buildC('exit_paths');
  const dir = path.dirname(wasm), self = `/bin/${path.basename(wasm)}`;
  const run = (mode) => ['run', '--dir', `${dir}::/bin`, wasm, mode, self];
  add('signal/raise-sigterm', run('raise'), 128 + 15);
  add('killtree/sigkill-child', run('killtree'), 0, { check: (out) => /killtree: waited [\d.]+ ms, signal 9/.test(out) });
  add('treeend/root-returns', run('treeend'), 0);
}

// one kind of end after another (all states of exit-main first: the case seen hanging in CI)
const kinds = ['exit-main', 'exit-thread', 'return-main', 'trap-main', 'trap-thread', 'signal', 'killtree', 'treeend'];
cases.sort((a, b) => kinds.indexOf(a.name.split('/')[0]) - kinds.indexOf(b.name.split('/')[0]));

function once(c) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, ...c.args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '', tEvent;
    child.stdout.on('data', (b) => {
      if (tEvent === undefined && b.includes(69)) tEvent = performance.now();
      out += b;
    });
    child.stderr.on('data', (b) => (err += b));
    if (c.stdin !== 'pipe-open') child.stdin.end();
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HANG_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      const tEnd = performance.now();
      const waited = /killtree: waited ([\d.]+) ms/.exec(out);
      resolve({
        hung, code, signal, total: tEnd - t0, afterEvent: tEvent === undefined ? undefined : tEnd - tEvent,
        // killtree: the kill -> waitpid time the program measured is the event's latency
        latency: waited ? Number(waited[1]) : tEvent === undefined ? undefined : tEnd - tEvent,
        ok: !hung && code === c.code && (c.check ? c.check(out) : true),
        detail: `${out.slice(-200)}${err.slice(-400)}`,
      });
    });
  });
}

const busy = [];
for (let i = 0; i < BUSY; i++) busy.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
const stopBusy = () => busy.forEach((b) => b.kill('SIGKILL'));
process.on('exit', stopBusy);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};
console.log(`stress-exit: ${cases.length} cases x ${RUNS} runs, ${CONCURRENCY} at a time, ${BUSY} busy loops; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const report = [];
const started = Date.now();
for (const c of cases) {
  const res = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < RUNS) {
      next++;
      const r = await once(c);
      res.push(r);
      if (res.length % 50 === 0) process.stderr.write(`  ${c.name}: ${res.length} runs, ${res.filter((x) => x.hung).length} hung\n`);
    }
  }));
  const lat = res.map((r) => r.latency).filter((x) => x !== undefined);
  const row = {
    case: c.name, runs: res.length, hangs: res.filter((r) => r.hung).length, bad: res.filter((r) => !r.ok && !r.hung).length,
    median: pct(lat, 0.5), p99: pct(lat, 0.99), max: Math.max(...lat), over1s: lat.filter((x) => x > 1000).length,
    load: os.loadavg()[0],
  };
  report.push(row);
  // written after every case, so that a run stopped early keeps what it measured
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify({ date: new Date().toISOString(), runs: RUNS, concurrency: CONCURRENCY, busy: BUSY, cpus: os.availableParallelism(), report }, null, 1) + '\n');
  const firstBad = res.find((r) => !r.ok);
  console.log(`${c.name.padEnd(26)} runs ${row.runs} hangs ${row.hangs} bad ${row.bad} end-after-event ms: median ${row.median?.toFixed(0)} p99 ${row.p99?.toFixed(0)} max ${row.max.toFixed(0)} (>1 s: ${row.over1s}) load ${row.load.toFixed(1)}`
    + (firstBad ? `\n    first bad: ${firstBad.hung ? 'hung' : `exit ${firstBad.code ?? firstBad.signal}`}: ${firstBad.detail.replace(/\n/g, '\n    ')}` : ''));
}
stopBusy();
const total = report.reduce((a, r) => ({ hangs: a.hangs + r.hangs, bad: a.bad + r.bad, over1s: a.over1s + r.over1s }), { hangs: 0, bad: 0, over1s: 0 });
console.log(`stress-exit: ${total.hangs} hangs, ${total.bad} wrong results, ${total.over1s} ends > 1 s after the event; ${((Date.now() - started) / 1000).toFixed(0)} s; load at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify({ date: new Date().toISOString(), runs: RUNS, concurrency: CONCURRENCY, busy: BUSY, cpus: os.availableParallelism(), report }, null, 1) + '\n');
process.exitCode = total.hangs || total.bad ? 1 : 0;
