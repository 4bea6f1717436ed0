#!/usr/bin/env node
/** The `weft` command line. */
import { run } from '../host/node/run.js';
import { parseArgs, usage } from './args.js';

async function main(argv: string[]): Promise<number> {
  const cmd = parseArgs(argv);
  if ('error' in cmd) {
    process.stderr.write(`weft: ${cmd.error}\n${usage}`);
    return 2;
  }
  if (cmd.help) {
    process.stdout.write(usage);
    return 0;
  }
  try {
    const code = await run(cmd.program, {
      args: [cmd.program, ...cmd.args],
      env: cmd.env,
      preopens: cmd.preopens,
      maxThreads: cmd.maxThreads,
      maxProcesses: cmd.maxProcesses,
      trace: cmd.trace,
      net: cmd.net,
      tcpListen: cmd.tcpListen,
    });
    return code;
  } catch (e) {
    process.stderr.write(`weft: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// All workers are gone by now; exit explicitly so an idle stdin handle cannot keep the CLI alive.
process.exit(code & 0xff);
