// A real POSIX shell under weft (issue 17): Debian's dash built for WASIX with asyncify
// (tools/dash/build.sh), in a rootfs whose /bin holds small wasm programs (test/fixtures/c/bin), runs
// the scripts of helpers/shell-scripts.mjs; the host's native dash runs each one in an equivalent
// native rootfs (the same programs compiled natively). stdout and exit status must match (stderr too
// where the script says so). Through the CLI (`--dir ROOT::/`) and through run() with a MemoryFS at /.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from './helpers/fixtures.mjs';
import { makeRootfs, memfsSh, nativeSh, shellFixtures, weftSh } from './helpers/shell.mjs';
import { scripts } from './helpers/shell-scripts.mjs';

before(() => shellFixtures(), { timeout: 900_000 });

const roots = [];
after(() => roots.forEach(rm));
function root(kind) {
  const r = makeRootfs(kind);
  roots.push(r);
  return r;
}


async function compare(s, run) {
  const native = await nativeSh(root('native'), s.script, { stdin: s.stdin });
  assert.equal(native.timedOut, false, 'the native run timed out');
  const w = await run(s);
  assert.equal(w.timedOut, false, `weft timed out; stdout so far:\n${w.stdout}\nstderr:\n${w.stderr}`);
  assert.equal(w.stdout, native.stdout, `stdout differs; weft stderr:\n${w.stderr}`);
  assert.equal(w.code, native.code, `exit status differs; weft stderr:\n${w.stderr}`);
  if (s.stderr) assert.equal(w.stderr, native.stderr, 'stderr differs');
}

for (const s of scripts) {
  test(`dash under weft (CLI) = native dash: ${s.name}`, () =>
    compare(s, (x) => weftSh(root('wasm'), x.script, { stdin: x.stdin, timeoutMs: 90_000 })));
}

// The same shell through the library, every file in a MemoryFS mounted at /.
const viaMemfs = ['pipelines', 'here-documents', 'redirections on fds 3-9 with exec', 'background jobs and wait', '/dev/null'];
for (const s of scripts.filter((x) => viaMemfs.includes(x.name))) {
  test(`dash under weft (run() + MemoryFS at /) = native dash: ${s.name}`, () =>
    compare(s, (x) => memfsSh(x.script, { stdin: x.stdin, timeoutMs: 90_000 })));
}

test('sanity: the rootfs shell is the wasm dash, and /bin programs run from it', async () => {
  const r = await weftSh(root('wasm'), 'echo "$0"; /bin/echo -n direct; echo; wc -c </bin/sh');
  assert.equal(r.code, 0, r.stderr);
  const [zero, direct, size] = r.stdout.split('\n');
  assert.equal(zero, 'sh');
  assert.equal(direct, 'direct');
  assert.ok(Number(size) > 100_000, `bin/sh is ${size} bytes`);
});
