// Bundles weft's entry points with esbuild (a dev dependency), after tsc has written dist/:
//   dist/index.js, dist/cli/main.js, dist/browser.js, dist/napi.js, dist/napi-register.js   each replaced by a one-file bundle of its graph
//   dist/host/node/worker.bundle.js, dist/host/browser/worker.bundle.js   the thread workers, one file each
// Loading ~40 separate ES modules costs ~70 ms per Node worker and 50-100 ms for `import 'weft'`; one file
// loads in a few ms. The unbundled modules tsc wrote stay in dist/ (for the .d.ts files and deep imports).
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

async function bundle(opts, entry, out, workerLiterals = {}, plugins = []) {
  const r = await build({ ...opts, entryPoints: [dist + entry], outfile: dist + out, plugins });
  let text = r.outputFiles[0].text;
  for (const [from, to] of Object.entries(workerLiterals)) {
    const rel = path.relative(path.dirname(dist + out), dist + to);
    const lit = new RegExp(String.raw`new URL\(\s*"${from.replaceAll('.', '\\.')}"\s*,\s*import\.meta\.url\s*\)`, 'g');
    if (!lit.test(text)) throw new Error(`bundle ${out}: worker literal new URL("${from}", import.meta.url) not found`);
    text = text.replace(lit, `new URL(${JSON.stringify('./' + rel)}, import.meta.url)`);
  }
  fs.writeFileSync(dist + out, text);
}

const nodeWorker = { './worker.bundle.js': 'host/node/worker.bundle.js', './worker.js': 'host/node/worker.bundle.js' };
const browserWorker = { './worker.js': 'host/browser/worker.bundle.js' };
await Promise.all([
  bundle(node, 'host/node/worker.js', 'host/node/worker.bundle.js'),
  bundle(browser, 'host/browser/worker.js', 'host/browser/worker.bundle.js'),
  // esbuild keeps the CLI's leading #! line.
  bundle(node, 'cli/main.js', 'cli/main.js', nodeWorker),
  bundle(node, 'index.js', 'index.js', nodeWorker),
  bundle(browser, 'browser.js', 'browser.js', browserWorker),
  bundle(node, 'napi.js', 'napi.js'),
  bundle(node, 'napi-register.js', 'napi-register.js', {}, [napiExternal]),
]);
