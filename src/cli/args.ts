/**
 * The `weft` command line, declared once in OPTIONS: the parser and the help text are both built from
 * this table, so an option added here shows up in `weft run --help` without further edits.
 *
 *   weft [run] [options] program.wasm [args...]     (`run` may be left out, as with `wasmtime`)
 *   weft --version | --help
 *
 * Options come before the program; everything after it is the program's (or, with --invoke, the
 * function's arguments). A mistake is one line naming the option, ending "try 'weft run --help'".
 */
import { fs } from '../host/node/builtins.js';
import { parseHostPort } from '../host/node/host-port.js';

export interface RunCommand {
  help?: boolean;
  version?: boolean;
  program: string;
  args: string[];
  /** argv[0] the program sees (default: the program file's base name). */
  argv0: string | undefined;
  env: string[];
  preopens: Record<string, { path: string; readOnly: boolean }>;
  maxThreads: number | undefined;
  maxProcesses?: number;
  trace: boolean | string | undefined;
  /** --trace-summary: strace -c's table at exit; 'threads' for one per thread. */
  traceSummary?: boolean | 'threads';
  /** --profile FILE: Chrome Trace Event Format; a FILE.html becomes a self-contained timeline page. */
  profile?: string;
  /** Network access for WASIX sockets: true for all, or the allowed HOST:PORT list. */
  net: boolean | string[] | undefined;
  tcpListen: string[];
  /** --invoke: the export to call; `args` are then its arguments. */
  invoke?: string;
  /** Unknown imports trap when called instead of failing the run before it starts. */
  allowUnknownImports?: boolean;
}

/** What the parser reads from the host (injected by tests). */
export interface ParseContext {
  /** weft's own environment, for `--env NAME`. */
  env: Record<string, string | undefined>;
  /** Is this path a WebAssembly binary (it starts with the wasm magic)? */
  isWasmFile(path: string): boolean;
  /** Is this path a directory, missing, or something else? */
  dirState(path: string): 'dir' | 'missing' | 'other';
}

