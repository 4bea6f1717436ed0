// Runs a wasm program with weft's run() in this process and reports, as one JSON line on stdout, what the
// pool tests measure from outside the program: at every line the program prints, the process's RSS (MiB)
// and OS thread count (Linux: /proc/self/task); how many Workers weft constructed; when the run ended.
//
//   node test/helpers/pool-probe.mjs <program.wasm> [--dir HOST::GUEST] [--echo-clients N] [args...]
// --echo-clients N: once the program prints "port P" (tcp_echo serve), N sequential loopback connections each
// send 64 bytes, read the echo back and close (echo-clients.mjs, in a child process: the RSS measured is the
// server's); a line "conn I" is recorded every 100 connections. The
// program runs with network access (--net).
// -> {"code":0,"workers":3,"lines":[{"text":"mark 1000","t":812.3,"rss":97.1,"threads":15},...],"end":1234.5}
import fs from 'node:fs';
import wt from 'node:worker_threads';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const echoScript = fileURLToPath(new URL('./echo-clients.mjs', import.meta.url));

// Count the Workers weft constructs (it takes worker_threads from process.getBuiltinModule, this same object).
let workers = 0;
const RealWorker = wt.Worker;
wt.Worker = class extends RealWorker {
  constructor(...a) {
    super(...a);
    workers++;
  }
};

const argv = process.argv.slice(2);
const file = argv.shift();
const preopens = {};
let echoClients = 0;
for (;;) {
  if (argv[0] === '--dir') {
    argv.shift();
    const [host, guest] = argv.shift().split('::');
    preopens[guest] = host;
  } else if (argv[0] === '--echo-clients') {
    argv.shift();
    echoClients = Number(argv.shift());
  } else break;
}
const { run } = await import('../../dist/index.js');
const t0 = performance.now();
const lines = [];
let buf = '';
const threads = () => {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
};
const note = (text) => {
  const m = process.memoryUsage();
  lines.push({ text, t: performance.now() - t0, rss: m.rss / 1048576, heap: m.heapUsed / 1048576, threads: threads() });
};

let lost = 0;
let clients = Promise.resolve();
const result = await run(fs.readFileSync(file), {
  args: ['prog', ...argv], preopens, stderr: 2, net: echoClients > 0 || undefined,
  stdout: (d) => {
    buf += Buffer.from(d).toString();
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
      const text = buf.slice(0, i);
      note(text);
      const port = /^port (\d+)/.exec(text)?.[1];
      if (port && echoClients) {
        // The clients run in a process of their own: their sockets' memory is not the server's.
        clients = new Promise((resolve) => {
          const child = spawn(process.execPath, [echoScript, port, String(echoClients)], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (b) => {
            out += b;
            for (let j; (j = out.indexOf('\n')) >= 0; out = out.slice(j + 1)) {
              const line = out.slice(0, j);
              if (line.startsWith('conn ')) note(line);
              else if (line.startsWith('lost ')) lost = Number(line.slice(5));
            }
          });
          child.on('close', resolve);
        });
      }
    }
  },
});
await clients;
const code = typeof result === 'object' ? result.exitCode : result; // run() resolves with { exitCode }
console.log(JSON.stringify({ code, workers, lines, lost, end: performance.now() - t0 }));
process.exit(0);
