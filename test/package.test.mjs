// The published package: `npm pack` holds the bundles (with their chunks and worker bundles), the .d.ts
// types, README, docs and examples, nothing else; installed from its tarball into an empty project it
// loads (weft, weft/napi), its types check (the Node entries' without the DOM lib) and `npx weft run` runs
// the bundled example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function sh(cmd, args, cwd, timeout = 60_000) {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout, killSignal: 'SIGKILL', maxBuffer: 16 << 20, env: { ...process.env, npm_config_update_notifier: 'false' } },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr }));
  });
}

// The bundles the package.json entries, the CLI and the coordinators load (chunks are checked by pattern).
const bundles = ['dist/index.js', 'dist/browser.js', 'dist/napi.js', 'dist/napi-register.js', 'dist/cli/main.js', 'dist/cli/cli.bundle.cjs',
  'dist/host/node/worker.bundle.cjs', 'dist/host/browser/worker.bundle.js'];

test('npm pack holds only the bundles, their chunks, the .d.ts types, README, docs, examples and package.json', async () => {
  // --ignore-scripts: no `prepare` rebuild while other test files use dist/.
  const r = await sh(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], root);
  assert.equal(r.code, 0, r.stderr);
  const files = JSON.parse(r.stdout)[0].files.map((f) => f.path);
  const stray = files.filter((f) => !(bundles.includes(f) || /^dist\/chunks\/[\w-]+\.js$/.test(f) || /^dist\/.*\.d\.ts$/.test(f)
    || f === 'README.md' || f === 'package.json' || f.startsWith('docs/') || f.startsWith('examples/')));
  assert.deepEqual(stray, []);
  for (const b of bundles) assert.ok(files.includes(b), `${b} is in the package`);
  assert.ok(files.some((f) => f.startsWith('dist/chunks/')), 'run() chunks are in the package');
  assert.ok(files.includes('dist/index.d.ts') && files.includes('dist/browser.d.ts') && files.includes('dist/napi.d.ts'));
  // Each bundle is self-contained: no import of a per-module file (relative imports only reach other bundles or chunks).
  for (const b of [...bundles, ...files.filter((f) => f.startsWith('dist/chunks/'))]) {
    const text = fs.readFileSync(path.join(root, b), 'utf8');
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(b), m[1]));
      assert.ok(files.includes(target), `${b} imports ${m[1]} (${target}), which is in the package`);
    }
  }
});

test('the packed tarball installs and works: import weft and weft/napi, types without DOM, npx weft run', { timeout: 240_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pack-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const packed = await sh(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], root);
  assert.equal(packed.code, 0, packed.stderr);
  const tarball = path.join(tmp, JSON.parse(packed.stdout)[0].filename);
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  // weft has no dependencies: installing its tarball needs no registry.
  const inst = await sh(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], app, 120_000);
  assert.equal(inst.code, 0, inst.stderr);

  const load = await sh(process.execPath, ['--input-type=module', '-e', `
    const weft = await import('weft');
    const napi = await import('weft/napi');
    const browserTypes = (await import('weft/package.json', { with: { type: 'json' } })).default.exports['./browser'].types;
    const wasi = new weft.WASI({ version: 'preview1', args: ['x'] });
    const fs = new weft.MemoryFS({ '/a.txt': 'hi' });
    console.log(JSON.stringify({
      weft: [typeof weft.run, typeof weft.WASI, typeof weft.MemoryFS, typeof weft.NotACommandError, typeof wasi.getImportObject().wasi_snapshot_preview1.fd_write],
      memfs: fs.readText('/a.txt'),
      napi: [typeof napi.WASI, typeof napi.WASIExitError, new napi.WASI({}).attached],
      browserTypes,
    }));`], app);
  assert.equal(load.code, 0, load.stderr);
  assert.deepEqual(JSON.parse(load.stdout), {
    weft: ['function', 'function', 'function', 'function', 'function'],
    memfs: 'hi',
    napi: ['function', 'function', false],
    browserTypes: './dist/browser.d.ts',
  });
  assert.ok(fs.existsSync(path.join(app, 'node_modules', 'weft', 'dist', 'browser.d.ts')), 'weft/browser types installed');

  // The types, as a user's TypeScript sees them: the Node entries with ES2022 + @types/node and no DOM lib,
  // the browser entry with the DOM lib. skipLibCheck off, so weft's own .d.ts files are checked too.
  const typeRoots = [path.join(root, 'node_modules', '@types')];
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const check = async (name, lib, types, source) => {
    const dir = path.join(app, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'main.ts'), source);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib, types, typeRoots, strict: true,
        noEmit: true, skipLibCheck: false, exactOptionalPropertyTypes: true },
      files: ['main.ts'],
    }));
    const r = await sh(process.execPath, [tsc, '-p', dir], app, 120_000);
    assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
  };
  await check('node-types', ['ES2022'], ['node'], `
    import { run, WASI, MemoryFS, Errno, NotACommandError, type RunOptions } from 'weft';
    import { WASI as NapiWASI, WASIExitError } from 'weft/napi';
    const o: RunOptions = { args: ['p'], maxThreads: undefined, preopens: { '/d': new MemoryFS().dir('/') }, stdout: 'capture' };
    const code: Promise<number> = run('p.wasm', o).then((r) => r.exitCode);
    const w = new WASI({ version: 'preview1' });
    const start: (i: object) => number = w.start.bind(w);
    const n = new NapiWASI({}); const c: number | undefined = n.exitCode;
    void code; void start; void c; void Errno.BADF; void NotACommandError; void WASIExitError;
  `);
  await check('browser-types', ['ES2022', 'DOM'], [], `
    import { run, MemoryFS, prewarm, type RunOptions } from 'weft/browser';
    const o: RunOptions = { stdin: 'ignore', preopens: { '/d': new MemoryFS().dir('/') } };
    const r: Promise<{ exitCode: number }> = run(new Uint8Array(8), o);
    void r; void prewarm;
  `);

  const example = path.join(app, 'node_modules', 'weft', 'examples', 'threads.wasm');
  const ran = await sh(npx, ['--no-install', 'weft', 'run', example, '2', '100000'], app, 60_000);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /\n9592 primes below 100000, counted by 2 threads\n$/);
});
