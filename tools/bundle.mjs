// Bundles weft's entry points with esbuild (a dev dependency), after tsc has written dist/:
//   dist/index.js (+ dist/chunks/*.js: run()'s coordinator, loaded on first use), dist/cli/main.js (+ dist/cli/cli.bundle.cjs), dist/browser.js, dist/napi.js, dist/napi-register.js   each replaced by a one-file bundle of its graph
//   dist/host/node/worker.bundle.cjs, dist/host/browser/worker.bundle.js   the thread workers, one file each
// Loading ~40 separate ES modules costs ~70 ms per Node worker and 50-100 ms for `import 'weft'`; one file
// loads in a few ms. The unbundled modules tsc wrote stay in dist/ for the tests; the package ships only the
// bundles, chunks and .d.ts files (package.json `files`).
//
// The coordinators name their worker with a literal `new URL('./worker….js', import.meta.url)` (so users'
// bundlers see it); in a bundle import.meta.url is the bundle's, so those literals are rewritten to the
// worker bundle's path relative to it.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const common = { bundle: true, format: 'esm', logLevel: 'warning', legalComments: 'none', write: false };
const node = { ...common, platform: 'node', target: 'node20' };
const browser = { ...common, platform: 'browser', target: 'es2022' };

/** Keeps `import … from './napi.js'` as an import of the napi bundle (one WASI class per process). */
const napiExternal = {
  name: 'napi-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/napi\.js$/ }, (a) => ({ path: a.path, external: true }));
  },
};

/**
 * Rewrites the worker literals `new URL("<from>", <base>)` in `text`, the output file `file`, to the worker
 * bundle's path relative to that file (`base`: import.meta.url, or what stands for it); adds each literal
 * found to `found`.
 */
function rewriteWorkerLiterals(text, file, workerLiterals, base, found) {
  for (const [from, to] of Object.entries(workerLiterals)) {
    const rel = path.relative(path.dirname(file), dist + to);
    const lit = new RegExp(String.raw`new URL\(\s*"${from.replaceAll('.', '\\.')}"\s*,\s*${base.replaceAll('.', '\\.')}\s*\)`, 'g');
    if (!lit.test(text)) continue;
    found.add(from);
    text = text.replace(lit, `new URL(${JSON.stringify('./' + rel)}, ${base})`);
  }
  return text;
}

/** Each worker literal must occur in one of a bundle's output files. */
function checkWorkerLiterals(out, workerLiterals, found) {
  for (const from of Object.keys(workerLiterals)) {
    if (!found.has(from)) throw new Error(`bundle ${out}: worker literal new URL("${from}", import.meta.url) not found`);
  }
}

/**
 * Bundles `entry` to `out`. split: dynamic import()s become chunk files under dist/chunks/ (loaded on first
 * use; modules shared with the entry go to a shared chunk, so each class exists once). Worker literals are
 * rewritten in whichever output file holds them; each must occur in one of them.
 */
async function bundle(opts, entry, out, workerLiterals = {}, plugins = [], split = false) {
  const where = split
    ? { splitting: true, outdir: dist, entryPoints: [{ in: dist + entry, out: out.replace(/\.js$/, '') }], chunkNames: 'chunks/[name]-[hash]' }
    : { entryPoints: [dist + entry], outfile: dist + out };
  const r = await build({ ...opts, ...where, plugins });
  const found = new Set();
  for (const file of r.outputFiles) {
    const text = rewriteWorkerLiterals(file.text, file.path, workerLiterals, 'import.meta.url', found);
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    fs.writeFileSync(file.path, text);
  }
  checkWorkerLiterals(out, workerLiterals, found);
}

/**
 * A CommonJS bundle wrapped in one function expression, which host/node/code-cache.ts and worker-script.ts
 * compile with vm.Script and V8's code cache (Node 20 caches no ES module). It is called with (require, the
 * bundle's file URL, module), the URL standing for import.meta.url.
 */
async function cjsBundle(entry, out, workerLiterals = {}) {
  const r = await build({ ...node, format: 'cjs', entryPoints: [dist + entry], define: { 'import.meta.url': '__weftUrl' } });
  const found = new Set();
  const body = rewriteWorkerLiterals(r.outputFiles[0].text, dist + out, workerLiterals, '__weftUrl', found);
  checkWorkerLiterals(out, workerLiterals, found);
  fs.writeFileSync(dist + out, `(function (require, __weftUrl, module) {'use strict';\n${body}\n})`);
}

const nodeWorker = { './worker.bundle.cjs': 'host/node/worker.bundle.cjs', './worker.js': 'host/node/worker.bundle.cjs' };
const browserWorker = { './worker.js': 'host/browser/worker.bundle.js' };
fs.rmSync(dist + 'chunks', { recursive: true, force: true }); // stale chunks of an earlier build
await Promise.all([
  cjsBundle('host/node/worker.js', 'host/node/worker.bundle.cjs'),
  bundle(browser, 'host/browser/worker.js', 'host/browser/worker.bundle.js'),
  // The CLI: a small ES entry (esbuild keeps its #! line) that compiles the CommonJS CLI bundle with its code cache.
  bundle(node, 'cli/main.js', 'cli/main.js'),
  cjsBundle('cli/cli.js', 'cli/cli.bundle.cjs', nodeWorker),
  // run() loads its coordinator by import() (host/node/run-lazy.ts): a chunk, so `import 'weft'` for the
  // WASI class compiles only that class's code.
  bundle(node, 'index.js', 'index.js', nodeWorker, [], true),
  bundle(browser, 'browser.js', 'browser.js', browserWorker),
  bundle(node, 'napi.js', 'napi.js'),
  bundle(node, 'napi-register.js', 'napi-register.js', {}, [napiExternal]),
]);
