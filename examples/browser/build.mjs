// Assembles parallel.wat into parallel.wasm with the npm `wabt` package (threads enabled).
//   node examples/browser/build.mjs
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const here = new URL('./', import.meta.url);
const wabt = await require('wabt')();
const src = fs.readFileSync(new URL('parallel.wat', here), 'utf8');
const features = { threads: true, bulk_memory: true, sat_float_to_int: true };
const m = wabt.parseWat('parallel.wat', src, features);
try {
  m.resolveNames();
  m.validate(features);
  const { buffer } = m.toBinary({});
  fs.writeFileSync(new URL('parallel.wasm', here), buffer);
  console.log(`examples/browser/parallel.wasm: ${buffer.length} bytes`);
} finally {
  m.destroy();
}
