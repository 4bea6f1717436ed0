// A real napi-rs wasm32-wasi package for the weft/napi tests: @oxc-resolver/binding-wasm32-wasi, fetched
// from the npm registry with `npm pack` into .cache/napi/ (once) and checked against its pinned integrity.
// It cannot be a plain devDependency: its package.json says cpu: ["wasm32"], so `npm ci` refuses it on
// x64 (EBADPLATFORM). Its JS dependencies (@napi-rs/wasm-runtime, @emnapi/core, @emnapi/runtime) are
// devDependencies, resolved from the repository's node_modules.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const NAPI_PACKAGE = {
  name: '@oxc-resolver/binding-wasm32-wasi',
  version: '11.24.2',
  integrity: 'sha512-vHcssMPwO08RTvj/c0iOBz90attxyG3wQJ0dTcyEQK43LRpcdLWZlV5feBhv6Isn6ahbQIzHbCgfa81+RiML0Q==',
};

/** Directory of the unpacked package (its resolver.wasi.cjs is the napi-rs loader); fetches it if needed. */
export function napiPackageDir() {
  const dir = path.join(root, '.cache', 'napi', `oxc-resolver-${NAPI_PACKAGE.version}`);
  const stamp = path.join(dir, '.integrity');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === NAPI_PACKAGE.integrity) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir, `${NAPI_PACKAGE.name}@${NAPI_PACKAGE.version}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [info] = JSON.parse(out);
  if (info.integrity !== NAPI_PACKAGE.integrity) throw new Error(`${NAPI_PACKAGE.name}: integrity ${info.integrity}, expected ${NAPI_PACKAGE.integrity}`);
  execFileSync('tar', ['-xzf', path.join(dir, info.filename), '-C', dir, '--strip-components=1']);
  fs.rmSync(path.join(dir, info.filename));
  fs.writeFileSync(stamp, NAPI_PACKAGE.integrity);
  return dir;
}
