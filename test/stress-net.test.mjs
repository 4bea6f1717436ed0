// Short host connections to a WASIX server with a detached thread per connection (issue 20.3), the small
// version of `npm run stress` (bench/stress-net.mjs, 20,000 connections): every request is echoed, no
// serving thread reads end of file before its request, and the server ends by itself once all are served.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureFixtures, fixture } from './helpers/fixtures.mjs';
import { cli } from './helpers/run.mjs';
import { stressNet } from '../bench/stress-net.mjs';

before(() => ensureFixtures('wasix'), { timeout: 600_000 });

test('1,500 short connections, 50 at a time, to a thread-per-connection echo server: none lost', { timeout: 300_000 }, async () => {
  const r = await stressNet({
    connections: 1500, concurrency: 50, cli, wasm: fixture('wasix', 'echo_detached'), timeoutMs: 240_000, connTimeoutMs: 120_000,
  });
  const detail = `${r.errors.join('; ')}\n${r.serverOutput}\n${r.stderr}`;
  assert.equal(r.timedOut, false, `not done within 240 s (${r.connections} connections finished)\n${detail}`);
  assert.equal(r.lost, 0, detail);
  assert.equal(r.serverEarly, 0, detail);
  assert.equal(r.serverErrors, 0, detail);
  assert.equal(r.code, 0, detail);
  assert.equal(r.connections, 1500);
});
