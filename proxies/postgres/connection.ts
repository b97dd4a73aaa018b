/**
 * One client connection to the PostgreSQL listener, from its first byte to
 * its end:
 *
 *   SSLRequest → 'S' + TLS with the gateway's certificate (or 'N' without one);
 *   GSSENCRequest → 'N'; CancelRequest → forwarded to the right target;
 *   StartupMessage (user `alice+pg01`) → the person authenticates as a
 *   gateway user → route → the gateway logs in to the target with injected
 *   credentials → a session opens → AuthenticationOk, the target's
 *   ParameterStatus, the gateway's BackendKeyData, ReadyForQuery → relay.
 *
 * Every refusal is an ErrorResponse (FATAL, with a SQLSTATE) that psql
 * prints, and a log line; nothing is recorded before a session opens, and a
 * session opens only once the target has accepted the gateway's login.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { LoginAttempt } from '../../src/admission/admission.js';
import type { PreLogin } from '../../src/admission/guard.js';
import { Refusal as Refused } from '../../src/admission/refusal.js';
import { targetOptions, type TargetConfig } from '../../src/config/index.js';
import type { GatewayContext } from '../../src/daemon/proxy.js';
import { GatewayError, ProtocolError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { Sodium } from '../../src/seal/sodium.js';
import type { Session } from '../../src/session/session.js';
import { acceptTls } from '../wire/listener.js';
import { TRANSCRIPT_TERMINAL } from '../wire/relay.js';
import type { CancelKeys } from './cancel.js';
import { authenticatePerson } from './client-auth.js';
import { PacketReader, PeerClosedError } from './packet-reader.js';
import { encodeAuthenticationOk, encodeBackendKeyData, encodeErrorResponse, encodeNegotiateProtocolVersion, encodeParameterStatus, encodeReadyForQuery } from './protocol/backend.js';
import { parseStartupPacket, type StartupPacket } from './protocol/startup.js';
import { postgresRelay } from './relay.js';
import type { PostgresTargetOptions } from './spec.js';
import { cancelOnTarget, connectTarget, refusedStartupParameters, TargetError, type TargetLink } from './target.js';

export interface ListenerDeps {
  gateway: GatewayContext;
  sodium: Sodium;
  cancelKeys: CancelKeys;
  log: Logger;
  /** The gateway's certificate: TLS for clients that ask, and its channel-binding data. */
  tls: { context: SecureContext; channelBinding: Buffer | undefined };
  mockSecret: Buffer;
}

const AUTH_FAILED_HINT =
  'recgate accepts gateway passwords with SCRAM-SHA-256, or in clear only inside TLS (sslmode=require); log in as <gateway user>+<target>.';

/** A refusal the person reads: an ErrorResponse, then the connection closes. */
class Refusal extends GatewayError {
  constructor(
    readonly sqlstate: string,
    message: string,
    readonly extra: { detail?: string; hint?: string } = {},
  ) {
    super('RG_ERR_AUTH', message);
  }
}

const LOCKED_HINT = 'An operator has locked this login; ask them, or wait until the time shown.';

/** The core's refusal in PostgreSQL's words: the SQLSTATE psql and drivers act on. */
function inPostgresWords(refused: Refused, loginName: string): Refusal {
  switch (refused.kind) {
    case 'too-many-failures':
      return new Refusal('28000', `recgate: ${refused.message}`);
    case 'login-failed':
      return new Refusal('28P01', `password authentication failed for user "${loginName.slice(0, 128)}"`, { hint: AUTH_FAILED_HINT });
    case 'no-such-target':
    case 'wrong-protocol':
      return new Refusal('28000', `recgate: ${refused.message}`);
    case 'recording':
      return new Refusal('08004', `recgate: ${refused.message}`);
    case 'locked':
      // 28000 invalid_authorization_specification: the person is known and refused, not mistaken.
      return new Refusal('28000', `recgate: ${refused.message}`, { hint: LOCKED_HINT });
    case 'target': {
      const err = refused.cause;
      if (!(err instanceof TargetError)) return new Refusal('08001', 'recgate: cannot connect to the target');
      const server = err.serverError;
      return new Refusal(err.sqlstate, err.message, { ...(server?.detail ? { detail: server.detail } : {}), ...(server?.hint ? { hint: server.hint } : {}) });
    }
  }
}

