#!/usr/bin/env node
/** The `weft` command line. */
import { fs, path } from '../host/node/builtins.js';
import { NotACommandError, run } from '../host/node/run.js';
import { parseArgs, usage, USAGE_HINT } from './args.js';

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `weft ${pkg.version}\n`;
}

/** A usage error: one line naming what is wrong, exit 2 (no usage dump). */
function usageError(message: string): number {
  process.stderr.write(`weft: ${message}; ${USAGE_HINT}\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const cmd = parseArgs(argv);
  if ('error' in cmd) return usageError(cmd.error);
  if (cmd.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (cmd.version) {
    process.stdout.write(version());
    return 0;
  }
  const st = fs.statSync(cmd.program, { throwIfNoEntry: false });
  if (!st) return usageError(`${cmd.program}: no such file`);
  if (st.isDirectory()) return usageError(`${cmd.program}: is a directory, not a wasm module`);
  try {
    const code = await run(cmd.program, {
      // argv[0] is the program's name, not a path on the host (which would leak it and differ per machine).
      args: [cmd.argv0 ?? path.basename(cmd.program), ...cmd.args],
      env: cmd.env,
      preopens: cmd.preopens,
      maxThreads: cmd.maxThreads,
      maxProcesses: cmd.maxProcesses,
      trace: cmd.trace,
      net: cmd.net,
      tcpListen: cmd.tcpListen,
      // Single-threaded preview1 programs run on this thread: no Worker to boot.
      sameThread: true,
    });
    return code;
  } catch (e) {
    process.stderr.write(`weft: ${cmd.program}: ${(e as Error).message ?? String(e)}\n`);
    return e instanceof NotACommandError ? 2 : 1;
  }
}

const code = await main(process.argv.slice(2));
// All workers are gone by now; exit explicitly so an idle stdin handle cannot keep the CLI alive.
process.exit(code & 0xff);
