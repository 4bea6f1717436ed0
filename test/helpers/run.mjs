// Runs the weft CLI as a child process and reports exit code, output and how long it took.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/**
 * @param {string[]} args arguments after `weft`
 * @param {{stdin?: string|Buffer|'pipe-open', timeoutMs?: number, env?: object}} opts
 */
export function weft(args, opts = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    const out = [], err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 15000);
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
        code, signal, timedOut, ms: performance.now() - t0,
        stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(),
      });
    });
  });
}
