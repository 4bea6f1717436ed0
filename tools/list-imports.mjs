#!/usr/bin/env node
// tools/list-imports.mjs -- what the built fixtures import and export
// (parses `wasm-objdump -x`, Debian package wabt).
//
//   node tools/list-imports.mjs [ROUTE...]     (after tools/build-fixtures.sh)
//
// Per file: the memory import and the imported functions by module, exports;
// per route: the union of imported functions with their wasm signatures.
import { execFileSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(process.env.WEFT_CACHE ?? join(repo, '.cache'), 'fixtures');
const routes = process.argv.slice(2).length ? process.argv.slice(2) : ['wasi', 'threads', 'wasix'];

function inspect(file) {
  const txt = execFileSync('wasm-objdump', ['-x', file], { encoding: 'utf8' });
  const types = [];
  const funcs = [];
  const exports = [];
  let memory = null;
  let section = '';
  for (const line of txt.split('\n')) {
    const sec = /^(\w+)\[\d+\]:$/.exec(line);
    if (sec) { section = sec[1]; continue; }
    if (section === 'Type') {
      const m = /^ - type\[(\d+)\] (.*)$/.exec(line);
      if (m) types[+m[1]] = m[2];
    } else if (section === 'Import') {
      let m = /^ - func\[\d+\] sig=(\d+) .*<- (\S+)$/.exec(line);
      if (m) funcs.push({ name: m[2], sig: types[+m[1]] });
      m = /^ - memory\[\d+\] pages: (.*) <- (\S+)$/.exec(line);
      if (m) memory = `${m[2]} (${m[1]})`;
    } else if (section === 'Export') {
      const m = /-> "(.*)"$/.exec(line);
      if (m) exports.push(m[1]);
    }
  }
  return { funcs, memory, exports };
}

function byModule(names) {
  const mods = new Map();
  for (const n of names) {
    const i = n.indexOf('.');
    const [mod, field] = [n.slice(0, i), n.slice(i + 1)];
    if (!mods.has(mod)) mods.set(mod, []);
    mods.get(mod).push(field);
  }
  return [...mods].map(([m, f]) => `  ${m}: ${f.sort().join(' ')}`).join('\n');
}

for (const route of routes) {
  const dir = join(out, route);
  if (!existsSync(dir)) continue;
  console.log(`## ${route}`);
  const union = new Map();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.wasm')).sort()) {
    const r = inspect(join(dir, f));
    console.log(`${f.replace(/\.wasm$/, '')}: memory ${r.memory ?? 'defined and exported'}`);
    console.log(byModule(r.funcs.map((x) => x.name)));
    console.log(`  exports: ${r.exports.join(' ')}`);
    for (const x of r.funcs) union.set(x.name, x.sig);
  }
  console.log(`union of ${route} function imports (${union.size}):`);
  for (const [n, s] of [...union].sort()) console.log(`  ${n} ${s}`);
  console.log('');
}
