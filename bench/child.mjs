// Runs one benchmark case in this (fresh) process: `node [flags] bench/child.mjs <host> <program.wasm> [stdout]`.
// The programs print their own measurements as "@ <tag> <value>" lines on fd 2; bench/run.mjs parses them.
// stdout: 'null' opens /dev/null as the program's stdout (fd 1), otherwise the process's own stdout.
import fs from 'node:fs';

const [host, file, out, clockOpt] = process.argv.slice(2);
// WEFT_DIST: another build of weft to load (bench/run.mjs --ab: the same cases against a base build)
const weftIndex = process.env.WEFT_DIST ? new URL('index.js', `file://${process.env.WEFT_DIST}/`).href : '../dist/index.js';
// 'precise': wasm-util's clock_time_get replaced by a ns process-wide clock (see peers/precise-clock.mjs)
const preciseClock = clockOpt === 'precise';
const stdoutFd = out === 'null' ? fs.openSync('/dev/null', 'w') : 1;
const bytes = file ? fs.readFileSync(file) : undefined;
// WEFT_BENCH_DIR: a host directory preopened as /sandbox (fd 3) for the filesystem programs (weft, node:wasi)
const benchDir = process.env.WEFT_BENCH_DIR;
const preopens = benchDir ? { '/sandbox': benchDir } : undefined;
// argv[0]: node:wasi fails args_get (EINVAL) for an empty argv, which wasi-libc's start-up turns into exit 71
const args = ['main.wasm'];

async function main() {
  switch (host) {
    case 'weft': {
      const { run } = await import(weftIndex);
      // run() resolves to { exitCode } (a number before it did: the --ab base may be an older build)
      const r = await run(bytes, { args, stdout: stdoutFd, stderr: 2, preopens });
      return typeof r === 'number' ? r : r.exitCode;
    }
    case 'weft-wasi': {
      // weft's node:wasi-compatible class, single-threaded, in this thread
      const { WASI } = await import(weftIndex);
      const wasi = new WASI({ version: 'preview1', args, stdout: stdoutFd, stderr: 2, returnOnExit: true, preopens });
      const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes), wasi.getImportObject());
      return wasi.start(instance);
    }
    case 'node-wasi': {
      const { WASI } = await import('node:wasi');
      const wasi = new WASI({ version: 'preview1', args, stdout: stdoutFd, stderr: 2, returnOnExit: true, preopens });
      const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes), wasi.getImportObject());
      return wasi.start(instance);
    }
    case 'wasm-util': {
      // @tybys/wasm-util's WASI alone, single-threaded, in this thread
      const { WASI } = await import('@tybys/wasm-util');
      const wasi = new WASI({
        version: 'preview1', returnOnExit: true,
        print: (s) => fs.writeSync(stdoutFd, s + '\n'),
        printErr: (s) => fs.writeSync(2, s + '\n'),
      });
      let instance;
      if (preciseClock) {
        const { usePreciseClock } = await import('./peers/precise-clock.mjs');
        usePreciseClock(wasi, { get buffer() { return instance.exports.memory.buffer; } });
      }
      instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes), wasi.getImportObject());
      return wasi.start(instance);
    }
    case 'emnapi':
    case 'emnapi-readme': {
      const { runEmnapi } = await import('./peers/emnapi-host.mjs');
      return runEmnapi(bytes, { mode: host === 'emnapi' ? 'pool' : 'readme', stdoutFd, preciseClock });
    }
    case 'js-pingpong': {
      const { runJsPingPong } = await import('./peers/js-pingpong.mjs');
      const { config, TAG } = await import('./programs/gen.mjs');
      return runJsPingPong({ warmupMs: config.pingWarmupMs, rounds: config.pingRounds, tag: TAG.ping });
    }
    default:
      throw new Error(`unknown host ${host}`);
  }
}

const code = await main();
process.exit(code ?? 0);
