// @wasmer/sdk peer of the proc group's shell case (bench/wasix/shell.mjs):
//   node bench/peers/wasmer-shell.mjs ROOTFS SCRIPT
// Makes one package of ROOTFS/bin/* (sh and the programs, each a command, as Wasmer maps commands into
// /bin) and runs `sh -c SCRIPT` in a sandbox. Prints "@ 95 <set-up ms>" and "@ 96 <command ms>" on stderr,
// and exits with the command's exit code.
import fs from 'node:fs';
import path from 'node:path';
import { Wasmer } from '@wasmer/sdk/node';

const [rootfs, script] = process.argv.slice(2);
const t0 = performance.now();
const wasmer = new Wasmer();
const modules = {};
for (const name of fs.readdirSync(path.join(rootfs, 'bin'))) modules[name] = fs.readFileSync(path.join(rootfs, 'bin', name));
const commands = Object.fromEntries(Object.keys(modules).map((m) => [m, { module: m }]));
const pkg = await wasmer.packages.create({ modules, commands, entrypoint: 'sh' });
const sandbox = await wasmer.sandboxes.create({ packages: [pkg] });
const t1 = performance.now();
let code;
try {
  const out = await sandbox.command(pkg.command('sh'), ['-c', script]).run({ check: false });
  const t2 = performance.now();
  process.stdout.write(out.text());
  process.stderr.write(`@ 95 ${Math.round(t1 - t0)}\n@ 96 ${Math.round(t2 - t1)}\n`);
  code = out.exitCode ?? 0;
} finally {
  await sandbox.close();
}
process.exit(code);
