/**
 * Node built-ins, loaded on first use through process.getBuiltinModule (Node >= 20.16) instead of static
 * ES imports. An ES import of a built-in builds its ESM facade, which reads every export: for node:fs that
 * loads all of node:stream (~12 ms); worker_threads, net, tty and crypto cost several ms each to load and
 * most runs need only some of them. Together that was ~35 ms of `import 'weft'`.
 */
import type * as Fs from 'node:fs';
import type * as Path from 'node:path';
import type * as Url from 'node:url';
import type * as WorkerThreads from 'node:worker_threads';
import type * as Net from 'node:net';
import type * as Dgram from 'node:dgram';
import type * as Dns from 'node:dns';
import type * as Tty from 'node:tty';
import type * as Crypto from 'node:crypto';
import type * as Os from 'node:os';
import type * as V8 from 'node:v8';
import type * as Vm from 'node:vm';
import type * as NodeModule from 'node:module';
import { createRequire } from 'node:module';

interface Builtins {
  fs: typeof Fs;
  path: typeof Path;
  url: typeof Url;
  worker_threads: typeof WorkerThreads;
  net: typeof Net;
  dgram: typeof Dgram;
  dns: typeof Dns;
  tty: typeof Tty;
  crypto: typeof Crypto;
  os: typeof Os;
  v8: typeof V8;
  vm: typeof Vm;
  module: typeof NodeModule;
  /** node:wasi: only weft/napi/register touches it (to put weft/napi's WASI in its place). */
  wasi: Record<string, unknown>;
}

type Loader = (id: string) => unknown;
const proc = process as unknown as { getBuiltinModule?: Loader };
// Node 20.0-20.15 have no getBuiltinModule: fall back to a CommonJS require. Not through a top-level
// `await import()`: a module with top-level await is evaluated asynchronously, and a Worker terminated
// during that evaluation aborts the whole process in Node 20's V8 ("Check failed: (location_) != nullptr"
// in SourceTextModule::ExecuteAsyncModule, seen once in CI as a crash after a program's clean exit).
const load: Loader = proc.getBuiltinModule
  ? proc.getBuiltinModule.bind(process)
  : createRequire(import.meta.url);

const cache: Partial<Builtins> = {};

export function builtin<K extends keyof Builtins>(name: K): Builtins[K] {
  return (cache[name] ??= load(`node:${name}`) as Builtins[K]);
}

/** node:fs is loaded during Node's own bootstrap: taking it costs nothing. */
export const fs = builtin('fs');
export const path = builtin('path');
