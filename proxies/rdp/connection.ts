/**
 * One person's RDP connection, from the X.224 Connection Request to the
 * relay: the gateway selects TLS (standard RDP security is refused with
 * RDP_NEG_FAILURE), terminates it with its own certificate, plays the
 * MCS server (Connect-Response, Attach User, Channel Joins) until the
 * Client Info PDU brings the login `alice+win01` and its password, checks
 * them through admission, logs in to the target and starts the relay.
 *
 * A refusal after TLS is a Set Error Info PDU and an MCS Disconnect Provider
 * Ultimatum, and a log line; nothing is recorded before a session opens.
 * One after a successful login (target down or refusing, a required recording
 * failing, a lock) is first drawn on the person's screen (refusal-screen.ts).
 */
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { LoginAttempt } from '../../src/admission/admission.js';
import type { PreLogin } from '../../src/admission/guard.js';
import { Refusal } from '../../src/admission/refusal.js';
import { NlaError, NlaServer, type NlaResult } from '../../src/auth/nla-session.js';
import { checkPassword, ntHashLookup } from '../../src/auth/users.js';
import type { GatewayContext } from '../../src/daemon/proxy.js';
import { ProtocolError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { Sodium } from '../../src/seal/sodium.js';
import { ConnectionState, decodeEnvelope, type Envelope } from './codec/envelope.js';
import { readTpkt } from './codec/framer.js';
import { parseX224, Protocol } from './codec/x224.js';
import { acceptTls } from '../wire/listener.js';
import { PeerClosedError, SocketReader } from '../wire/socket-reader.js';
import type { TargetPins } from '../wire/target-pins.js';
import {
  attachUserConfirm,
  channelJoinConfirm,
  connectResponse,
  disconnectUltimatum,
  ErrorInfo,
  gatewayChannels,
  GATEWAY_IO_CHANNEL,
  negotiationFailure,
  negotiationResponse,
  NegFailure,
  rdpFrame,
  setErrorInfo,
  type GatewayChannels,
} from './pdus.js';
import { drawRefusal, type RefusalScreen } from './refusal-screen.js';
import { startRelay } from './relay.js';
import { MESSAGE_HOLD_MS } from './screen-message.js';
import type { RdpTargetOptions } from './spec.js';
import { connectTarget, TargetError, type TargetLink } from './target.js';

export interface ListenerDeps {
  gateway: GatewayContext;
  sodium: Sodium;
  log: Logger;
  tls: SecureContext;
  /** The gateway's certificate (PEM), which NLA binds to. */
  certificate: Buffer;
  pins: TargetPins;
}

/** Largest PDU before the session opens: a Connect-Initial with every channel fits in a few kilobytes. */
const MAX_PRELOGIN_PDU = 16 * 1024;
/** MCS domain PDUs the person may send before their Client Info (erect, attach, one join per channel). */
const MAX_DOMAIN_PDUS = 40;

/** A refusal said to the person's client before the session opens. */
class Refused extends Error {
  constructor(
    readonly errorInfo: number,
    message: string,
  ) {
    super(message);
  }
}

function refusalInfo(refused: Refusal): number {
  switch (refused.kind) {
    case 'login-failed':
    case 'too-many-failures':
    case 'locked':
    case 'no-such-target':
    case 'wrong-protocol':
      return ErrorInfo.SERVER_INSUFFICIENT_PRIVILEGES;
    default:
      return ErrorInfo.SERVER_DENIED_CONNECTION;
  }
}

interface McsHandshake {
  connectInitial: Envelope;
  clientInfo: Envelope;
  state: ConnectionState;
  ids: GatewayChannels;
}

/** Plays the MCS server up to the Client Info PDU (MS-RDPBCGR 1.3.1.1, phases 2 to 4). */
async function mcsHandshake(reader: SocketReader, tls: TLSSocket, requested: number): Promise<McsHandshake> {
  const state = new ConnectionState();
  const frame = rdpFrame(MAX_PRELOGIN_PDU);
  const connectInitial = decodeEnvelope('c2s', await reader.next(frame), state);
  if (connectInitial.mcs?.kind !== 'connect-initial' || !connectInitial.conference) {
    throw new ProtocolError(['rdp', 'mcs'], `expected an MCS Connect-Initial, got ${connectInitial.label}`);
  }
  const channels = connectInitial.conference.blocks.find((b) => 'channels' in b);
  const ids = gatewayChannels(channels && 'channels' in channels ? channels.channels.length : 0);
  const response = connectResponse(requested, ids);
  decodeEnvelope('s2c', { kind: 'tpkt', bytes: response }, state);
  tls.write(response);
  for (let i = 0; i < MAX_DOMAIN_PDUS; i++) {
    const env = decodeEnvelope('c2s', await reader.next(frame), state);
    const m = env.mcs;
    if (m?.kind === 'erect-domain-request') continue;
    if (m?.kind === 'attach-user-request') tls.write(attachUserConfirm(ids.user));
    else if (m?.kind === 'channel-join-request') {
      const known = m.channelId === ids.io || m.channelId === ids.user || ids.channels.includes(m.channelId);
      if (!known) throw new ProtocolError(['rdp', 'mcs'], `a join of channel ${m.channelId}, which the gateway did not assign`);
      tls.write(channelJoinConfirm(ids.user, m.channelId));
    } else if (env.clientInfo) return { connectInitial, clientInfo: env, state, ids };
    else throw new ProtocolError(['rdp', 'mcs'], `expected the Client Info PDU, got ${env.label}`);
  }
  throw new ProtocolError(['rdp', 'mcs'], `no Client Info PDU after ${MAX_DOMAIN_PDUS} MCS PDUs`);
}

/**
 * NLA when the client offers it and the user its cookie names (`Cookie:
 * mstshash=alice+win01`, MS-RDPBCGR 2.2.1.1) has an rdpNtHash; otherwise TLS
 * when offered, with the gateway password in the Client Info; null when the
 * client offers neither. (FreeRDP offers TLS beside NLA but refuses it when
 * NLA was asked for; the cookie only picks the method, CredSSP proves who.)
 */
export function chooseSecurity(requested: number, cookie: string | null, lookup: (login: string) => Buffer | null): number | null {
  const name = /^Cookie: mstshash=(.+)$/.exec(cookie ?? '')?.[1];
  if (requested & Protocol.HYBRID && name !== undefined && lookup(name) !== null) return Protocol.HYBRID;
  if (requested & Protocol.SSL) return Protocol.SSL;
  return requested & Protocol.HYBRID ? Protocol.HYBRID : null;
}

export async function serveConnection(raw: Socket, place: PreLogin, deps: ListenerDeps): Promise<void> {
  const address = raw.remoteAddress ?? 'unknown';
  const log = deps.log.child({ client: `${address}:${raw.remotePort ?? 0}` });
  const timeout = deps.gateway.config.admission.loginGraceTime;
  raw.setNoDelay(true);
  raw.on('error', (err) => log.debug({ err }, 'client connection error'));
  let tls: TLSSocket | undefined;
  let attempt: LoginAttempt | undefined;
  let link: TargetLink | undefined;
  let screen: { handshake: McsHandshake; reader: SocketReader } | undefined;
  try {
    const plain = new SocketReader(raw, 'client', timeout);
    const request = parseX224(readTpkt((await plain.next(rdpFrame(1024))).bytes));
    if (request.kind !== 'connection-request') throw new ProtocolError(['rdp', 'x224'], 'the first PDU is not an X.224 Connection Request');
    if (plain.pending) throw new ProtocolError(['rdp', 'x224'], 'data after the Connection Request before TLS');
    plain.release();
    const requested = request.negotiation?.value ?? Protocol.RDP;
    const selected = chooseSecurity(requested, request.cookie, ntHashLookup(deps.gateway.config));
    if (selected === null) {
      log.warn({ requested }, 'client refused: it offered only standard RDP security; TLS is required');
      raw.end(negotiationFailure(NegFailure.SSL_REQUIRED_BY_SERVER));
      return;
    }
    raw.write(negotiationResponse(selected));
    tls = await acceptTls(raw, deps.tls, deps.gateway.config.admission.tlsHandshakeTimeout);
    const { admission } = deps.gateway;
    let nla: NlaResult | undefined;
    if (selected === Protocol.HYBRID) {
      try {
        const done = await new NlaServer({ certificate: deps.certificate, ntHashLookup: ntHashLookup(deps.gateway.config) }).accept(tls);
        if (done.rest.length > 0) tls.unshift(done.rest);
        nla = done;
      } catch (err) {
        if (!(err instanceof NlaError)) throw err;
        // The client was told STATUS_LOGON_FAILURE inside CredSSP; the name it tried is not known here.
        attempt = admission.begin({ protocol: 'rdp', address, loginName: '(NLA)', log, place });
        attempt.failed(err.message, 'nla');
        tls.destroy();
        return;
      }
    }
    const reader = new SocketReader(tls, 'client', timeout);
    const mcs = await mcsHandshake(reader, tls, requested);
    const info = mcs.clientInfo.clientInfo!;
    screen = { handshake: mcs, reader };
    let login;
    if (nla) {
      // The name NTLM proved, not the one the client delegated in its credentials.
      const { user, domain } = nla.identity;
      attempt = admission.begin({ protocol: 'rdp', address, loginName: domain ? `${domain}\\${user}` : user, log, place });
      login = attempt.succeeded('nla');
    } else {
      const loginName = info.domain ? `${info.domain}\\${info.userName}` : info.userName;
      attempt = admission.begin({ protocol: 'rdp', address, loginName, log, place });
      const ok = await checkPassword(deps.sodium, attempt.name ? attempt.user : undefined, info.password);
      login = ok ? attempt.succeeded('password') : undefined;
      if (!login) throw attempt.failed(ok ? 'no target in the login name' : 'wrong password', 'password');
    }
    const admitted = await admission.open(
      login,
      (t) => connectTarget(t, { connectInitial: mcs.connectInitial, clientInfo: mcs.clientInfo }, deps.pins, log),
      (l) => l.socket.destroy(),
    );
    link = admitted.link;
    const clientRest = reader.release();
    admitted.session.event({ type: 'rdp-connect', targetSecurity: link.selected === Protocol.HYBRID ? 'nla' : 'tls' });
    startRelay({ client: tls, clientRest, target: link, session: admitted.session, ids: mcs.ids, state: mcs.state, keystrokes: admitted.target.recording.keystrokes, clipboard: (admitted.target.options as RdpTargetOptions).clipboard, redirect: (admitted.target.options as RdpTargetOptions).redirect });
  } catch (err) {
    if (err instanceof PeerClosedError) attempt?.abandon();
    link?.socket.destroy();
    const shown = screen && err instanceof Refusal && !UNAUTHENTICATED.has(err.kind) ? { ...screen.handshake, rest: screen.reader.release() } : undefined;
    await refuse(raw, tls, err, log, shown);
  }
}

/** Refusals drawn on nobody's screen: the person is not known to be who they claim. */
const UNAUTHENTICATED = new Set<Refusal['kind']>(['login-failed', 'too-many-failures']);

async function refuse(raw: Socket, tls: TLSSocket | undefined, err: unknown, log: Logger, screen?: RefusalScreen): Promise<void> {
  let said: Refused;
  if (err instanceof Refusal) {
    // The core logged why (failed login, route, target); the person reads it in the client's log.
    const cause = err.kind === 'target' && err.cause instanceof TargetError ? err.cause.message : err.message;
    said = new Refused(refusalInfo(err), cause);
  } else if (err instanceof PeerClosedError) {
    log.debug({ err }, 'client left during the handshake');
    (tls ?? raw).destroy();
    return;
  } else if (err instanceof ProtocolError) {
    log.warn({ err }, 'malformed RDP handshake; connection closed');
    said = new Refused(ErrorInfo.SERVER_DENIED_CONNECTION, err.message);
  } else {
    log.error({ err }, 'connection failed');
    said = new Refused(ErrorInfo.SERVER_DENIED_CONNECTION, 'internal error');
  }
  log.info({ errorInfo: said.errorInfo, reason: said.message }, 'RDP client disconnected before a session opened');
  if (!tls) {
    raw.destroy();
    return;
  }
  if (screen && (await drawRefusal(tls, screen, said.message, log))) await new Promise((r) => setTimeout(r, MESSAGE_HOLD_MS));
  if (tls.destroyed) return;
  tls.write(setErrorInfo(GATEWAY_IO_CHANNEL, said.errorInfo));
  tls.end(disconnectUltimatum());
  setTimeout(() => tls.destroy(), 2000).unref();
}
