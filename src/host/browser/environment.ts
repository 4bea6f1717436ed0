/** Checks that this page can run threaded wasm, with messages that say what to change. */

export class WeftEnvironmentError extends Error {
  override name = 'WeftEnvironmentError';
}

const COOP = 'Cross-Origin-Opener-Policy: same-origin';
const COEP = 'Cross-Origin-Embedder-Policy: require-corp (or credentialless)';

/**
 * Which of the two isolation headers the page's own response lacks, found by re-requesting the page
 * (best effort: undefined when that is not possible).
 */
async function missingIsolationHeaders(): Promise<string[] | undefined> {
  const loc = (globalThis as { location?: { href: string; protocol: string } }).location;
  if (!loc || !/^https?:$/.test(loc.protocol) || typeof fetch !== 'function') return undefined;
  try {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 2000);
    const r = await fetch(loc.href, { method: 'HEAD', cache: 'no-store', signal: ctl.signal });
    clearTimeout(timer);
    const missing: string[] = [];
    if ((r.headers.get('cross-origin-opener-policy') ?? '').trim().toLowerCase() !== 'same-origin') missing.push(COOP);
    const coep = (r.headers.get('cross-origin-embedder-policy') ?? '').trim().toLowerCase();
    if (coep !== 'require-corp' && coep !== 'credentialless') missing.push(COEP);
    return missing.length ? missing : undefined;
  } catch {
    return undefined;
  }
}

/** Throws a WeftEnvironmentError unless SharedArrayBuffer, Atomics, Workers and shared wasm memory work. */
export async function checkEnvironment(): Promise<void> {
  const g = globalThis as { crossOriginIsolated?: boolean; isSecureContext?: boolean };
  if (g.crossOriginIsolated === false || typeof SharedArrayBuffer === 'undefined') {
    const missing = await missingIsolationHeaders();
    const which = missing
      ? `The page's response is missing: ${missing.join('; ')}.`
      : `Serve the page with both headers: ${COOP} and ${COEP}.`;
    const secure = g.isSecureContext === false ? ' The page must also be a secure context (https:, or http://localhost).' : '';
    throw new WeftEnvironmentError(
      `weft: this page is not cross-origin isolated (crossOriginIsolated is false), so SharedArrayBuffer ` +
        `and wasm threads are unavailable. ${which} Every subresource (scripts, workers, wasm) must then be ` +
        `same-origin or send Cross-Origin-Resource-Policy (or CORS).${secure}`,
    );
  }
  if (typeof Atomics === 'undefined' || typeof Atomics.wait !== 'function') {
    throw new WeftEnvironmentError('weft: this browser has no Atomics.wait; threads need it inside Web Workers.');
  }
  if (typeof Worker === 'undefined') {
    throw new WeftEnvironmentError('weft: Web Workers are not available here; weft runs every wasm thread in a Worker.');
  }
  if (typeof WebAssembly === 'undefined') throw new WeftEnvironmentError('weft: this browser has no WebAssembly.');
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(m.buffer instanceof SharedArrayBuffer)) throw new Error('memory.buffer is not a SharedArrayBuffer');
  } catch (e) {
    throw new WeftEnvironmentError(
      `weft: this browser does not support shared WebAssembly memory (the threads proposal): ${(e as Error).message}`,
    );
  }
}

/** Rewrites a compile failure into a message that names the likely cause. */
export function compileError(e: unknown): Error {
  const msg = (e as Error)?.message ?? String(e);
  return new WeftEnvironmentError(
    `weft: this browser cannot compile the module: ${msg}. The module may use a WebAssembly feature this ` +
      'browser does not support (or is not a valid wasm binary).',
  );
}
