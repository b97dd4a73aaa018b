/**
 * direct-tcpip (ssh -L) through the target, for targets with
 * `portForwarding: true`: the target opens the connection, the gateway
 * relays it with backpressure and records one event when it opens and one
 * with the byte counts when it closes. The bytes themselves are not recorded.
 */
import type { Client, ClientChannel, ServerChannel, TcpipRequestInfo } from 'ssh2';
import type { Logger } from '../../src/log.js';
import type { Session } from '../../src/session/session.js';

export async function relayForward(
  accept: () => ServerChannel,
  reject: () => void,
  info: TcpipRequestInfo,
  target: Client,
  session: Session,
  log: Logger,
): Promise<void> {
  const where = { host: info.destIP, port: info.destPort, from: `${info.srcIP}:${info.srcPort}` };
  let remote: ClientChannel;
  try {
    remote = await new Promise((resolve, reject_) =>
      target.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, ch) => (err ? reject_(err) : resolve(ch))),
    );
  } catch (err) {
    session.event({ type: 'forward-failed', ...where, error: (err as Error).message });
    return reject();
  }
  const local = accept();
  session.event({ type: 'forward', ...where });
  log.info(where, 'port forward opened');
  let up = 0;
  let down = 0;
  local.on('data', (d: Buffer) => {
    up += d.length;
    session.activity();
    if (!remote.write(d)) local.pause();
  });
  remote.on('drain', () => local.resume());
  remote.on('data', (d: Buffer) => {
    down += d.length;
    if (!local.write(d)) remote.pause();
  });
  local.on('drain', () => remote.resume());
  local.on('end', () => remote.end());
  remote.on('end', () => local.end());
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    local.close();
    remote.close();
    session.event({ type: 'forward-closed', ...where, bytesIn: up, bytesOut: down });
  };
  local.on('close', close);
  remote.on('close', close);
}
