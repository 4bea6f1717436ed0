// The "proc" group's real-shell case (issue 17): Debian's dash built for WASIX (tools/dash/build.sh) runs
// a loop of 30 `x=$(echo $i | cat)`, each iteration a fork for the command substitution, a fork for the
// pipeline and an exec of /bin/cat (test/fixtures/c/bin); against the host's native dash with the same
// programs compiled natively, and @wasmer/sdk running the same wasm files, in the same run. The metric is
// the process's wall time, start-up included (the SDK's set-up is in it too; it also prints it apart).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const cache = process.env.WEFT_CACHE ?? path.join(root, '.cache');
const fixtures = path.join(cache, 'fixtures');
const BIN = ['echo', 'cat', 'wc', 'sleep'];

export const SHELL = { iterations: 30 };
export const SHELL_SCRIPT = `i=0; while [ $i -lt ${SHELL.iterations} ]; do x=$(echo $i | cat); i=$((i+1)); done; echo "$x"`;
/** "@ tag value" tags the @wasmer/sdk child prints: its set-up (new Wasmer + package + sandbox), the script's run. */
export const SHELL_TAGS = { setup: 95, run: 96 };

/** Builds dash and the /bin programs (if stale); returns the wasm and native rootfs directories (removed at exit). */
function rootfs() {
  execFileSync('bash', [path.join(root, 'tools', 'build-fixtures.sh'), 'dash', 'bin', 'bin-native'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const wasm = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-sh-'));
  const native = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-shn-'));
  fs.mkdirSync(path.join(wasm, 'bin'));
  fs.mkdirSync(path.join(native, 'bin'));
  fs.copyFileSync(path.join(fixtures, 'dash', 'sh.wasm'), path.join(wasm, 'bin', 'sh'));
  for (const p of BIN) {
    fs.copyFileSync(path.join(fixtures, 'bin', `${p}.wasm`), path.join(wasm, 'bin', p));
    fs.copyFileSync(path.join(fixtures, 'bin-native', p), path.join(native, 'bin', p));
  }
  process.on('exit', () => [wasm, native].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  return { wasm, native };
}

export function defineShell({ def, node, weftCli }) {
  const { wasm, native } = rootfs();
  const dash = execFileSync('bash', ['-c', 'command -v dash'], { encoding: 'utf8' }).trim();
  const m = (l, ms) => ({ wall: ms, vsSdk: ms, setup: l[SHELL_TAGS.setup]?.[0], run: l[SHELL_TAGS.run]?.[0] });
  def('procshell', 'native', `native: the host's dash (${dash}), programs built with gcc`, [dash, '-c', SHELL_SCRIPT], m,
    { env: { ...process.env, PATH: path.join(native, 'bin') } });
  def('procshell', 'weft', 'weft run (CLI) --dir ROOTFS::/ sh.wasm -c', node([], weftCli, 'run', '--env', 'PATH=/bin',
    '--dir', `${wasm}::/`, path.join(wasm, 'bin', 'sh'), '-c', SHELL_SCRIPT), m);
  def('procshell', 'wasmer', '@wasmer/sdk (Node), the same wasm files as commands of one package',
    node([], path.join(root, 'bench', 'peers', 'wasmer-shell.mjs'), wasm, SHELL_SCRIPT), m);
  return {
    procshell: {
      title: `A real shell: dash running ${SHELL.iterations} iterations of x=$(echo $i | cat) (fork, fork, exec of cat each), process wall time`,
      unit: 'ms',
      metrics: {
        wall: ['end to end', 'native'],
        vsSdk: ['end to end (ratio to @wasmer/sdk)', 'wasmer:wall'],
        setup: ['@wasmer/sdk: its set-up alone', 'wasmer'],
        run: ['@wasmer/sdk: the command alone', 'wasmer'],
      },
    },
  };
}
