/** Turns the public options (options.ts) into the kernel's process configuration pieces. */
import { fs, path } from './builtins.js';
import type { BackendDescriptor } from '../../fs/backend.js';
import type { PreopenConfig, StdioTarget } from '../../kernel/config.js';
import { describeHostFd } from './coordinator-host.js';
import { createTimesBuffer } from './set-times.js';
import type { CommonOptions } from './options.js';

export function envList(env: CommonOptions['env']): string[] {
  if (!env) return [];
  if (Array.isArray(env)) return env;
  return Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
}

export function preopenList(preopens: CommonOptions['preopens']): PreopenConfig[] {
  const out: PreopenConfig[] = [];
  const times = createTimesBuffer(); // one record of set times for all host preopens of the process
  const lookups = new SharedArrayBuffer(4); // one generation of the verified-directory caches (hostfs-guard.ts DirCache)
  for (const [guestPath, v] of Object.entries(preopens ?? {})) {
    let backend: BackendDescriptor;
    if (typeof v === 'string') backend = { kind: 'host', root: path.resolve(v), readOnly: false, times, lookups };
    else if ('kind' in v) backend = v.kind === 'host' ? { ...v, times: v.times ?? times, lookups: v.lookups ?? lookups } : v;
    else backend = { kind: 'host', root: path.resolve(v.path), readOnly: !!v.readOnly, times, lookups };
    if (backend.kind === 'host' && !fs.statSync(backend.root, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Error(`preopen ${guestPath}: ${backend.root} is not a directory`);
    }
    out.push({ guestPath, backend });
  }
  return out;
}

/**
 * How the kernel reaches host fd `fd`. `tty`: tell a terminal from other character devices (only WASIX
 * tty_get needs it; it costs loading node:tty, ~5 ms, so the preview1-only WASI classes skip it).
 */
export function fdTarget(fd: number, direct: boolean, tty = true): StdioTarget {
  const d = describeHostFd(fd, tty);
  return { kind: 'fd', fd, ...d, direct: direct || d.file };
}

/** Trace switch: the option, else WEFT_LOG=debug (file from WEFT_LOG_FILE). Returns the fd to log to. */
export function traceSetup(trace: CommonOptions['trace']): { enabled: boolean; fd: number; close(): void } {
  const envOn = /^(debug|trace)$/i.test(process.env['WEFT_LOG'] ?? '');
  const file = typeof trace === 'string' ? trace : envOn ? process.env['WEFT_LOG_FILE'] : undefined;
  const enabled = trace === undefined ? envOn : trace !== false;
  if (enabled && file) {
    const fd = fs.openSync(file, 'a');
    return { enabled, fd, close: () => fs.closeSync(fd) };
  }
  return { enabled, fd: 2, close: () => {} };
}
