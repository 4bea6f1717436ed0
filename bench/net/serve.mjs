// Starts a server command, waits until its port accepts connections, runs a client command against it,
// then kills the server. Usage: node serve.mjs SERVER... -- CLIENT...   ('{port}' is replaced by a free port)
import { spawn } from 'node:child_process';
import net from 'node:net';

const argv = process.argv.slice(2);
const cut = argv.indexOf('--');
const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const sub = (a) => a.map((x) => x.replaceAll('{port}', String(port)));
const [sCmd, ...sArgs] = sub(argv.slice(0, cut));
const [cCmd, ...cArgs] = sub(argv.slice(cut + 1));
const server = spawn(sCmd, sArgs, { stdio: ['ignore', 'ignore', 'inherit'] });
const up = () => new Promise((resolve) => {
  const c = net.connect({ host: '127.0.0.1', port }, () => { c.end(); resolve(true); });
  c.on('error', () => resolve(false));
});
let ok = false;
for (let i = 0; i < 300 && !ok; i++) {
  ok = await up();
  if (!ok) await new Promise((r) => setTimeout(r, 50));
}
if (!ok) {
  server.kill('SIGKILL');
  console.error('server did not start');
  process.exit(1);
}
const client = spawn(cCmd, cArgs, { stdio: ['ignore', 'ignore', 'inherit'] });
const code = await new Promise((resolve) => client.on('exit', (c) => resolve(c ?? 1)));
server.kill('SIGKILL');
process.exit(code);
