// Playwright (playwright-core, Debian's /usr/bin/chromium — never a downloaded browser) plus the demo's
// COOP/COEP static server, shared by the browser tests and the browser benchmark.
import fs from 'node:fs';
import { startServer } from '../../examples/browser/server.mjs';

export const CHROMIUM = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserSkipReason() {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  try {
    import.meta.resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm install)';
  }
  return undefined;
}

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic',
    ],
  });
}

/** A page that loads weft/browser as plain ESM from dist/ and exposes it as window.weft. */
export const HARNESS_PATH = '/test/harness.html';
const harnessHtml = `<!doctype html><meta charset="utf-8"><title>weft harness</title>
<script type="module">
  import * as weft from '/dist/browser.js';
  window.weft = weft;
  window.harnessReady = true;
</script>`;

/** Starts the static server with the harness page; returns the server (see examples/browser/server.mjs). */
export async function startTestServer() {
  const server = await startServer({ port: 0, cache: process.env.CACHE });
  server.route(HARNESS_PATH, harnessHtml, 'text/html; charset=utf-8');
  return server;
}

/** Opens the harness in a new page; collects console messages in page.consoleLines. */
export async function openHarness(browser, server, query = '') {
  const page = await browser.newPage();
  page.consoleLines = [];
  page.on('console', (m) => page.consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => page.consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(server.url + HARNESS_PATH + query);
  await page.waitForFunction(() => window.harnessReady === true, null, { timeout: 10000 });
  return page;
}

/**
 * Runs a served wasm file in the page with weft's run(). spec.stdin: undefined | 'never' (a callback
 * whose promise never settles) | { chunks: string[], delayMs?: number } (callback, async, then EOF)
 * | { stream: string[] } (a ReadableStream) | string. Returns { exitCode, stdout, stderr, ms, error }.
 */
export function runInPage(page, wasmPath, spec = {}) {
  return page.evaluate(async ({ wasmPath, spec }) => {
    const { run } = window.weft;
    const dec = new TextDecoder();
    let stdout = '', stderr = '';
    const opts = {
      args: spec.args, env: spec.env, maxThreads: spec.maxThreads,
      stdout: (b) => (stdout += dec.decode(b, { stream: true })),
      stderr: (b) => (stderr += dec.decode(b, { stream: true })),
    };
    const s = spec.stdin;
    if (s === 'never') opts.stdin = () => new Promise(() => {});
    else if (typeof s === 'string') opts.stdin = s;
    else if (s && s.chunks) {
      const chunks = s.chunks.slice();
      opts.stdin = () => new Promise((r) => setTimeout(() => r(chunks.length ? chunks.shift() : null), s.delayMs ?? 0));
    } else if (s && s.stream) {
      const chunks = s.stream.slice();
      const enc = new TextEncoder();
      opts.stdin = new ReadableStream({
        async pull(c) {
          await new Promise((r) => setTimeout(r, 5));
          if (chunks.length) c.enqueue(enc.encode(chunks.shift()));
          else c.close();
        },
      });
    }
    const t0 = performance.now();
    try {
      const { exitCode } = await run(fetch(wasmPath), opts);
      return { exitCode, stdout, stderr, ms: performance.now() - t0 };
    } catch (e) {
      return { error: String(e && e.message || e), stdout, stderr, ms: performance.now() - t0 };
    }
  }, { wasmPath, spec });
}
