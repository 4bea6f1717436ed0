// A user's script running a WASI command with a node:wasi-style class, as the README shows:
//   node bench/peers/hello-script.mjs node|weft program.wasm
// The start-up benchmark times the whole process; both runtimes go through this same script.
import { readFileSync } from 'node:fs';

const [which, file] = process.argv.slice(2);
const { WASI } = await import(which === 'weft' ? '../../dist/index.js' : 'node:wasi');
const wasi = new WASI({ version: 'preview1', args: [file], env: {}, returnOnExit: true });
const { instance } = await WebAssembly.instantiate(readFileSync(file), wasi.getImportObject());
process.exitCode = wasi.start(instance);
