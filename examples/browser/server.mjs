// A tiny static server for the browser demo and tests. Every response is cross-origin isolated:
// Cross-Origin-Opener-Policy: same-origin + Cross-Origin-Embedder-Policy: require-corp (which weft needs
// for SharedArrayBuffer and wasm threads), and Cross-Origin-Resource-Policy: same-origin on every asset.
// Serves the package root's dist/ and examples/, plus in-memory routes (tests add fixtures there).
//
//   node examples/browser/server.mjs [port]     (or: npm run demo)
//
// `?coi=0` on a request drops both isolation headers, `?coi=coop` keeps only COOP, `?coi=coep` only COEP
// (to see weft's error for a page that is not isolated).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.wat': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

export function contentType(file) {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function isolationHeaders(coi) {
  const h = { 'Cross-Origin-Resource-Policy': 'same-origin' };
  if (coi !== '0' && coi !== 'coep') h['Cross-Origin-Opener-Policy'] = 'same-origin';
  if (coi !== '0' && coi !== 'coop') h['Cross-Origin-Embedder-Policy'] = 'require-corp';
  return h;
}

/**
 * Starts the server. Returns { url, port, route(path, body, type?), close() }.
 * @param {{ port?: number, host?: string, root?: string, dirs?: string[], log?: boolean }} opts
 */
export function startServer(opts = {}) {
  const root = path.resolve(opts.root ?? packageRoot);
  const dirs = opts.dirs ?? ['dist', 'examples'];
  const routes = new Map();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const headers = { ...isolationHeaders(u.searchParams.get('coi')), 'Cache-Control': opts.cache ?? 'no-cache' };
    const send = (status, body, type) => {
      res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', 'text/plain');
    let pathname;
    try {
      pathname = decodeURIComponent(u.pathname);
    } catch {
      return send(400, 'bad path\n', 'text/plain');
    }
    if (pathname === '/') {
      res.writeHead(302, { ...headers, Location: '/examples/browser/' });
      return res.end();
    }
    const r = routes.get(pathname);
    if (r) return send(200, r.body, r.type);
    const rel = path.normalize(pathname).replace(/^[/\\]+/, '');
    const top = rel.split(/[/\\]/)[0];
    if (rel.startsWith('..') || !dirs.includes(top)) return send(404, 'not found\n', 'text/plain');
    let file = path.join(root, rel);
    if (!file.startsWith(root + path.sep)) return send(404, 'not found\n', 'text/plain');
    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        if (!pathname.endsWith('/')) {
          res.writeHead(301, { ...headers, Location: pathname + '/' + u.search });
          return res.end();
        }
        file = path.join(file, 'index.html');
      }
      fs.stat(file, (err2, st2) => {
        if (err2 || !st2.isFile()) return send(404, 'not found\n', 'text/plain');
        const etag = `"${st2.size.toString(16)}-${Math.floor(st2.mtimeMs).toString(16)}"`;
        headers.ETag = etag;
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, headers);
          return res.end();
        }
        fs.readFile(file, (err3, body) => {
          if (err3) return send(404, 'not found\n', 'text/plain');
          if (opts.log) console.log(`${req.method} ${pathname}`);
          send(200, body, contentType(file));
        });
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const { port } = server.address();
      const host = opts.host ?? '127.0.0.1';
      resolve({
        port,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        route(p, body, type) {
          routes.set(p, { body: typeof body === 'string' ? Buffer.from(body) : Buffer.from(body), type: type ?? contentType(p) });
        },
        close() {
          server.closeAllConnections?.();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const want = Number(process.argv[2] ?? process.env.PORT ?? 8080);
  if (!fs.existsSync(path.join(packageRoot, 'dist', 'browser.js'))) {
    console.error('dist/browser.js is missing: run `npm run build` first (npm run demo does).');
    process.exit(1);
  }
  let s;
  try {
    s = await startServer({ port: want });
  } catch (e) {
    if (e.code !== 'EADDRINUSE') throw e;
    s = await startServer({ port: 0 });
  }
  console.log(`weft browser demo: ${s.url}/examples/browser/`);
  console.log('(serving dist/ and examples/ with COOP/COEP; Ctrl-C to stop)');
}