export interface OptionDef {
  /** Flag names, e.g. ['--env'] or ['-h', '--help']. */
  names: string[];
  /** Placeholder of the value (e.g. 'K=V'); omitted for switches. */
  value?: string;
  /**
   * The value may be left out (--trace [FILE]). `--flag=VALUE` always gives one; `--flag X` takes X only
   * when it cannot be the program: see takesNext().
   */
  optionalValue?: boolean;
  help: string;
  /** Applies the option to the command; throws an Error with a user-facing message on bad input. */
  apply(cmd: RunCommand, value: string | undefined, flag: string, ctx: ParseContext): void;
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} expects a positive integer, got '${v}'`);
  return n;
}

function preopen(cmd: RunCommand, flag: string, spec: string, readOnly: boolean, ctx: ParseContext): void {
  const sep = spec.indexOf('::');
  const host = sep >= 0 ? spec.slice(0, sep) : spec;
  const guest = sep >= 0 ? spec.slice(sep + 2) : spec;
  if (!host || !guest) throw new Error(`${flag} expects HOST[::GUEST], got '${spec}'`);
  const state = ctx.dirState(host);
  if (state === 'missing') throw new Error(`${flag} ${host}: no such directory`);
  if (state === 'other') throw new Error(`${flag} ${host}: not a directory`);
  cmd.preopens[guest] = { path: host, readOnly };
}

/** Rewords parseHostPort's error with the flag in front. */
function hostPort(flag: string, spec: string, wildcards: boolean): void {
  try {
    parseHostPort(spec, wildcards);
  } catch (e) {
    throw new Error(`${flag}: ${(e as Error).message}`, { cause: e });
  }
}

export const OPTIONS: OptionDef[] = [
  {
    names: ['--env'], value: 'NAME[=VAL]', help: "set NAME=VAL, or pass NAME on from weft's environment (repeatable)",
    apply(cmd, v, flag, ctx) {
      const eq = v!.indexOf('=');
      const name = eq >= 0 ? v!.slice(0, eq) : v!;
      if (!name) throw new Error(`${flag} expects NAME or NAME=VAL, got '${v}'`);
      if (eq >= 0) cmd.env.push(v!);
      // As `wasmtime --env NAME`: a name weft's environment does not have stays unset in the program's.
      else if (ctx.env[name] !== undefined) cmd.env.push(`${name}=${ctx.env[name]}`);
    },
  },
  {
    names: ['--dir'], value: 'HOST[::GUEST]', help: 'preopen a host directory (as GUEST, default the same path)',
    apply: (cmd, v, flag, ctx) => preopen(cmd, flag, v!, false, ctx),
  },
  {
    names: ['--dir-ro'], value: 'HOST[::GUEST]', help: 'preopen a host directory read-only',
    apply: (cmd, v, flag, ctx) => preopen(cmd, flag, v!, true, ctx),
  },
  {
    names: ['--argv0'], value: 'NAME', help: "argv[0] the program sees (default: the program file's base name)",
    apply: (cmd, v) => void (cmd.argv0 = v),
  },
  {
    names: ['--invoke'], value: 'FUNC',
    help: 'call export FUNC instead of _start (after _initialize); the program\'s arguments are its parameters',
    apply(cmd, v, flag) {
      if (!v) throw new Error(`${flag} expects a function name`);
      cmd.invoke = v;
    },
  },
  {
    names: ['--max-threads'], value: 'N', help: 'most wasm threads alive at once, main included (default 256)',
    apply: (cmd, v, flag) => void (cmd.maxThreads = positiveInt(flag, v!)),
  },
  {
    names: ['--max-procs'], value: 'N', help: 'most WASIX processes alive at once (fork/spawn), the first included (default 64)',
    apply: (cmd, v, flag) => void (cmd.maxProcesses = positiveInt(flag, v!)),
  },
  {
    names: ['--net'], help: 'allow all network access (WASIX sockets; off by default)',
    apply: (cmd) => void (cmd.net = true),
  },
  {
    names: ['--net-allow'], value: 'HOST:PORT[,HOST:PORT...]', help: 'allow only these (host: IP, localhost or *; port * for any)',
    apply(cmd, v, flag) {
      const list = v!.split(',').map((x) => x.trim()).filter(Boolean);
      if (list.length === 0) throw new Error(`${flag} expects HOST:PORT[,HOST:PORT...], got '${v}'`);
      for (const spec of list) hostPort(flag, spec, true);
      if (cmd.net !== true) cmd.net = [...(Array.isArray(cmd.net) ? cmd.net : []), ...list];
    },
  },
  {
    names: ['--tcp-listen'], value: 'HOST:PORT', help: 'hand the program a listening TCP socket (fd after the preopens; repeatable)',
    apply(cmd, v, flag) {
      hostPort(flag, v!, false);
      cmd.tcpListen.push(v!);
    },
  },
  {
    names: ['--allow-unknown-imports'],
    help: 'run a module importing functions weft does not provide; they trap when called',
    apply: (cmd) => void (cmd.allowUnknownImports = true),
  },
  {
    names: ['--trace'], value: 'FILE', optionalValue: true,
    help: 'log syscalls (decoded, as strace -f -tt -T) and thread/process events to stderr or FILE',
    apply: (cmd, v) => void (cmd.trace = v ?? true),
  },
  {
    names: ['--trace-summary'], value: 'threads', optionalValue: true,
    help: 'at exit, calls, errors and time per syscall (strace -c); =threads: a table per thread',
    apply(cmd, v, flag) {
      if (v !== undefined && v !== 'threads') throw new Error(`${flag} takes no value or 'threads', got '${v}'`);
      cmd.traceSummary = v === 'threads' ? 'threads' : true;
    },
  },
  {
    names: ['--profile'], value: 'FILE.json|FILE.html',
    help: 'a track per wasm thread, a slice per syscall: a Chrome trace (Perfetto), or for .html an offline timeline page',
    apply: (cmd, v) => void (cmd.profile = v!),
  },
  {
    names: ['-V', '--version'], help: "print weft's version",
    apply: (cmd) => void (cmd.version = true),
  },
  {
    names: ['-h', '--help'], help: 'this text',
    apply: (cmd) => void (cmd.help = true),
  },
];

function optionLabel(o: OptionDef): string {
  const v = o.value === undefined ? '' : o.optionalValue ? ` [${o.value}]` : ` ${o.value}`;
  return o.names.join(', ') + v;
}

function buildUsage(): string {
  const labels = OPTIONS.map(optionLabel);
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  const lines = OPTIONS.map((o, i) => `  ${labels[i]!.padEnd(width)}${o.help}`);
  return `usage: weft [run] [options] program.wasm [args...]
       weft --version

