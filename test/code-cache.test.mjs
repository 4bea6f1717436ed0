// V8 code caches of weft's own bundles kept on disk between runs (host/node/code-cache.ts): the CLI bundle's
// and the thread workers'. Each test gives the CLI its own cache directory (WEFT_CODE_CACHE) and checks what
// a user relies on: the cache is written, a later run uses it with the same results, a damaged or refused
// cache only costs a compile (and is replaced), and a directory others may write to is never used.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { weft } from './helpers/run.mjs';
import { ensureFixtures, fixture } from './helpers/fixtures.mjs';
import { watFile } from './helpers/wat.mjs';

before(() => ensureFixtures('threads'));

const tmpDir = (t) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-code-cache-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
};
const files = (dir, kind) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(`${kind}-`) && f.endsWith('.v8cache')) : []);

async function hello() {
  return watFile(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "hello\\n")
    (func (export "_start") (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 6))
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`, 'hello');
}

test('the CLI bundle: cached on the first run, used by the next, a damaged cache recompiled and replaced', async (t) => {
  const d = tmpDir(t);
  const cacheDir = path.join(d, 'cache');
  const wasm = await hello();
  const env = { WEFT_CODE_CACHE: cacheDir };
  let r = await weft(['run', wasm], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  const [name] = files(cacheDir, 'cli');
  assert.ok(name, 'a cli cache file is written');
  assert.equal(fs.statSync(cacheDir).mode & 0o777, 0o700, 'the directory is private');
  assert.equal(fs.statSync(path.join(cacheDir, name)).mode & 0o777, 0o600);
  const made = fs.readFileSync(path.join(cacheDir, name));
  assert.ok(made.length > 10_000);
  // a later run takes it and leaves it as it is
  r = await weft(['run', wasm], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  assert.deepEqual(fs.readFileSync(path.join(cacheDir, name)), made);
  // damaged (V8 refuses it): the run is unaffected and writes a good one in its place
  const junk = Buffer.alloc(made.length, 0x5a);
  fs.writeFileSync(path.join(cacheDir, name), junk);
  r = await weft(['run', wasm], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  assert.deepEqual(files(cacheDir, 'cli'), [name]);
  assert.notDeepEqual(fs.readFileSync(path.join(cacheDir, name)), junk);
  // other installs' caches are kept (several projects each with its weft), up to 8 of a kind: the oldest
  // written go when a new one is written
  const others = Array.from({ length: 9 }, (_, i) => `cli-v0-x64-${i + 1}-1.v8cache`);
  others.forEach((n, i) => {
    fs.writeFileSync(path.join(cacheDir, n), 'other');
    fs.utimesSync(path.join(cacheDir, n), 1e9 + i, 1e9 + i); // others[0] the oldest
  });
  fs.rmSync(path.join(cacheDir, name));
  r = await weft(['run', wasm], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(files(cacheDir, 'cli').sort(), [name, ...others.slice(2)].sort());
});

test('no code cache in a directory others may write to, nor with WEFT_CODE_CACHE=off', async (t) => {
  const d = tmpDir(t);
  const wasm = await hello();
  const shared = path.join(d, 'shared');
  fs.mkdirSync(shared);
  fs.chmodSync(shared, 0o777);
  let r = await weft(['run', wasm], { env: { WEFT_CODE_CACHE: shared } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  assert.deepEqual(fs.readdirSync(shared), []);
  // a cache planted there is not read either: junk would still only be refused, so plant none and check
  // nothing appears; with 'off' nothing is written anywhere (HOME pointed at an empty directory)
  const home = path.join(d, 'home');
  fs.mkdirSync(home);
  r = await weft(['run', wasm], { env: { WEFT_CODE_CACHE: 'off', HOME: home, XDG_CACHE_HOME: '' } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(home), []);
  // without the variable: $XDG_CACHE_HOME/weft, else ~/.cache/weft
  r = await weft(['run', wasm], { env: { WEFT_CODE_CACHE: '', HOME: home, XDG_CACHE_HOME: '' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(files(path.join(home, '.cache', 'weft'), 'cli').length, 1);
  const xdg = path.join(d, 'xdg');
  r = await weft(['run', wasm], { env: { WEFT_CODE_CACHE: '', HOME: home, XDG_CACHE_HOME: xdg } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(files(path.join(xdg, 'weft'), 'cli').length, 1);
});

test('thread workers: their code cache is kept on disk, taken by the next run, replaced when refused', async (t) => {
  const d = tmpDir(t);
  const cacheDir = path.join(d, 'cache');
  const env = { WEFT_CODE_CACHE: cacheDir };
  const counter = fixture('threads', 'counter'); // 4 threads: the second Worker makes the cache
  const run = async () => {
    const r = await weft(['run', counter], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'counter: 400000\n');
  };
  await run();
  const [name] = files(cacheDir, 'worker');
  assert.ok(name, 'a worker cache file is written');
  const made = fs.readFileSync(path.join(cacheDir, name));
  assert.ok(made[0] === 1 || made[0] === 2, 'its first byte says what it holds');
  await run();
  const kept = fs.readFileSync(path.join(cacheDir, name));
  assert.ok(kept[0] >= made[0], 'a later run keeps it or improves it');
  // refused by V8: the run is unaffected and removes it; the runs after it make a good one again
  const junk = Buffer.concat([Buffer.from([2]), Buffer.alloc(kept.length, 0x5a)]);
  fs.writeFileSync(path.join(cacheDir, name), junk);
  await run();
  assert.ok(!fs.existsSync(path.join(cacheDir, name)) || !fs.readFileSync(path.join(cacheDir, name)).equals(junk), 'the refused cache is gone');
  for (let i = 0; i < 5 && !fs.existsSync(path.join(cacheDir, name)); i++) await run();
  const again = fs.readFileSync(path.join(cacheDir, name));
  assert.ok(again[0] === 1 || again[0] === 2);
  // and V8 takes it: a Worker booted here (the first of this process) reports the cache used
  process.env.WEFT_CODE_CACHE = cacheDir;
  const { bootWorker } = await import('../dist/host/node/worker-script.js');
  const { port1, port2 } = new MessageChannel();
  const worker = bootWorker({ boot: undefined, port: port2, logFd: 2 }, { transferList: [port2], execArgv: [], stdout: false, stderr: false, trackUnmanagedFds: false });
  assert.deepEqual(await new Promise((r) => port1.once('message', r)), { t: 'listening', codeCache: true });
  port1.close();
  await worker.terminate();
});
