// SIGCHLD and default dispositions between processes (issue 17 point 2): test/fixtures/c/wasix/sigchld.c
// (children are the same program, started with posix_spawn). The shell side (wait, trap CHLD, kill %1)
// is in wasix-shell.test.mjs, compared with the host's dash.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ensureFixtures, fixture, interesting, rm, runHost, tempDir } from './helpers/fixtures.mjs';

before(() => ensureFixtures('wasix'), { timeout: 600_000 });

test('SIGCHLD: default ignore, handler reaping, SIG_IGN; deaths by SIGTERM/abort reported as signals; kill(-pid) ESRCH', async () => {
  const dir = tempDir();
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(fixture('wasix', 'sigchld'), path.join(dir, 'bin', 'sigchld.wasm'));
    const r = await runHost(path.join(dir, 'bin', 'sigchld.wasm'), ['main', '/sandbox/bin/sigchld.wasm'], { dir, timeoutMs: 120_000 });
    assert.equal(interesting(r.stdout), 'sigchld done: 10 ok, 0 bad', r.stderr);
    assert.equal(r.code, 0);
  } finally {
    rm(dir);
  }
});
