/**
 * weft/napi: a `node:wasi`-compatible WASI for napi-rs `*-wasm32-wasi` addons, where the WASI objects that
 * the addon's worker threads build join the main thread's process (one fd table, one exit state).
 * `node --import weft/napi/register app.js` puts it in place of node:wasi everywhere.
 */
export { WASI, WASIExitError, publishProcessFor } from './host/node/napi.js';
export type { WASIOptions } from './host/node/options.js';
