// The "net" groups of bench/run.mjs: bench/programs/c/net_bench.c, built against wasix-libc (run by weft's
// CLI with --net) and natively with gcc, in the same run; ratios are weft / native.
//   netpair    server and client threads in one process over 127.0.0.1 (weft: two wasm threads, which
//              weft links in-process; native: two pthreads through the kernel's loopback)
//   netserver  the server under test in its own process, the same native client against it (weft: the
//              client's bytes cross node:net on the coordinator)
//   netcalls   bench/programs/c/net_calls.c: one thread writes 1 KB into a socketpair and reads it back (no
//              wake-up at all): the per-call cost of the data path, to tell it apart from wake-up latency
// The program prints "@ 80 <ns per 1 KB round trip>", "@ 81|82 <bytes/s>" (1 KB / 64 KB writes).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from '../wasix/build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export function defineNet({ def, node, weftCli }) {
  const { wasm, native } = buildC('net_bench');
  const metrics = (l) => ({
    rtt: l[80]?.[0] / 1e3,
    thr1k: l[81]?.[0] / 1e6,
    thr64k: l[82]?.[0] / 1e6,
  });
  def('netpair', 'weft', 'weft run --net (two wasm threads)', node([], weftCli, 'run', '--net', wasm, 'pair'), metrics);
  def('netpair', 'native', 'native: gcc -O2 -pthread (two threads)', [native, 'pair'], metrics);
  const serve = path.join(here, 'serve.mjs');
  def('netserver', 'weft', 'weft server (CLI), native client', node([], serve, process.execPath, weftCli, 'run', '--net', wasm, 'server', '{port}', '--', native, 'client', '{port}'), metrics);
  def('netserver', 'native', 'native server, native client', node([], serve, native, 'server', '{port}', '--', native, 'client', '{port}'), metrics);
  const calls = buildC('net_calls');
  def('netcalls', 'weft', 'weft run --net', node([], weftCli, 'run', '--net', calls.wasm), (l) => ({ pair: l[83]?.[0] / 1e3 }));
  def('netcalls', 'native', 'native: gcc -O2 (AF_UNIX socketpair)', [calls.native], (l) => ({ pair: l[83]?.[0] / 1e3 }));
  const m = {
    rtt: ['1 KB round trip, µs (median of 5 batches of 400, after 200)', 'native'],
    thr1k: ['throughput, 1 KB writes, MB/s (32 MiB)', 'native'],
    thr64k: ['throughput, 64 KB writes, MB/s (32 MiB)', 'native'],
  };
  return {
    netpair: { title: 'Loopback TCP between two threads of one process (net_bench.c pair)', unit: 'µs or MB/s', metrics: m },
    netcalls: {
      title: 'Socket data path without wake-ups: write 1 KB + read it back in one thread (net_calls.c)',
      unit: 'µs',
      metrics: { pair: ['write + read of 1 KB over a socketpair, µs (mean of 20000)', 'native'] },
    },
    netserver: { title: 'Loopback TCP: server under test, native client in another process (net_bench.c server/client)', unit: 'µs or MB/s', metrics: m },
  };
}
