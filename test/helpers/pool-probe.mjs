// Runs a wasm program with weft's run() in this process and reports, as one JSON line on stdout, what the
// pool tests measure from outside the program: at every line the program prints, the process's RSS (MiB)
// and OS thread count (Linux: /proc/self/task); how many Workers weft constructed; when the run ended.
//
//   node test/helpers/pool-probe.mjs <program.wasm> [--dir HOST::GUEST] [args...]
// -> {"code":0,"workers":3,"lines":[{"text":"mark 1000","t":812.3,"rss":97.1,"threads":15},...],"end":1234.5}
import fs from 'node:fs';
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
while (argv[0] === '--dir') {
  argv.shift();
  const [host, guest] = argv.shift().split('::');
  preopens[guest] = host;
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
const code = await run(fs.readFileSync(file), {
  args: ['prog', ...argv], preopens, stderr: 2,
  stdout: (d) => {
    buf += Buffer.from(d).toString();
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
      lines.push({ text: buf.slice(0, i), t: performance.now() - t0, rss: process.memoryUsage().rss / 1048576, threads: threads() });
    }
  },
});
console.log(JSON.stringify({ code, workers, lines, end: performance.now() - t0 }));
process.exit(0);
