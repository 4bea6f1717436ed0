// Compile-time probe for the Liftoff workaround, run as `node [--no-liftoff] compile.mjs big.wasm`:
// prints "@ 40 <ns>" for WebAssembly.compile and "@ 41 <ns>" for instantiating it and calling every
// function once (with lazy compilation, Node 20's default, functions are compiled on their first call).
import fs from 'node:fs';

const bytes = fs.readFileSync(process.argv[2]);
const t0 = process.hrtime.bigint();
const module = await WebAssembly.compile(bytes);
const t1 = process.hrtime.bigint();
const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
const instance = new WebAssembly.Instance(module, { env: { memory } });
instance.exports.call_all();
const t2 = process.hrtime.bigint();
fs.writeSync(2, `@ 40 ${t1 - t0}\n@ 41 ${t2 - t1}\n`);