options:
${lines.join('\n')}

Options go before the program; everything after it is passed to the program. --trace FILE takes FILE only
when it is not the last argument, does not end in .wasm and is not a wasm binary; --trace=FILE always does.
Environment: WEFT_LOG=debug enables the syscall log (WEFT_LOG_FILE=path sends it to a file);
WEFT_CODE_CACHE=DIR|off: where weft keeps V8's compiled code of its own bundles (default ~/.cache/weft).
`;
}

export const usage = buildUsage();

/** Appended to every usage error. */
export const USAGE_HINT = "try 'weft run --help'";

const byName = new Map<string, OptionDef>();
for (const o of OPTIONS) for (const n of o.names) byName.set(n, o);

export const hostContext: ParseContext = {
  env: process.env,
  isWasmFile(p) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(p, 'r');
      const b = new Uint8Array(4);
      return fs.readSync(fd, b, 0, 4, 0) === 4 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;
    } catch {
      return false;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  },
  dirState(p) {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    return st === undefined ? 'missing' : st.isDirectory() ? 'dir' : 'other';
  },
};

/**
 * May an optional value be taken from the next argument? Only when that argument cannot be the program:
 * it is not an option, not the last argument (a program must follow), does not end in .wasm and is not
 * a wasm binary. A runnable program is a wasm binary, so this never takes the program.
 */
function takesNext(next: string | undefined, remaining: number, ctx: ParseContext): boolean {
  if (next === undefined || next.startsWith('-') || remaining < 1) return false;
  return !/\.wasm$/i.test(next) && !ctx.isWasmFile(next);
}

/** Parses `weft`'s arguments; `{ error }` is a usage error (one line, without the hint). */
export function parseArgs(argv: string[], ctx: ParseContext = hostContext): RunCommand | { error: string } {
  const cmd: RunCommand = {
    program: '', args: [], argv0: undefined, env: [], preopens: {}, maxThreads: undefined, trace: undefined,
    net: undefined, tcpListen: [],
  };
  if (argv.length === 0) return { ...cmd, help: true };
  let i = argv[0] === 'run' ? 1 : 0;
  try {
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') { i++; break; }
      if (!a.startsWith('-') || a === '-') break;
      const eq = a.indexOf('=');
      const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
      const def = byName.get(flag);
      if (!def) throw new Error(`unknown option '${flag}'`);
      let v: string | undefined;
      if (def.value === undefined) {
        if (inline !== undefined) throw new Error(`${flag} takes no value`);
      } else if (inline !== undefined) {
        v = inline;
      } else if (def.optionalValue) {
        if (takesNext(argv[i + 1], argv.length - i - 2, ctx)) v = argv[++i];
      } else {
        v = argv[++i];
        if (v === undefined) throw new Error(`${flag} needs a value (${def.value})`);
      }
      def.apply(cmd, v, flag, ctx);
      if (cmd.help || cmd.version) return cmd;
    }
  } catch (e) {
    return { error: (e as Error).message };
  }
  const program = argv[i];
  if (!program) return { error: 'no program given' };
  cmd.program = program;
  cmd.args = argv.slice(i + 1);
  return cmd;
}
