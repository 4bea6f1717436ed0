// A second "addon loader" for test/helpers/napi-threads.mjs (scenario two-loaders): builds its own WASI in
// the main thread, preopening an empty directory, after the first loader's and before its Worker starts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const { WASI } = process.env.WEFT_NAPI_DIRECT ? await import('../../dist/napi.js') : await import('node:wasi');

export function otherLoader() {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-napi-other-'));
  const wasi = new WASI({ version: 'preview1', preopens: { '/d': empty } });
  fs.rmdirSync(empty);
  return wasi;
}
