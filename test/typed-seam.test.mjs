// The syscall seam is typed from the witx signatures (src/kernel/syscalls/types.ts): test/typed-seam/tables.ts
// holds a table that must compile and one entry per mistake that must not (a number for an i64, a bigint
// for an i32, a parameter fewer or more, a kind that does not fit the result, a bare function, a name no
// witx file declares), each under `// @ts-expect-error`, which tsc reports when the error does not happen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const project = fileURLToPath(new URL('./typed-seam/tsconfig.json', import.meta.url));

test('a syscall body of the wrong arity, argument types or kind does not compile', { timeout: 120_000 }, () => {
  const r = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc -p test/typed-seam:\n${r.stdout}${r.stderr}`);
});
