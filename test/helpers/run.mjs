// Runs the weft CLI as a child process and reports exit code, output and how long it took.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/**
 * @param {string[]} args arguments after `weft`
 * @param {{stdin?: string|Buffer|'pipe-open', timeoutMs?: number, env?: object}} opts  (timeoutMs: default 60 s)
 */
export function weft(args, opts = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    const out = [], err = [];
    let firstOut;
    child.stdout.on('data', (b) => {
      firstOut ??= performance.now() - t0;
      out.push(b);
    });
    child.stderr.on('data', (b) => err.push(b));
    let timedOut = false;
    // A generous default: a hang is still caught, and a loaded 2-core machine (worker boots take seconds
    // at load 10+) does not turn a slow start into a failure.
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 60000);
    if (opts.stdin === 'pipe-open') {
      // keep stdin open (never write, never end) to prove nothing blocks on it
    } else if (opts.stdin !== undefined) {
      child.stdin.end(opts.stdin);
    } else {
      child.stdin.end();
    }
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({
        // firstOutMs: when the first stdout bytes arrived (a program's marker before an event: ms - firstOutMs
        // is how long the process took to end after it)
        code, signal, timedOut, ms: performance.now() - t0, firstOutMs: firstOut,
        stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(),
      });
    });
  });
}

/**
 * Starts `weft ...args` as a server that prints `port N` once it listens. Returns { port, exited }:
 * `port` resolves with N (rejects if the child ends first); `exited` resolves with { code, out, err, ms }
 * when it ends. A server still running after `timeoutMs` (default 60 s) is killed.
 */
export function startServer(args, { timeoutMs = 60_000 } = {}) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stderr.on('data', (b) => (err += b));
  const t0 = Date.now();
  const exited = new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err, ms: Date.now() - t0 })));
  const port = new Promise((resolve, reject) => {
    child.stdout.on('data', (b) => {
      out += b;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('close', () => reject(new Error(`server ended before printing its port: ${out}${err}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  exited.then(() => clearTimeout(timer));
  return { port, exited };
}