export async function serveConnection(raw: Socket, place: PreLogin, deps: ListenerDeps): Promise<void> {
  const address = raw.remoteAddress ?? 'unknown';
  const log = deps.log.child({ client: `${address}:${raw.remotePort ?? 0}` });
  raw.setNoDelay(true);
  raw.on('error', (err) => log.debug({ err }, 'client connection error'));
  let socket: Socket | TLSSocket = raw;
  let reader = new PacketReader(raw, 'frontend', 'client');
  let target: TargetLink | undefined;
  let attempt: LoginAttempt | undefined;
  const send = (message: Buffer): void => void socket.write(message);
  try {
    let startup: StartupPacket;
    for (;;) {
      startup = parseStartupPacket(await reader.startupPacket());
      if (startup.kind === 'ssl-request') {
        // Bytes sent before the TLS handshake could be injected by a third party (CVE-2021-23214).
        if (reader.pending) throw new ProtocolError(['postgres', 'frontend'], 'data after SSLRequest before the TLS handshake');
        reader.release();
        raw.write('S');
        socket = await acceptTls(raw, deps.tls.context, deps.gateway.config.admission.tlsHandshakeTimeout);
        reader = new PacketReader(socket, 'frontend', 'client');
        continue;
      }
      if (startup.kind === 'gssenc-request') {
        raw.write('N');
        continue;
      }
      break;
    }
    if (startup.kind === 'cancel-request') {
      reader.release();
      const found = deps.cancelKeys.cancel(startup.pid, startup.secretKey);
      log.info({ found }, found ? 'cancel request forwarded' : 'cancel request matched no connection');
      socket.end();
      return;
    }
    if (startup.kind !== 'startup') return;
    if (startup.minor > 0 || [...startup.params.keys()].some((k) => k.startsWith('_pq_.'))) {
      // The relay speaks 3.0 to the target; tell the client so (it may go on with 3.0).
      send(encodeNegotiateProtocolVersion(0, [...startup.params.keys()].filter((k) => k.startsWith('_pq_.'))));
    }
    if (startup.params.get('replication') !== undefined && startup.params.get('replication') !== 'false') {
      throw new Refusal('0A000', 'recgate: replication connections are not supported through the gateway');
    }

    const loginName = startup.user;
    const tls = socket instanceof TLSSocket;
    const { admission, config } = deps.gateway;
    try {
      attempt = admission.begin({ protocol: 'postgres', address, loginName, log, place, tls });
      const auth = await authenticatePerson(
        { reader, send, sodium: deps.sodium, mockSecret: deps.mockSecret, users: config.users, channelBinding: tls ? deps.tls.channelBinding : undefined, tls },
        loginName,
        attempt.name ? attempt.user : undefined,
      );
      const login = auth.ok ? attempt.succeeded(`${auth.method}${tls ? '' : ' without TLS'}`) : undefined;
      if (!login) throw attempt.failed(auth.ok ? 'no target in the login name' : auth.why);
      const params = clientParameters(startup.params, loginName);
      const admitted = await admission.open(
        login,
        (t) => {
          const refused = refusedStartupParameters(targetOptions<PostgresTargetOptions>(t), params);
          if (refused.length > 0) throw startupRefused(t, refused);
          return connectTarget(t, params);
        },
        (link) => link.socket.destroy(),
        { terminal: TRANSCRIPT_TERMINAL },
      );
      target = admitted.link;
      admitted.session.event({ type: 'startup', parameters: Object.fromEntries(startup.params) });
      const database = params.get('database') ?? admitted.target.login.user ?? '';
      const rest = reader.release();
      startRelay(socket, target, rest, admitted.session, admitted.target, database, deps);
    } catch (err) {
      if (err instanceof Refused) throw inPostgresWords(err, loginName);
      throw err;
    }
  } catch (err) {
    if (err instanceof PeerClosedError) attempt?.abandon();
    target?.socket.destroy();
    reader.release();
    refuse(socket, err, log);
  }
}

/** The client's startup parameters as the target gets them: libpq's default database (the login name) means the target's. */
function clientParameters(client: ReadonlyMap<string, string>, loginName: string): Map<string, string> {
  const params = new Map(client);
  const asked = params.get('database');
  if (asked === undefined || asked === '' || asked === loginName) params.delete('database');
  return params;
}

function startupRefused(target: TargetConfig, names: string[]): TargetError {
  const list = names.map((n) => `"${n}"`).join(', ');
  return new TargetError('08004', `recgate: ${target.name} does not accept the startup parameter${names.length > 1 ? 's' : ''} ${list} through the gateway`, {
    serverError: { severity: 'FATAL', code: '08004', message: '', hint: 'Set them with SET after connecting, where they are recorded, or ask for startupOptions on the target.' },
  });
}

function startRelay(
  client: Socket | TLSSocket,
  target: TargetLink,
  clientRest: Buffer,
  session: Session,
  targetConfig: TargetConfig,
  database: string,
  deps: ListenerDeps,
): void {
  const key = deps.cancelKeys.issue(() => {
    session.event({ type: 'cancel' });
    if (target.key) {
      cancelOnTarget(targetConfig, target.key).catch((err: unknown) => session.log.warn({ err }, 'cancel request to the target failed'));
    }
  });
  // The person sees the target's parameters and the gateway's own cancel key.
  const hello = [encodeAuthenticationOk()];
  for (const [name, value] of target.parameters) hello.push(encodeParameterStatus(name, value));
  hello.push(encodeBackendKeyData(key.pid, key.secretKey), encodeReadyForQuery(target.status));
  client.write(Buffer.concat(hello));
  const relay = postgresRelay(client, target.socket, session, {
    database,
    maxRows: deps.gateway.config.recording.maxRows,
    parameters: target.parameters,
  });
  relay.once('closed', () => key.release());
  relay.start(clientRest, target.rest);
}

/** The one place a connection is refused: an ErrorResponse the client prints, then close. */
function refuse(socket: Socket | TLSSocket, err: unknown, log: Logger): void {
  if (err instanceof Refusal) {
    socket.end(encodeErrorResponse({ severity: 'FATAL', code: err.sqlstate, message: err.message, ...err.extra }));
    return;
  }
  if (err instanceof PeerClosedError) {
    log.debug({ err }, 'client left during the handshake');
    socket.destroy();
    return;
  }
  if (err instanceof ProtocolError) {
    log.warn({ err }, 'malformed client handshake; connection closed');
    socket.end(encodeErrorResponse({ severity: 'FATAL', code: '08P01', message: `recgate: invalid startup: ${err.message}` }));
    return;
  }
  log.error({ err }, 'connection failed');
  socket.end(encodeErrorResponse({ severity: 'FATAL', code: 'XX000', message: 'recgate: internal error; see the gateway log' }));
}
