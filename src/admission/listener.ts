/**
 * The TCP listener every proxy serves from. Each connection first takes a
 * place before login (PreLoginGuard): refused at once beyond the caps, closed
 * when it has not logged in within the grace time. A listener that closes
 * destroys the connections still before login (sessions end the others,
 * with their message).
 *
 * Connections arrive paused; the proxy reads when it is ready.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { Eviction, PreLogin, PreLoginGuard } from './guard.js';

export interface GuardedListener {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** Refusals are logged at most once per this interval per listener, with a count. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export async function listenGuarded(
  at: { host: string; port: number },
  guard: PreLoginGuard,
  log: Logger,
  serve: (socket: Socket, place: PreLogin) => void,
): Promise<GuardedListener> {
  const before = new Set<Socket>();
  const refusals = throttledCount(log);
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const place = guard.enter(address, (why: Eviction) => {
      log.info({ client: `${address}:${socket.remotePort ?? 0}`, why }, why === 'grace-expired' ? 'closed a connection that did not log in in time' : 'closed a connection before login to make room');
      socket.destroy();
    });
    if (place === null) {
      refusals(address);
      socket.destroy();
      return;
    }
    before.add(socket);
    socket.once('close', () => {
      before.delete(socket);
      place.leave();
    });
    const tracked: PreLogin = {
      address,
      loggedIn: () => {
        before.delete(socket);
        place.loggedIn();
      },
      leave: () => place.leave(),
    };
    try {
      serve(socket, tracked);
    } catch (err) {
      log.error({ err }, 'connection failed');
      socket.destroy();
    }
  });
  server.on('error', (err) => log.error({ err }, 'listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of before) socket.destroy();
      }),
  };
}

/**
 * Logs refused connections: the first of an interval at once, the rest as one
 * warning at its end with how many and from how many addresses.
 */
function throttledCount(log: Logger): (address: string) => void {
  const WHY = 'too many connections not yet logged in (admission.maxPreLogin / maxPreLoginPerAddress)';
  let count = 0;
  const addresses = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    if (count > 0) log.warn({ refused: count, addresses: addresses.size }, `connections refused: ${WHY}`);
    count = 0;
    addresses.clear();
  };
  return (address) => {
    if (timer === undefined) {
      log.warn({ client: address }, `connection refused: ${WHY}`);
      timer = setTimeout(flush, REFUSAL_LOG_INTERVAL_MS);
      timer.unref();
      return;
    }
    count++;
    if (addresses.size < 1000) addresses.add(address);
  };
}
