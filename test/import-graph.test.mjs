// Folders mean what they say: walks the import graph of src/ (every `import`/`export ... from`, type-only
// ones included) and fails when
//  - abi/, fs/, kernel/ or process/ import node:* or anything under host/ (host code lives in host/*);
//  - host/browser/ (or the browser entry) reaches node:* or host/node/; host/common/ (what both hosts
//    share) reaches node:*, host/node/ or host/browser/;
//  - a folder imports a folder above it in abi <- fs <- kernel <- process <- host/* <- cli (so no cycle
//    between folders, e.g. kernel <-> process);
//  - any module imports itself in a cycle of files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/** Layer of a src-relative file; files of one layer may import each other, lower layers, never higher. */
const LAYERS = [
  ['abi/', 0], ['fs/', 1], ['kernel/', 2], ['process/', 3], ['host/node/', 4], ['host/browser/', 4], ['host/common/', 4],
  ['cli/', 5], ['index.ts', 5], ['browser.ts', 5], ['napi.ts', 5], ['napi-register.ts', 5],
];
const layerOf = (rel) => LAYERS.find(([p]) => rel.startsWith(p));

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? files(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

/** Module specifiers a TypeScript source imports or re-exports (static and dynamic); typeOnly: erased at run time. */
function specifiers(text) {
  const out = [];
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  for (const m of noComments.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s)?[^'"`;]*?from\s*['"]([^'"]+)['"]/g)) {
    out.push({ spec: m[3], typeOnly: !!m[2] });
  }
  for (const m of noComments.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push({ spec: m[1], typeOnly: false });
  for (const m of noComments.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

/**
 * The whole graph: src-relative file -> { node: [...], local: [src-relative files], runtime: [the local
 * ones that survive compilation] }.
 */
function graph() {
  const g = new Map();
  for (const f of files(src)) {
    const rel = path.relative(src, f).split(path.sep).join('/');
    const node = [], local = [], runtime = [], other = [];
    for (const { spec: s, typeOnly } of specifiers(fs.readFileSync(f, 'utf8'))) {
      if (s.startsWith('node:')) node.push(s);
      else if (s.startsWith('.')) {
        const dep = path.posix.normalize(path.posix.join(path.posix.dirname(rel), s)).replace(/\.js$/, '.ts');
        local.push(dep);
        if (!typeOnly) runtime.push(dep);
      } else other.push(s);
    }
    g.set(rel, { node, local, runtime, other });
  }
  return g;
}

/** Every rule violation in a graph (as readable strings). */
function violations(g) {
  const out = [];
  const platformFree = (rel) => /^(abi|fs|kernel|process)\//.test(rel);
  const browserSide = (rel) => rel.startsWith('host/browser/') || rel.startsWith('host/common/') || rel === 'browser.ts';
  for (const [rel, { node, local, other }] of g) {
    const from = layerOf(rel);
    if (!from) out.push(`${rel}: outside the known folders`);
    for (const n of node) if (platformFree(rel) || browserSide(rel)) out.push(`${rel} imports ${n}`);
    for (const o of other) out.push(`${rel} imports package ${o} (weft has no runtime dependencies)`);
    for (const dep of local) {
      if (!g.has(dep)) out.push(`${rel} imports missing ${dep}`);
      if (platformFree(rel) && dep.startsWith('host/')) out.push(`${rel} imports ${dep}`);
      if (browserSide(rel) && dep.startsWith('host/node/')) out.push(`${rel} imports ${dep}`);
      if (rel.startsWith('host/node/') && dep.startsWith('host/browser/')) out.push(`${rel} imports ${dep}`);
      if (rel.startsWith('host/common/') && /^host\/(node|browser)\//.test(dep)) out.push(`${rel} imports ${dep}`);
      const to = layerOf(dep);
      if (from && to && to[1] > from[1]) out.push(`${rel} imports ${dep} (${to[0]} is above ${from[0]})`);
    }
  }
  // Cycles between files at run time (depth-first search; type-only imports are erased, so they may loop).
  const state = new Map();
  const stack = [];
  const visit = (f) => {
    state.set(f, 1);
    stack.push(f);
    for (const d of g.get(f)?.runtime ?? g.get(f)?.local ?? []) {
      if (!g.has(d)) continue;
      if (state.get(d) === 1) out.push(`cycle: ${[...stack.slice(stack.indexOf(d)), d].join(' -> ')}`);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f);
  return out;
}

test('src/: platform-free folders import no node:* or host code; layers only point down; no cycles', () => {
  const g = graph();
  assert.ok(g.size > 50, `found only ${g.size} files`);
  assert.deepEqual(violations(g), []);
});

test('the import-graph check catches each kind of violation', () => {
  const g = new Map([
    ['kernel/a.ts', { node: ['node:fs'], local: ['host/node/x.ts', 'process/t.ts'], other: [] }],
    ['process/t.ts', { node: [], local: ['kernel/a.ts'], other: [] }],
    ['host/node/x.ts', { node: ['node:fs'], local: [], other: [] }],
    ['host/browser/y.ts', { node: [], local: ['host/node/x.ts'], other: ['left-pad'] }],
    ['fs/hostfs.ts', { node: ['node:fs'], local: [], other: [] }],
    ['host/common/z.ts', { node: ['node:os'], local: ['host/browser/y.ts'], other: [] }],
  ]);
  const v = violations(g);
  for (const want of [
    'kernel/a.ts imports node:fs',
    'kernel/a.ts imports host/node/x.ts',
    'kernel/a.ts imports process/t.ts (process/ is above kernel/)',
    'host/browser/y.ts imports host/node/x.ts',
    'host/browser/y.ts imports package left-pad (weft has no runtime dependencies)',
    'fs/hostfs.ts imports node:fs',
    'host/common/z.ts imports node:os',
    'host/common/z.ts imports host/browser/y.ts',
    'cycle: kernel/a.ts -> process/t.ts -> kernel/a.ts',
  ]) assert.ok(v.includes(want), `missing: ${want}\n${v.join('\n')}`);
});

/** Files an entry loads at import time: its static runtime imports, transitively (import() is a split point). */
function staticClosure(g, entry) {
  const seen = new Set();
  const walk = (f) => {
    if (seen.has(f) || !g.has(f)) return;
    seen.add(f);
    for (const d of g.get(f).staticRuntime) walk(d);
  };
  walk(entry);
  return seen;
}

test("import 'weft' (the WASI class) statically reaches none of run()'s coordinator, process model or WASIX tables", () => {
  const g = graph();
  // Static runtime imports only: type-only imports are erased, dynamic import() loads on first use.
  for (const [rel, v] of g) {
    const text = fs.readFileSync(path.join(src, rel), 'utf8').replace(/\bimport\(\s*['"][^'"]+['"]\s*\)/g, '');
    v.staticRuntime = specifiers(text).filter((s) => !s.typeOnly && s.spec.startsWith('.'))
      .map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(rel), s.spec)).replace(/\.js$/, '.ts'));
  }
  for (const entry of ['index.ts', 'napi.ts']) {
    const reached = [...staticClosure(g, entry)];
    assert.ok(reached.includes('kernel/preview1.ts') && reached.includes('kernel/boundary.ts'), `${entry}: ${reached}`);
    // (process/errors.ts: only the error classes run() rejects with, which the entry exports)
    const heavy = reached.filter((f) => f === 'host/node/run.ts' || f === 'kernel/imports.ts' ||
      (f.startsWith('process/') && f !== 'process/errors.ts') ||
      /^kernel\/syscalls\/wasix-/.test(f) || f === 'host/node/host-sockets.ts');
    assert.deepEqual(heavy, [], `${entry} loads these at import time`);
  }
  // run() itself still reaches the coordinator (through its import()).
  assert.ok(specifiers(fs.readFileSync(path.join(src, 'host/node/run-lazy.ts'), 'utf8')).some((s) => s.spec === './run.js' && !s.typeOnly));
});
