// Bundles weft's entry points with esbuild (a dev dependency), after tsc has written dist/:
//   dist/index.js (+ dist/chunks/*.js: run()'s coordinator, loaded on first use), dist/cli/main.js, dist/browser.js, dist/napi.js, dist/napi-register.js   each replaced by a one-file bundle of its graph
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
    let text = file.text;
    for (const [from, to] of Object.entries(workerLiterals)) {
      const rel = path.relative(path.dirname(file.path), dist + to);
      const lit = new RegExp(String.raw`new URL\(\s*"${from.replaceAll('.', '\\.')}"\s*,\s*import\.meta\.url\s*\)`, 'g');
      if (!lit.test(text)) continue;
      found.add(from);
      text = text.replace(lit, `new URL(${JSON.stringify('./' + rel)}, import.meta.url)`);
    }
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    fs.writeFileSync(file.path, text);
  }
  for (const from of Object.keys(workerLiterals)) {
    if (!found.has(from)) throw new Error(`bundle ${out}: worker literal new URL("${from}", import.meta.url) not found`);
  }
}

/**
 * The Node thread worker: CommonJS wrapped in one function expression, which host/node/worker-script.ts
 * compiles with vm.Script and V8's code cache (Node 20 caches no Worker's ES modules). It is called with
 * (require, the bundle's file URL), the latter standing for import.meta.url.
 */
async function nodeWorkerScript() {
  const r = await build({ ...node, format: 'cjs', entryPoints: [dist + 'host/node/worker.js'], define: { 'import.meta.url': '__weftUrl' } });
  const body = r.outputFiles[0].text;
  fs.writeFileSync(dist + 'host/node/worker.bundle.cjs', `(function (require, __weftUrl) {'use strict';\n${body}\n})`);
}

const nodeWorker = { './worker.bundle.cjs': 'host/node/worker.bundle.cjs', './worker.js': 'host/node/worker.bundle.cjs' };
const browserWorker = { './worker.js': 'host/browser/worker.bundle.js' };
fs.rmSync(dist + 'chunks', { recursive: true, force: true }); // stale chunks of an earlier build
await Promise.all([
  nodeWorkerScript(),
  bundle(browser, 'host/browser/worker.js', 'host/browser/worker.bundle.js'),
  // esbuild keeps the CLI's leading #! line.
  bundle(node, 'cli/main.js', 'cli/main.js', nodeWorker),
  // run() loads its coordinator by import() (host/node/run-lazy.ts): a chunk, so `import 'weft'` for the
  // WASI class compiles only that class's code.
  bundle(node, 'index.js', 'index.js', nodeWorker, [], true),
  bundle(browser, 'browser.js', 'browser.js', browserWorker),
  bundle(node, 'napi.js', 'napi.js'),
  bundle(node, 'napi-register.js', 'napi-register.js', {}, [napiExternal]),
]);
