// The real napi-rs wasm32-wasi packages of the `napi` benchmark group, fetched from the npm registry with
// `npm pack` (once) into .cache/napi/bench/node_modules/<name>, each checked against its pinned integrity,
// as test/helpers/napi-package.mjs fetches the oxc-resolver package. They cannot be devDependencies: their
// package.json says cpu: ["wasm32"], so `npm ci` refuses them on x64 (EBADPLATFORM). rolldown's JS front is
// fetched the same way so that its `require('@rolldown/binding-wasm32-wasi')` finds the binding beside it;
// the loaders' own JS dependencies (@napi-rs/wasm-runtime, @emnapi/core, @emnapi/runtime, and rolldown's
// @rolldown/pluginutils) are devDependencies, resolved from the repository's node_modules.
// Versions: the newest whose loader uses @emnapi 1.11.2, the version the repository already has.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const NAPI_BENCH_DIR = path.join(root, '.cache', 'napi', 'bench', 'node_modules');
/**
 * A second tree for the newest @napi-rs/lzma, whose loader needs @emnapi 2 (a beta): its emnapi packages are
 * fetched beside it, so they shadow the repository's 1.11.2 for it alone (what they need besides,
 * @emnapi/wasi-threads, tslib and @tybys/wasm-util, resolves from the repository's node_modules). Its
 * emnapi 2 async-work threads wait for work by spinning on sched_yield, which the 1.x ones do not.
 */
export const NAPI_BENCH_DIR2 = path.join(root, '.cache', 'napi', 'bench-emnapi2', 'node_modules');

export const NAPI_BENCH_PACKAGES = [
  { name: '@napi-rs/tar-wasm32-wasi', version: '1.1.1', integrity: 'sha512-rwtQ1Mdt/ft6g6I54fJzbUeLspl4yTwj6I3UJ6mitKnrN42soJkcDrdh3Y/FGvlpqZTad2YMQ96fGJl3EtAm2Q==' },
  { name: '@napi-rs/lzma-wasm32-wasi', version: '1.5.1', integrity: 'sha512-gy3wwPBa6+XEyA4fUzq6CClrXA1ajXjuVf5zbnHytJRgoHznj+mvpU3+co2fxXwqTCmIpn6KrzqH5bRDztBPhA==' },
  { name: '@rolldown/binding-wasm32-wasi', version: '1.2.0', integrity: 'sha512-rwdbUL465kisF24WEJLvP3JrEG6E5GRuIHt5wpMwHGERtHe4Wm2CIvtf5gTBgr2tGOHKh5NdKEAFS2VkOPE91g==' },
  { name: 'rolldown', version: '1.2.0', integrity: 'sha512-u7tgm5l4Yw1iTqUL4EcYOAt7fFvCgQMLeidrnD4GALlC6aOznCjezYajgxeyKw27u0Q5N7fwgCzjVyPIWzwuBA==' },
  { dir: NAPI_BENCH_DIR2, name: '@napi-rs/lzma-wasm32-wasi', version: '1.5.3', integrity: 'sha512-gJ2YpVByn8xNbSCbOwQhCN9Jc2ZQY0ERx/K3XFDldbyiFXCphbEnciptp3bwqcp+WUJvIvpZxcKP1+6tcUEj1g==' },
  { dir: NAPI_BENCH_DIR2, name: '@emnapi/core', version: '2.0.0-beta.3', integrity: 'sha512-KA+gOBtbifRATmUa/Gpf5C2B2EJ0r4brHUT3XSgACeHREcuiObXH56xd+B3fFsEFbUT04VBEe6MuZiCtMp0tQg==' },
  { dir: NAPI_BENCH_DIR2, name: '@emnapi/runtime', version: '2.0.0-beta.3', integrity: 'sha512-ayb/PyyLzpwRyFVxeC0uoEHu59QlB1iWGcGsOpXQcaB/Dc+uGfBmNmpCHp3HmTT0t8lSsMmg3j7+tdJW/TlHjQ==' },
  { dir: NAPI_BENCH_DIR2, name: '@napi-rs/wasm-runtime', version: '1.2.7', integrity: 'sha512-zJccwplOAbgfZju95IUHazLnx9RAPtPN2YGJXI6UbrgeaR9QfPjGrQL6ERkSAtnVCA4Q+83ApGyaX5zdpCaKkQ==' },
];

/** Fetches (if needed) every package; returns the node_modules directory that holds them. */
export function napiBenchPackages() {
  for (const p of NAPI_BENCH_PACKAGES) fetchPackage(p);
  return NAPI_BENCH_DIR;
}

function fetchPackage({ dir: tree = NAPI_BENCH_DIR, name, version, integrity }) {
  const dir = path.join(tree, name);
  const stamp = path.join(dir, '.integrity');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === integrity) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir, `${name}@${version}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [info] = JSON.parse(out);
  if (info.integrity !== integrity) throw new Error(`${name}: integrity ${info.integrity}, expected ${integrity}`);
  execFileSync('tar', ['-xzf', path.join(dir, info.filename), '-C', dir, '--strip-components=1']);
  fs.rmSync(path.join(dir, info.filename));
  fs.writeFileSync(stamp, integrity);
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(napiBenchPackages());
