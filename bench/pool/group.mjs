// The "pool" group of bench/run.mjs: what the Worker pool costs beyond one spawn (issue 20): bursts of
// spawns, the end of a program with many idle workers, memory over many spawns. test/fixtures/c/wasix/spawn_loop.c
// built against wasix-libc (weft) and with gcc (native), each case in a fresh process (bench/pool/measure.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from '../wasix/build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, '..', '..', 'test', 'fixtures', 'c', 'wasix', 'spawn_loop.c');
export const POOL = { burst: 8, rounds: 6, idle: 200, spawns: 10_000, conns: 2000 };
const T = { cold: 90, warm: 91, teardown: 92, rss: 93, perSpawn: 94, blocked: 95, connRss: 96, lost: 97 };

export function definePool({ def, node }) {
  const { wasm, native } = buildC('spawn_loop', { src });
  const measure = path.join(here, 'measure.mjs');
  const first = (tag, unit = 1) => (l) => l[tag]?.[0] / unit;
  const burst = (l) => ({ cold: first(T.cold)(l), warm: first(T.warm)(l) });
  def('poolburst', 'weft', 'weft run (CLI), wasix-libc build', node([], measure, 'burst', 'weft', wasm, String(POOL.burst), String(POOL.rounds)), burst);
  def('poolburst', 'native', 'native: gcc -O2 -pthread (glibc)', node([], measure, 'burst', 'native', native, String(POOL.burst), String(POOL.rounds)), burst);
  const teardown = (l) => ({ v: first(T.teardown)(l) });
  def('poolend', 'weft', 'weft run (CLI), wasix-libc build', node([], measure, 'teardown', 'weft', wasm, String(POOL.idle)), teardown);
  def('poolend', 'native', 'native: gcc -O2 -pthread (glibc)', node([], measure, 'teardown', 'native', native, String(POOL.idle)), teardown);
  const blocked = (l) => ({ v: first(T.blocked)(l) });
  def('poolexit', 'weft', 'weft run (CLI), wasix-libc build', node([], measure, 'blocked', 'weft', wasm, String(POOL.idle)), blocked);
  def('poolexit', 'native', 'native: gcc -O2 -pthread (glibc)', node([], measure, 'blocked', 'native', native, String(POOL.idle)), blocked);
  def('poolrss', 'weft', 'weft run() (library, RSS of its process)', node([], measure, 'rss', 'weft', wasm, String(POOL.spawns)),
    (l) => ({ growth: first(T.rss, 1024)(l), per: first(T.perSpawn)(l) }));
  const conns = (l) => ({ growth: first(T.connRss, 1024)(l), lost: first(T.lost)(l) });
  const echo = path.resolve(here, '..', '..', '.cache', 'fixtures', 'wasix', 'echo_detached.wasm'); // tools/build-fixtures.sh
  def('poolconn', 'weft', 'weft run() (library): echo_detached, a detached thread per connection', node([], measure, 'conns', 'weft', echo, String(POOL.conns)), conns);
  def('poolconn', 'node', 'node:net echo server (same process shape)', node([], measure, 'conns', 'node', '-', String(POOL.conns)), conns);
  return {
    poolconn: { title: `${POOL.conns} sequential short connections (64 bytes echoed) from a client process: the server process's RSS`, unit: 'MiB / count', metrics: {
      growth: ['RSS growth from the 200th connection to the peak after it (MiB)', 'node'],
      lost: ['connections lost', 'node'],
    } },
    poolburst: { title: `Bursts of ${POOL.burst} pthread_creates back to back (${POOL.rounds} rounds per process): the longest wait from a create call to its thread's start`, unit: 'µs', metrics: {
      cold: ['first burst of the process (workers boot)', 'native'],
      warm: ['worst burst from the third on (pool grown)', 'native'],
    } },
    poolend: { title: `End of a program with ${POOL.idle} idle threads' workers: from its last output line to the end of the process`, unit: 'ms', metrics: {
      v: ['last line to process end', 'native'],
    } },
    poolexit: { title: `exit() with ${POOL.idle} threads blocked (futex waits, sleeps): from its last output line to the end of the process`, unit: 'ms', metrics: {
      v: ['last line to process end', 'native'],
    } },
    poolrss: { title: `${POOL.spawns} sequential pthread_create+join in one program`, unit: 'MiB / µs', metrics: {
      growth: ['RSS growth after the first 2,000 (MiB)', 'weft'],
      per: ['whole run per spawn+join (µs)', 'weft'],
    } },
  };
}
