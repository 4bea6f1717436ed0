// One case of the "pool" group (bench/pool/group.mjs), in this fresh process; prints "@ <tag> <value>" lines
// on stderr as the other benchmark programs do. Runs test/fixtures/c/wasix/spawn_loop.c's build:
//
//   node bench/pool/measure.mjs burst <weft|native> <spawn_loop.wasm|native> N ROUNDS
//       per round, the longest time from a pthread_create call to its thread's start; @ 90 cold round (µs),
//       @ 91 the worst of the warm rounds (from the third on), in µs
//   node bench/pool/measure.mjs teardown <weft|native> <program> N
//       N threads alive at once, joined, then the program returns: @ 92 ms from its last line to the end
//       of the process (weft: the CLI)
//   node bench/pool/measure.mjs blocked <weft|native> <program> N
//       N threads blocked (futex waits, sleeps), then exit(3): @ 95 ms from its last line to the end of the process
//   node bench/pool/measure.mjs rss weft <program> N
//       N sequential spawn+join under run() in this process: @ 93 RSS growth (KiB) from the 2,000th spawn to
//       the largest RSS seen after it, @ 94 µs per spawn+join over the whole run
//   node bench/pool/measure.mjs conns <weft|node> <program|-> N
//       an echo server in this process (weft: test/fixtures/c/wasix/echo_detached.c under run(), a detached
//       thread per connection; node: node:net), N sequential connections from a client process
//       (test/helpers/echo-clients.mjs): @ 96 RSS growth (KiB) from the 200th connection to the largest RSS
//       seen after it, @ 97 connections lost, @ 98 Workers weft constructed
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// WEFT_DIST: another build of weft (bench/run.mjs --ab: the same cases against a base build)
const dist = process.env.WEFT_DIST ?? path.join(root, 'dist');
const cli = path.join(dist, 'cli', 'main.js');
const weftIndex = path.join(dist, 'index.js');
const [what, runtime, program, ...rest] = process.argv.slice(2);
const emit = (tag, v) => process.stderr.write(`@ ${tag} ${Math.round(v)}\n`);

/** Runs the program (CLI or native), calling onLine(text, msSinceStart) per stdout line; resolves with the close time. */
function runLines(args, onLine, okCode = 0) {
  return new Promise((resolve, reject) => {
    const cmd = runtime === 'weft' ? [process.execPath, cli, 'run', program, ...args] : [program, ...args];
    const t0 = performance.now();
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    // before bench/run.mjs's own 60 s limit kills this process (and would leave the child running)
    const limit = setTimeout(() => child.kill('SIGKILL'), 50_000);
    let buf = '';
    child.stdout.on('data', (b) => {
      buf += b;
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) onLine(buf.slice(0, i), performance.now() - t0);
    });
    child.on('close', (code) => {
      clearTimeout(limit);
      if (code === okCode) resolve(performance.now() - t0);
      else reject(new Error(`exit ${code}`));
    });
  });
}

if (what === 'burst') {
  const rounds = [];
  await runLines(['burst', ...rest], (l) => {
    const m = /round (\d+) max_ms ([\d.]+)/.exec(l);
    if (m) rounds.push(Number(m[2]) * 1000);
  });
  emit(90, rounds[0]);
  emit(91, Math.max(...rounds.slice(2)));
} else if (what === 'teardown') {
  let last;
  const end = await runLines(['idle', ...rest], (l, t) => {
    if (l.startsWith('idle:')) last = t;
  });
  emit(92, end - last);
} else if (what === 'blocked') {
  // exit() while N threads are blocked (futex waits, sleeps): the program's last line to the end of the process
  let last;
  const end = await runLines(['blocked', ...rest], (l, t) => {
    if (l.startsWith('blocked:')) last = t;
  }, 3);
  emit(95, end - last);
} else if (what === 'rss') {
  const { run } = await import(weftIndex);
  const marks = [];
  let buf = '';
  const t0 = performance.now();
  const result = await run(fs.readFileSync(program), {
    args: ['spawn_loop', 'seq', ...rest],
    stdout: (d) => {
      buf += Buffer.from(d).toString();
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) if (buf.startsWith('mark ')) marks.push(process.memoryUsage().rss / 1024);
    },
  });
  const code = typeof result === 'object' ? result.exitCode : result; // run() resolves with { exitCode }
  if (code !== 0 || marks.length < 3) throw new Error(`exit ${code}, ${marks.length} marks`);
  emit(93, Math.max(...marks.slice(1)) - marks[1]);
  emit(94, ((performance.now() - t0) * 1000) / Number(rest[0]));
} else if (what === 'conns') {
  const n = Number(rest[0]);
  const clients = path.join(root, 'test', 'helpers', 'echo-clients.mjs');
  const marks = [];
  let lost = -1, workers = 0;
  /** Starts the client process against the port; resolves when it has made its N connections. */
  const drive = (port) => new Promise((resolve) => {
    const child = spawn(process.execPath, [clients, String(port), String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      for (let i; (i = out.indexOf('\n')) >= 0; out = out.slice(i + 1)) {
        const l = out.slice(0, i);
        if (l.startsWith('conn ')) marks.push(process.memoryUsage().rss / 1024);
        else if (l.startsWith('lost ')) lost = Number(l.slice(5));
      }
    });
    child.on('close', resolve);
  });
  if (runtime === 'weft') {
    // Count the Workers weft constructs (it takes worker_threads from process.getBuiltinModule, this object).
    const wt = await import('node:worker_threads');
    const Real = wt.default.Worker;
    wt.default.Worker = class extends Real {
      constructor(...a) {
        super(...a);
        workers++;
      }
    };
    const { run } = await import(weftIndex);
    let buf = '', done;
    const result = await run(fs.readFileSync(program), {
      args: ['echo_detached', String(n)], net: true,
      stdout: (d) => {
        buf += Buffer.from(d).toString();
        for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
          const port = /^port (\d+)/.exec(buf.slice(0, i))?.[1];
          if (port) done = drive(Number(port));
        }
      },
    });
    await done;
    if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}`);
  } else {
    const net = await import('node:net');
    const server = net.createServer((s) => {
      s.on('data', (b) => s.write(b));
      s.on('end', () => s.end());
      s.on('error', () => {});
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    await drive(server.address().port);
    server.close();
  }
  if (marks.length < 3) throw new Error(`${marks.length} marks`);
  emit(96, Math.max(...marks.slice(2)) - marks[1]);
  emit(97, lost);
  emit(98, workers);
}
process.exit(0);
