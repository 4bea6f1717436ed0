// Assembles WAT fixtures with the npm `wabt` package (threads enabled) and caches the bytes per source.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';

const require = createRequire(import.meta.url);
let wabtP;
const cacheDir = path.join(os.tmpdir(), 'weft-wat-cache');

export async function wat2wasm(src, name = 'fixture', { names = false } = {}) {
  wabtP ??= require('wabt')();
  const wabt = await wabtP;
  const m = wabt.parseWat(`${name}.wat`, src, { threads: true });
  try {
    m.resolveNames();
    m.validate({ threads: true });
    return new Uint8Array(m.toBinary({ write_debug_names: names }).buffer);
  } finally {
    m.destroy();
  }
}

/** Assembles src and writes it to a temp file; returns the path. */
export async function watFile(src, name = 'fixture', { names = false } = {}) {
  const hash = crypto.createHash('sha1').update(src + (names ? '\0names' : '')).digest('hex').slice(0, 12);
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `${name}-${hash}.wasm`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, await wat2wasm(src, name, { names }));
  return file;
}
