// N sequential loopback connections to 127.0.0.1:PORT, each sends 64 bytes, reads the echo back and closes;
// prints "conn I" after every 100th and, at the end, "lost L" (connections whose echo was cut short).
// A process of its own, so that what the clients' sockets cost is not counted in the server's RSS.
//   node test/helpers/echo-clients.mjs PORT N
import net from 'node:net';

const [port, n] = process.argv.slice(2).map(Number);
let lost = 0;
function echoOnce() {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(Buffer.alloc(64, 7)));
    let got = 0;
    s.on('data', (b) => {
      got += b.length;
      if (got >= 64) s.end();
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (got < 64) lost++;
      resolve();
    });
  });
}
for (let c = 1; c <= n; c++) {
  await echoOnce();
  if (c % 100 === 0) process.stdout.write(`conn ${c}\n`);
}
process.stdout.write(`lost ${lost}\n`);
