/**
 * `weft run` options, declared once in OPTIONS: the parser and the help text are both built from this
 * table, so an option added here shows up in `weft run --help` without further edits.
 */

export interface RunCommand {
  help?: boolean;
  program: string;
  args: string[];
  /** argv[0] the program sees (default: the program file's base name). */
  argv0: string | undefined;
  env: string[];
  preopens: Record<string, { path: string; readOnly: boolean }>;
  maxThreads: number | undefined;
  maxProcesses?: number;
  trace: boolean | string | undefined;
  /** Network access for WASIX sockets: true for all, or the allowed HOST:PORT list. */
  net: boolean | string[] | undefined;
  tcpListen: string[];
}

export interface OptionDef {
  /** Flag names, e.g. ['--env'] or ['-h', '--help']. */
  names: string[];
  /** Placeholder of the value (e.g. 'K=V'); omitted for switches. */
  value?: string;
  /** The value may be attached with '=' only (e.g. --trace[=FILE]). */
  optionalValue?: boolean;
  help: string;
  /** Applies the option to the command; throws an Error with a user-facing message on bad input. */
  apply(cmd: RunCommand, value: string | undefined, flag: string): void;
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} expects a positive integer, got '${v}'`);
  return n;
}

function preopen(cmd: RunCommand, spec: string, readOnly: boolean): void {
  const sep = spec.indexOf('::');
  const host = sep >= 0 ? spec.slice(0, sep) : spec;
  const guest = sep >= 0 ? spec.slice(sep + 2) : spec;
  cmd.preopens[guest] = { path: host, readOnly };
}

export const OPTIONS: OptionDef[] = [
  {
    names: ['--env'], value: 'K=V', help: 'set an environment variable (repeatable)',
    apply(cmd, v, flag) {
      if (!v!.includes('=')) throw new Error(`${flag} expects K=V, got '${v}'`);
      cmd.env.push(v!);
    },
  },
  {
    names: ['--dir'], value: 'HOST[::GUEST]', help: 'preopen a host directory (as GUEST, default the same path)',
    apply: (cmd, v) => preopen(cmd, v!, false),
  },
  {
    names: ['--dir-ro'], value: 'HOST[::GUEST]', help: 'preopen a host directory read-only',
    apply: (cmd, v) => preopen(cmd, v!, true),
  },
  {
    names: ['--argv0'], value: 'NAME', help: "argv[0] the program sees (default: the program file's base name)",
    apply: (cmd, v) => void (cmd.argv0 = v),
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
    apply(cmd, v) {
      const list = v!.split(',').map((x) => x.trim()).filter(Boolean);
      if (cmd.net !== true) cmd.net = [...(Array.isArray(cmd.net) ? cmd.net : []), ...list];
    },
  },
  {
    names: ['--tcp-listen'], value: 'HOST:PORT', help: 'hand the program a listening TCP socket (fd after the preopens; repeatable)',
    apply: (cmd, v) => void cmd.tcpListen.push(v!),
  },
  {
    names: ['--trace'], value: 'FILE', optionalValue: true,
    help: 'log every syscall (thread, arguments, result, time) to stderr or FILE',
    apply: (cmd, v) => void (cmd.trace = v ?? true),
  },
  {
    names: ['-h', '--help'], help: 'this text',
    apply: (cmd) => void (cmd.help = true),
  },
];

function optionLabel(o: OptionDef): string {
  const v = o.value === undefined ? '' : o.optionalValue ? `[=${o.value}]` : ` ${o.value}`;
  return o.names.join(', ') + v;
}

function buildUsage(): string {
  const labels = OPTIONS.map(optionLabel);
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  const lines = OPTIONS.map((o, i) => `  ${labels[i]!.padEnd(width)}${o.help}`);
  return `usage: weft run [options] program.wasm [args...]

options:
${lines.join('\n')}

Environment: WEFT_LOG=debug enables the syscall log (WEFT_LOG_FILE=path sends it to a file).
`;
}

export const usage = buildUsage();

const byName = new Map<string, OptionDef>();
for (const o of OPTIONS) for (const n of o.names) byName.set(n, o);

export function parseArgs(argv: string[]): RunCommand | { error: string } {
  const cmd: RunCommand = {
    program: '', args: [], argv0: undefined, env: [], preopens: {}, maxThreads: undefined, trace: undefined,
    net: undefined, tcpListen: [],
  };
  let i = 0;
  if (argv[0] === '-h' || argv[0] === '--help' || argv.length === 0) return { ...cmd, help: true };
  if (argv[0] !== 'run') return { error: `unknown command '${argv[0]}'` };
  i++;
  try {
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') { i++; break; }
      if (!a.startsWith('-')) break;
      const eq = a.indexOf('=');
      const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
      const def = byName.get(flag);
      if (!def) throw new Error(`unknown option '${a}'`);
      let v: string | undefined;
      if (def.value === undefined) {
        if (inline !== undefined) throw new Error(`${flag} takes no value`);
      } else if (def.optionalValue) {
        v = inline;
      } else {
        v = inline ?? argv[++i];
        if (v === undefined) throw new Error(`${flag} needs a value (${def.value})`);
      }
      def.apply(cmd, v, flag);
      if (cmd.help) return cmd;
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
