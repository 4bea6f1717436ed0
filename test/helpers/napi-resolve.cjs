// Driven by test/napi.test.mjs: resolves module specifiers with the real napi-rs package
// @oxc-resolver/binding-wasm32-wasi (its own loader, resolver.wasi.cjs, which does `new WASI()` from
// node:wasi in the main thread and in each of its worker threads), synchronously (main thread) and
// asynchronously (the addon's worker threads), and prints the results as JSON.
//   node [--import weft/napi/register] napi-resolve.cjs <package dir> <base dir> <specifier>...
const [pkg, base, ...specifiers] = process.argv.slice(2);
const { ResolverFactory } = require(`${pkg}/resolver.wasi.cjs`);
const options = { extensions: ['.js', '.mjs', '.cjs', '.json'], conditionNames: ['node', 'import', 'require'] };
const resolver = new ResolverFactory(options);
// A second resolver (its own cache) for the async calls, so their file system reads happen in the workers.
const asyncResolver = new ResolverFactory(options);
(async () => {
  const out = {};
  for (const s of specifiers) out[`sync ${s}`] = resolver.sync(base, s);
  const done = await Promise.all(specifiers.map((s) => asyncResolver.async(base, s)));
  specifiers.forEach((s, i) => (out[`async ${s}`] = done[i]));
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
})();
