#!/usr/bin/env node
/**
 * The `weft` command's entry: loads the CLI (cli.ts) and runs it. In the package the CLI is a CommonJS
 * bundle compiled with V8's code cache kept on disk (host/node/code-cache.ts: ~18 ms less per run); a build
 * without bundles imports the ES module.
 */
import { fs } from '../host/node/builtins.js';
import { loadBundle } from '../host/node/code-cache.js';

type Cli = (argv: string[]) => Promise<number>;

// (A literal URL: the CLI bundle beside this file.)
const bundled = new URL('./cli.bundle.cjs', import.meta.url);
let cli: Cli;
let save = (): void => {};
if (bundled.protocol === 'file:' && fs.existsSync(bundled)) {
  const b = loadBundle<{ cli: Cli }>('cli', bundled);
  cli = b.exports.cli;
  save = b.save;
} else {
  // (Not a literal: the bundler must not inline the CLI here.)
  cli = ((await import(new URL('./cli.js', import.meta.url).href)) as { cli: Cli }).cli;
}
const code = await cli(process.argv.slice(2));
save();
// All workers are gone by now; exit explicitly so an idle stdin handle cannot keep the CLI alive.
process.exit(code & 0xff);
