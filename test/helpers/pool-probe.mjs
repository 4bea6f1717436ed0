// Runs a wasm program with weft's run() in this process and reports, as one JSON line on stdout, what the
// pool tests measure from outside the program: at every line the program prints, the process's RSS (MiB)
// and OS thread count (Linux: /proc/self/task); how many Workers weft constructed; when the run ended.
//
//   node test/helpers/pool-probe.mjs <program.wasm> [--dir HOST::GUEST] [--echo-clients N] [args...]
// --echo-clients N: once the program prints "port P" (tcp_echo serve), N sequential loopback connections each
// send 64 bytes, read the echo back and close; a line "conn I" is recorded every 100 connections. The
// program runs with network access (--net).
// -> {"code":0,"workers":3,"lines":[{"text":"mark 1000","t":812.3,"rss":97.1,"threads":15},...],"end":1234.5}
import fs from 'node:fs';
import net from 'node:net';
import wt from 'node:worker_threads';

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

/**
 * One short connection: 64 bytes out, the same 64 back, close. Resolves false when the echo was cut short
 * (issue 20.3's lost connections are counted in the report, not failed here: this probe measures memory).
 */
let lost = 0;
function echoOnce(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(Buffer.alloc(64, 7)));
    let n = 0;
    s.on('data', (b) => {
      n += b.length;
      if (n >= 64) s.end();
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (n < 64) lost++;
      resolve();
    });
  });
}
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
        clients = (async () => {
          for (let c = 1; c <= echoClients; c++) {
            await echoOnce(Number(port));
            if (c % 100 === 0) note(`conn ${c}`);
          }
        })();
      }
    }
  },
});
await clients;
const code = typeof result === 'object' ? result.exitCode : result; // run() resolves with { exitCode }
console.log(JSON.stringify({ code, workers, lines, lost, end: performance.now() - t0 }));
process.exit(0);
