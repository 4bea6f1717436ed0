// Bundles the Node thread worker's module graph (dist/host/node/worker.js and everything it imports)
// into one file, dist/host/node/worker.bundle.js, with esbuild. Every wasm thread boots a Worker that
// loads this graph: as ~40 separate ES modules that costs ~70 ms per worker here, as one file ~25 ms.
// The coordinator uses the bundle when it exists and falls back to worker.js otherwise.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/host/node/', import.meta.url));
await build({
  entryPoints: [dist + 'worker.js'],
  outfile: dist + 'worker.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  legalComments: 'none',
});
