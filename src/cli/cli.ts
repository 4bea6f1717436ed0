/** The `weft` command line: parses the arguments and runs the command; returns the exit code. */
import { fs, path } from '../host/node/builtins.js';
import { InvokeError, NotACommandError, run, UnknownImportsError } from '../host/node/run.js';
import { functionSignatures, type ValType } from '../abi/wasm-module.js';
import { parseArgs, type RunCommand, usage, USAGE_HINT } from './args.js';
import { formatWasmValue, parseWasmValue } from './wasm-values.js';

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `weft ${pkg.version}\n`;
}

/** A usage error: one line naming what is wrong, exit 2 (no usage dump). */
function usageError(message: string): number {
  process.stderr.write(`weft: ${message}; ${USAGE_HINT}\n`);
  return 2;
}

export async function cli(argv: string[]): Promise<number> {
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
    const bytes = new Uint8Array(fs.readFileSync(cmd.program));
    const invoke = cmd.invoke === undefined ? undefined : invocation(cmd, bytes);
    const r = await run(bytes, {
      // argv[0] is the program's name, not a path on the host (which would leak it and differ per machine).
      args: [cmd.argv0 ?? path.basename(cmd.program), ...cmd.args],
      env: cmd.env,
      preopens: cmd.preopens,
      maxThreads: cmd.maxThreads,
      maxProcesses: cmd.maxProcesses,
      trace: cmd.trace,
      traceSummary: cmd.traceSummary,
      profile: cmd.profile,
      net: cmd.net,
      tcpListen: cmd.tcpListen,
      allowUnknownImports: !!cmd.allowUnknownImports,
      ...(invoke && { invoke: invoke.call }),
      // Single-threaded preview1 programs run on this thread: no Worker to boot.
      sameThread: true,
    });
    // As `wasmtime run --invoke`: the results once the function returned, one per line.
    if (invoke && r.results) process.stdout.write(r.results.map((v, i) => formatWasmValue(v, invoke.results[i]!) + '\n').join(''));
    return r.exitCode;
  } catch (e) {
    process.stderr.write(`weft: ${cmd.program}: ${(e as Error).message ?? String(e)}\n`);
    return e instanceof NotACommandError || e instanceof UnknownImportsError || e instanceof InvokeError ? 2 : 1;
  }
}

/** --invoke's call: the export's arguments parsed from the command line by its parameter types. */
function invocation(cmd: RunCommand, bytes: Uint8Array): { call: { name: string; args: (number | bigint)[] }; results: ValType[] } {
  const name = cmd.invoke!;
  const type = functionSignatures(bytes).exports[name];
  if (!type) throw new InvokeError(`the module exports no function '${name}'`);
  if (cmd.args.length !== type.params.length) {
    throw new InvokeError(`'${name}' takes ${type.params.length} argument${type.params.length === 1 ? '' : 's'} (${type.params.join(', ') || 'none'}), got ${cmd.args.length}`);
  }
  const args = cmd.args.map((text, i) => {
    try {
      return parseWasmValue(text, type.params[i]!);
    } catch (e) {
      throw new InvokeError(`argument ${i + 1} of '${name}' (${type.params[i]}): ${(e as Error).message}`);
    }
  });
  return { call: { name, args }, results: type.results };
}
