/**
 * The floor any Node.js proxy pays: a TCP relay that only forwards bytes
 * (no parsing, no recording), in its own process so its CPU can be counted
 * apart. The database benchmarks run it beside the gateway to show how
 * much of the gateway's cost is the runtime's socket path and how much is
 * observing and recording.
 *
 *   node dist/bench/node-relay.js LISTEN_PORT TARGET_PORT   (prints "ready" when listening)
 */
import { connect, createServer } from 'node:net';

const [listenPort, targetPort] = process.argv.slice(2).map(Number);
const server = createServer((client) => {
  client.setNoDelay(true);
  const target = connect({ host: '127.0.0.1', port: targetPort! });
  target.setNoDelay(true);
  client.pipe(target).on('error', () => client.destroy());
  target.pipe(client).on('error', () => target.destroy());
  client.on('error', () => target.destroy());
  target.on('error', () => client.destroy());
});
server.listen(listenPort, '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
