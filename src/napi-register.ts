/**
 * `node --import weft/napi/register app.js`: every `node:wasi` WASI (require or import, main thread and
 * Workers, which inherit the --import) becomes weft/napi's, so napi-rs wasm32-wasi addons loaded by
 * @napi-rs/wasm-runtime share one weft process across their threads.
 *
 * Workers started without an explicit `trackUnmanagedFds` get `false`: by default Node closes every fd a
 * Worker opened when that Worker exits, and here a file an addon's worker thread opens belongs to the
 * whole process (the main thread and other workers keep using it). Set the option explicitly to keep
 * Node's behaviour for a given Worker.
 */
import { publishProcessFor, WASI } from './napi.js';
import { builtin } from './host/node/builtins.js';
import { outlineEveryCompile } from './host/node/outline-compiles.js';

// Before any addon loader compiles its (threaded) module: Node 20's Liftoff miscompiles atomic waits
// (engine.ts), so threaded modules are compiled with their waits outlined. A trap ("memory access out of
// bounds") seen once in 35 runs of an image-processing napi-rs addon under this hook came from that bug.
outlineEveryCompile();

// Loading node:wasi prints an ExperimentalWarning about a WASI this process will not use: hold it back.
// The original is kept unbound, to be put back as it was; it is called on `process`.
// eslint-disable-next-line @typescript-eslint/unbound-method
const emitWarning = process.emitWarning;
process.emitWarning = (w: string | Error, ...rest: unknown[]) => {
  if (!String(typeof w === 'string' ? w : w.message).includes('WASI')) Reflect.apply(emitWarning, process, [w, ...rest]);
};
let nodeWasi: Record<string, unknown>;
try {
  nodeWasi = builtin('wasi');
} finally {
  process.emitWarning = emitWarning;
}
nodeWasi['WASI'] = WASI;

const wt = builtin('worker_threads');
const NodeWorker = wt.Worker;
const skip = [import.meta.url];
class Worker extends NodeWorker {
  constructor(filename: string | URL, options: ConstructorParameters<typeof NodeWorker>[1] = {}) {
    // A Worker started by an addon's loader joins the process that loader's WASI created.
    publishProcessFor(new Error().stack, skip);
    super(filename, { trackUnmanagedFds: false, ...options });
  }
}
(wt as { Worker: typeof NodeWorker }).Worker = Worker;

// `import { WASI } from 'node:wasi'` (and Worker) read the ES module facade: bring it up to date.
builtin('module').syncBuiltinESMExports();
