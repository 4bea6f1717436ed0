// Stress of short host connections to a WASIX server (issue 20.3): `weft run --net echo_detached N` (a
// detached wasm thread per connection) serves N connections from C concurrent Node clients over 127.0.0.1;
// each client connects, sends a request, waits for the whole echo, then ends. A connection is lost when the
// client sees an error, an early end or different bytes; the server counts threads that read end of file
// before any byte. Loopback only; bounded by --timeout.
//
//   node bench/stress-net.mjs [--connections 20000] [--concurrency 50] [--size 64] [--timeout 600] [--conn-timeout 60]
//                             [--json FILE] [--cli path/to/dist/cli/main.js]
// Prints one line every 5 s of progress to stderr and a summary (also as JSON with --json); exits 1 when
// a connection was lost or the run did not finish in time. `npm run stress` runs the defaults.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};

/**
 * Runs the stress; resolves with { connections, concurrency, lost, errors (first few), serverEarly,
 * serverLine, code, ms, timedOut }.
 */
export async function stressNet({
  connections = 20_000, concurrency = 50, size = 64, timeoutMs = 600_000, connTimeoutMs = 60_000,
  cli = path.join(root, 'dist', 'cli', 'main.js'),
  wasm = path.join(root, '.cache', 'fixtures', 'wasix', 'echo_detached.wasm'),
  progress = () => {},
} = {}) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'run', '--net', wasm, String(connections)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stderr.on('data', (b) => (err += b));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (b) => {
      out += b;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('close', () => reject(new Error(`server ended before printing its port: ${out}${err}`)));
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);

  let started = 0, finished = 0, lost = 0;
  const errors = [];
  const one = (id) => new Promise((resolve) => {
    const req = Buffer.alloc(size);
    for (let i = 0; i < size; i++) req[i] = (id * 7 + i * 31) & 0xff;
    const got = [];
    let n = 0, settled = false;
    const done = (why) => {
      if (settled) return;
      settled = true;
      if (why) {
        lost++;
        if (errors.length < 10) errors.push(`#${id}: ${why}`);
      }
      resolve();
    };
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(req));
    // A connection that stalls is lost too (and must not hold the whole run until its timeout).
    s.setTimeout(connTimeoutMs, () => {
      done(`no echo after ${connTimeoutMs} ms (${n} of ${size} bytes)`);
      s.destroy();
    });
    s.on('data', (b) => {
      got.push(b);
      n += b.length;
      if (n >= size) s.end();
    });
    s.on('error', (e) => done(`${e.code ?? e.message} after ${n} of ${size} echoed bytes`));
    s.on('close', () => {
      const echo = Buffer.concat(got);
      done(echo.equals(req) ? undefined : `closed after ${echo.length} of ${size} bytes${echo.length === size ? ' (bytes differ)' : ''}`);
    });
  });
  const worker = async () => {
    while (started < connections && !timedOut) {
      const id = started++;
      await one(id);
      finished++;
    }
  };
  const tick = setInterval(() => progress({ finished, lost, ms: performance.now() - t0 }), 5000);
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearInterval(tick);
  const end = await exited;
  clearTimeout(timer);
  const line = /served \d+, (\d+) ended before any byte, (\d+) errors/.exec(out);
  return {
    connections: finished, concurrency, size, lost, errors, serverEarly: line ? Number(line[1]) : undefined,
    serverErrors: line ? Number(line[2]) : undefined, serverOutput: out.trim().split('\n').slice(-5).join('\n'),
    stderr: err.slice(-2000), code: end.code, signal: end.signal, ms: Math.round(performance.now() - t0), timedOut,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await stressNet({
    connections: Number(opt('--connections', 20_000)),
    concurrency: Number(opt('--concurrency', 50)),
    size: Number(opt('--size', 64)),
    connTimeoutMs: Number(opt('--conn-timeout', 60)) * 1000,
    timeoutMs: Number(opt('--timeout', 600)) * 1000,
    cli: opt('--cli', undefined),
    progress: ({ finished, lost, ms }) => process.stderr.write(`  ${(ms / 1000).toFixed(0)} s: ${finished} done, ${lost} lost\n`),
  });
  console.log(`stress-net: ${r.connections} connections (${r.concurrency} concurrent, ${r.size} B each) in ${(r.ms / 1000).toFixed(1)} s` +
    `${r.timedOut ? ' (TIMED OUT)' : ''}: ${r.lost} lost; server: ${r.serverEarly ?? '?'} read end of file first, ` +
    `${r.serverErrors ?? '?'} errors, exit ${r.code ?? r.signal}`);
  for (const e of r.errors) console.log(`  ${e}`);
  if (r.code !== 0) console.log(r.serverOutput + (r.stderr ? `\n${r.stderr}` : ''));
  const json = opt('--json', undefined);
  if (json) fs.writeFileSync(json, JSON.stringify(r, null, 2));
  process.exit(r.lost === 0 && r.code === 0 && !r.timedOut ? 0 : 1);
}
