// The README's main command: the bundled example runs under the CLI with real threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { weft } from './helpers/run.mjs';

const example = fileURLToPath(new URL('../examples/threads.wasm', import.meta.url));

test('weft run examples/threads.wasm counts the primes below 10^7 with 4 threads', async () => {
  const r = await weft(['run', example], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.at(-1), '664579 primes below 10000000, counted by 4 threads');
  // one report per thread; their shares add up to the total
  const shares = lines.slice(0, -1).map((l) => /^thread (\d): \d+ blocks, (\d+) primes$/.exec(l));
  assert.equal(shares.length, 4, r.stdout);
  assert.deepEqual(shares.map((m) => Number(m[1])).sort(), [0, 1, 2, 3]);
  assert.equal(shares.reduce((n, m) => n + Number(m[2]), 0), 664579);
});

test('examples/threads.wasm takes its thread count and limit from argv', async () => {
  const r = await weft(['run', example, '2', '100000']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n9592 primes below 100000, counted by 2 threads\n$/);
});
