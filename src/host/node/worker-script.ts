/**
 * How a Node thread worker loads its code: the one-file CommonJS bundle of worker.ts compiled with V8's
 * code cache, shared by every Worker this process boots.
 *
 * Node 20 keeps no code cache for a Worker's ES modules: each Worker parsed and compiled the ~350 KB
 * worker bundle (12-14 ms of CPU), then compiled each kernel function lazily on its first call (the first
 * syscalls of a thread in a fresh Worker). A `vm.Script` given `cachedData` skips both for what the cache
 * holds (0.1 ms to load). The cache is made by a Worker, never on the start-up path: the first Worker of a
 * process is not asked; a later one makes it once loaded ('load': top-level code), and another after its
 * first thread ended by itself ('run': also every function that thread called). V8 rejects a cache whose
 * source or flags differ; the script then compiles as before.
 *
 * The best cache a run made is also kept on disk (code-cache.ts; its first byte says its level), so the first
 * Worker of the next run of the same build starts from it and later runs improve it; a Worker that finds it
 * rejected says so, and it is removed (a new one is made as if there had been none).
 */
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { builtin, fs } from './builtins.js';
import { cacheFileFor, readCache, removeCache, writeCache, type CacheFile } from './code-cache.js';

// (A literal URL: tools/bundle.mjs rewrites it when it bundles this module into an entry point.)
const bundledScript = new URL('./worker.bundle.cjs', import.meta.url);
/** Without the bundle (a build before tools/bundle.mjs ran): the ES module, no cache. */
const moduleScript = new URL('./worker.js', import.meta.url);

/** Which cache a Worker is asked to post back (on its parentPort) as `{ t: 'code-cache', data, after }`. */
export type CacheRequest = 'load' | 'run';

/** The loader run as the Worker's script (CommonJS, eval): compiles the bundle with the cache it is given. */
const LOADER = `'use strict';
const { workerData } = require('node:worker_threads');
const { file, source, cache } = workerData.script;
const script = new (require('node:vm').Script)(Buffer.from(source).toString('latin1'), { filename: file, cachedData: cache });
globalThis[Symbol.for('weft.codeCache')] = { make: () => script.createCachedData(), used: cache ? !script.cachedDataRejected : undefined };
if (cache && script.cachedDataRejected) require('node:worker_threads').parentPort.postMessage({ t: 'code-cache-rejected' });
script.runInThisContext()(require, require('node:url').pathToFileURL(file).href);`;

let bundlePath: string | null | undefined;
let cache: Uint8Array | undefined;
/** What the cache holds: nothing yet (0), top-level code (1), or also a thread's run (2). */
let cacheLevel = 0;
/** A Worker was asked for the next level and has not answered (nor exited). */
let asked = false;
let booted = 0;
/** The bundle's cache file on disk (null: none usable); whether a Worker is to say if V8 took the one read from it. */
let diskFile: CacheFile | null | undefined;
let diskLevel = 0;
let diskUnconfirmed = false;

/** The cache kept on disk by an earlier run (a level byte, then V8's data), taken as this process's first. */
function readDiskCache(file: string): void {
  diskFile = cacheFileFor('worker', file);
  const data = readCache(diskFile);
  if (data === undefined || data.length < 2 || (data[0] !== 1 && data[0] !== 2)) return;
  cache = data.subarray(1);
  cacheLevel = diskLevel = data[0]!;
  diskUnconfirmed = true;
}

function writeDiskCache(level: number, data: Uint8Array): void {
  if (level <= diskLevel || !diskFile) return;
  diskLevel = level;
  const out = new Uint8Array(data.length + 1);
  out[0] = level;
  out.set(data, 1);
  writeCache(diskFile, out);
}

function bundle(): string | null {
  if (bundlePath === undefined) {
    const p = bundledScript.protocol === 'file:' ? builtin('url').fileURLToPath(bundledScript) : '';
    bundlePath = p && fs.existsSync(p) ? p : null;
  }
  return bundlePath;
}

/**
 * The bundle's bytes, read once by the thread that boots Workers and shared with each of them: a Worker
 * that opened the file itself and was terminated between its open and its close (a standby disposed, a
 * pool worker retired or ended with its process while still loading) left the fd open for good, as Node
 * closes no fd a Worker opened when it ends (trackUnmanagedFds is off for thread workers: their host fds
 * belong to the wasm process, not to the Worker).
 */
let sourceBytes: SharedArrayBuffer | undefined;

function bundleSource(file: string): SharedArrayBuffer {
  if (!sourceBytes) {
    const b = fs.readFileSync(file);
    sourceBytes = new SharedArrayBuffer(b.length);
    new Uint8Array(sourceBytes).set(b);
  }
  return sourceBytes;
}

/** What worker.ts finds in `workerData.script` when loaded by the loader. */
export interface ScriptData {
  /** The bundle's path (its name in stack traces and the code cache's check). */
  file: string;
  /** Its bytes (latin1: one byte a character). */
  source: SharedArrayBuffer;
  cache: Uint8Array | undefined;
  request: CacheRequest | undefined;
}

/**
 * Boots a Worker running worker.ts, with `workerData` (plus `script`), through the code cache when the
 * bundle exists. The first Worker of the process is never asked to make the cache (it runs the program's
 * start); later ones make the next level, one at a time.
 */
export function bootWorker(workerData: Record<string, unknown>, options: WorkerOptions): Worker {
  const wt = builtin('worker_threads');
  const file = bundle();
  booted++;
  if (file === null) return new wt.Worker(moduleScript, { ...options, workerData });
  if (diskFile === undefined) readDiskCache(file);
  let request: CacheRequest | undefined;
  if (!asked && cacheLevel < 2 && booted > 1) {
    request = cacheLevel === 0 ? 'load' : 'run';
    asked = true;
  }
  const script: ScriptData = { file, source: bundleSource(file), cache, request };
  const worker = new wt.Worker(LOADER, { ...options, eval: true, workerData: { ...workerData, script } });
  if (request) {
    let answered = false;
    worker.on('message', (m: { t?: string; data?: Uint8Array }) => {
      if (m.t !== 'code-cache' || answered) return;
      answered = true;
      asked = false;
      const level = request === 'load' ? 1 : 2;
      if (m.data && level > cacheLevel) {
        cache = m.data;
        cacheLevel = level;
        writeDiskCache(level, m.data);
      }
    });
    worker.once('exit', () => {
      if (!answered) asked = false;
    });
  }
  if (diskUnconfirmed && cache !== undefined) {
    // The first Worker given the disk's cache tells whether V8 refused it (another V8 flag set, say): then it
    // is removed, and Workers booted from then on make a new one (this run or the next), as without a file.
    diskUnconfirmed = false;
    const given = cache;
    worker.on('message', (m: { t?: string }) => {
      if (m.t !== 'code-cache-rejected' || cache !== given) return;
      cache = undefined;
      cacheLevel = diskLevel = 0;
      removeCache(diskFile ?? null);
    });
  }
  return worker;
}
