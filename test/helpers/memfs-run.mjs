// Child process for helpers/fixtures.mjs runMemfs(): seeds a MemoryFS, runs one program with run() and
// a MemoryFS preopen at /sandbox (stdin/stdout/stderr are this process's), then writes
// { code, tree, fsck } as JSON to fd 3. The spec is argv[2] (JSON, see runMemfs).
import fs from 'node:fs';
import { run, MemoryFS } from '../../dist/index.js';

const spec = JSON.parse(process.argv[2]);
const result = {};
try {
  const mfs = new MemoryFS(spec.files);
  for (const [p, target] of Object.entries(spec.symlinks)) mfs.symlink(target, p);
  ({ exitCode: result.code } = await run(spec.wasm, {
    args: spec.args, env: spec.env, preopens: { [spec.mount ?? '/sandbox']: mfs.dir(spec.root) },
  }));
  result.tree = snapshot(mfs);
  result.fsck = mfs.fsck();
} catch (e) {
  result.error = e instanceof Error ? `${e.stack}` : String(e);
}
fs.writeSync(3, JSON.stringify(result));
process.exit(0);

function snapshot(mfs) {
  const out = {};
  const walk = (dir) => {
    for (const name of mfs.readdir(dir)) {
      const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const st = mfs.lstat(p);
      // abi Filetype: 3 directory, 4 regular file, 7 symbolic link
      if (st.filetype === 7) out[p] = { type: 'symlink', target: mfs.readlink(p) };
      else if (st.filetype === 3) {
        out[p] = { type: 'dir' };
        walk(p);
      } else out[p] = { type: 'file', content: Buffer.from(mfs.readFile(p)).toString('latin1') };
    }
  };
  walk('/');
  return out;
}
