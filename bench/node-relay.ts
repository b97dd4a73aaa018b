/**
 * The floor any Node.js proxy pays: a TCP relay that only forwards bytes
 * (no parsing, no recording), in its own process so its CPU can be counted
 * apart. The database benchmarks run it beside the gateway to show how
 * much of the gateway's cost is the runtime's socket path and how much is
 * observing and recording.
 *
 *   node dist/bench/node-relay.js LISTEN_PORT TARGET_PORT [--onread]   (prints "ready" when listening)
 *
 * By default it is what most Node.js proxies are: `pipe()` both ways, each
 * read a fresh Buffer pushed through the streams. With --onread it reads
 * each socket into a buffer of its own that is used again (net's `onread`),
 * with no Readable stream in between: how far the floor itself can move.
 * A buffer still held by a write the kernel did not take at once is left to
 * that write, and the socket reads into a new one.
 */
import { connect, createServer, Socket } from 'node:net';

const [listenPort, targetPort] = process.argv.slice(2).map(Number);
const onread = process.argv.includes('--onread');
const READ_SIZE = 64 * 1024;

function piped(client: Socket): void {
  client.setNoDelay(true);
  const target = connect({ host: '127.0.0.1', port: targetPort! });
  target.setNoDelay(true);
  client.pipe(target).on('error', () => client.destroy());
  target.pipe(client).on('error', () => target.destroy());
  client.on('error', () => target.destroy());
  target.on('error', () => client.destroy());
}

/** Reads of `from` go to `to`; returns net's onread option for `from`. */
function forwarder(from: () => Socket, to: () => Socket): { buffer: () => Buffer; callback: (n: number, buf: Buffer) => boolean } {
  let buffer = Buffer.allocUnsafe(READ_SIZE);
  return {
    buffer: () => buffer,
    callback: (n, buf) => {
      const dest = to();
      const queued = dest.writableLength > 0;
      // Behind writes still queued, the bytes must outlive this read: a copy.
      const ok = dest.write(queued ? Buffer.from(buf.subarray(0, n)) : buf.subarray(0, n));
      if (!queued && dest.writableLength > 0) buffer = Buffer.allocUnsafe(READ_SIZE);
      if (ok) return true;
      dest.once('drain', () => from().resume());
      return false;
    },
  };
}

function reading(accepted: Socket): void {
  // net.Server has no onread option: the accepted connection's handle is taken over by a socket that has one.
  const handle = (accepted as unknown as { _handle: unknown })._handle;
  (accepted as unknown as { _handle: unknown })._handle = null;
  let client: Socket | undefined;
  let target: Socket | undefined;
  target = connect({ host: '127.0.0.1', port: targetPort!, noDelay: true, onread: forwarder(() => target!, () => client!) });
  client = new Socket({ handle, onread: forwarder(() => client!, () => target!) } as never);
  client.setNoDelay(true);
  for (const [a, b] of [[client, target], [target, client]] as const) {
    a.on('error', () => b.destroy());
    a.on('end', () => b.end());
    a.on('close', () => b.destroy());
  }
}

const server = onread ? createServer({ pauseOnConnect: true }, reading) : createServer(piped);
server.listen(listenPort, '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
