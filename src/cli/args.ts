export const usage = `usage: weft run [options] program.wasm [args...]

options:
  --env K=V             set an environment variable (repeatable)
  --dir HOST[::GUEST]   preopen a host directory (as GUEST, default the same path)
  --dir-ro HOST[::GUEST] preopen a host directory read-only
  --max-threads N       most wasm threads alive at once, main included (default 256)
  --max-procs N         most WASIX processes alive at once (fork/spawn), the first included (default 64)
  --net                 allow all network access (WASIX sockets; off by default)
  --net-allow HOST:PORT[,HOST:PORT...]  allow only these (host: IP, localhost or *; port * for any)
  --tcp-listen HOST:PORT  hand the program a listening TCP socket (fd after the preopens; repeatable)
  --trace[=FILE]        log every syscall (thread, arguments, result, time) to stderr or FILE
  -h, --help            this text

Environment: WEFT_LOG=debug enables the syscall log (WEFT_LOG_FILE=path sends it to a file).
`;

export interface RunCommand {
  help?: boolean;
  program: string;
  args: string[];
  env: string[];
  preopens: Record<string, { path: string; readOnly: boolean }>;
  maxThreads: number | undefined;
  maxProcesses?: number;
  trace: boolean | string | undefined;
  net: boolean | string[] | undefined;
  tcpListen: string[];
}

export function parseArgs(argv: string[]): RunCommand | { error: string } {
  const cmd: RunCommand = { program: '', args: [], env: [], preopens: {}, maxThreads: undefined, trace: undefined, net: undefined, tcpListen: [] };
  let i = 0;
  if (argv[0] === '-h' || argv[0] === '--help' || argv.length === 0) return { ...cmd, help: true };
  if (argv[0] !== 'run') return { error: `unknown command '${argv[0]}'` };
  i++;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new Error(`${name} needs a value`);
    return v;
  };
  try {
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') { i++; break; }
      if (!a.startsWith('-')) break;
      const eq = a.indexOf('=');
      const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
      const val = (): string => inline ?? value(flag);
      switch (flag) {
        case '-h': case '--help': return { ...cmd, help: true };
        case '--env': {
          const kv = val();
          if (!kv.includes('=')) throw new Error(`--env expects K=V, got '${kv}'`);
          cmd.env.push(kv);
          break;
        }
        case '--dir': case '--dir-ro': {
          const spec = val();
          const sep = spec.indexOf('::');
          const host = sep >= 0 ? spec.slice(0, sep) : spec;
          const guest = sep >= 0 ? spec.slice(sep + 2) : spec;
          cmd.preopens[guest] = { path: host, readOnly: flag === '--dir-ro' };
          break;
        }
        case '--max-threads': {
          const n = Number(val());
          if (!Number.isInteger(n) || n < 1) throw new Error('--max-threads expects a positive integer');
          cmd.maxThreads = n;
          break;
        }
        case '--max-procs': {
          const n = Number(val());
          if (!Number.isInteger(n) || n < 1) throw new Error('--max-procs expects a positive integer');
          cmd.maxProcesses = n;
          break;
        }
        case '--net':
          cmd.net = true;
          break;
        case '--net-allow': {
          const list = val().split(',').map((x) => x.trim()).filter(Boolean);
          if (cmd.net !== true) cmd.net = [...(Array.isArray(cmd.net) ? cmd.net : []), ...list];
          break;
        }
        case '--tcp-listen':
          cmd.tcpListen.push(val());
          break;
        case '--trace':
          cmd.trace = inline ?? true;
          break;
        default:
          throw new Error(`unknown option '${a}'`);
      }
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
