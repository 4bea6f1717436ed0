// A WASI-class instance over a one-page memory, for tests that call the WASI imports directly.
import { WASI } from '../../dist/index.js';
import { wat2wasm } from './wat.mjs';

/**
 * `preopen` mounted at /sandbox (fd 3). Returns w (the import functions), views of the memory, and
 * put(at, text or bytes): writes them at `at`, returns their length.
 */
export async function wasiOnePage(preopen) {
  const bytes = await wat2wasm(`(module (memory (export "memory") 1) (func (export "_initialize")))`);
  const wasi = new WASI({ args: ['prog'], preopens: { '/sandbox': preopen } });
  const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
  wasi.initialize(instance);
  const u8 = new Uint8Array(instance.exports.memory.buffer);
  const dv = new DataView(instance.exports.memory.buffer);
  const put = (at, s) => {
    const b = typeof s === 'string' ? new TextEncoder().encode(s) : Uint8Array.from(s);
    u8.set(b, at);
    return b.length;
  };
  return { w: wasi.wasiImport, u8, dv, put };
}
