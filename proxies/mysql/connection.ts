/**
 * One client connection to the MySQL listener, from the gateway's greeting
 * to the relay:
 *
 *   greeting (the gateway's nonce, mysql_native_password) → [SSLRequest →
 *   TLS with the gateway's certificate] → HandshakeResponse (user
 *   `alice+my01`) → the person authenticates as a gateway user → route →
 *   the gateway logs in to the target with injected credentials → a
 *   session opens → OK → relay.
 *
 * Authentication of the person:
 * - a user with `mysqlNative` answers the greeting's mysql_native_password
 *   challenge, checked against that hash;
 * - otherwise the gateway switches to caching_sha2_password and asks for
 *   full authentication: the password comes in clear inside TLS, or
 *   encrypted to the gateway's RSA key (which the client asks for) outside
 *   it, and is checked against the Argon2id `password`;
 * - an unknown user gets the same steps against a mock hash.
 *
 * Every refusal is an ERR packet (code, SQLSTATE, message) the mariadb
 * client prints, and a log line; nothing is recorded before a session opens.
 */
import type { KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { acceptTls } from '../wire/listener.js';
import { TRANSCRIPT_TERMINAL } from '../wire/relay.js';
import type { LoginAttempt } from '../../src/admission/admission.js';
import type { PreLogin } from '../../src/admission/guard.js';
import { Refusal as Refused } from '../../src/admission/refusal.js';
import { loginPath } from '../../src/auth/decoy.js';
import {
  CACHING_SHA2_PASSWORD,
  MYSQL_NATIVE_PASSWORD,
  SHA2_PERFORM_FULL_AUTH,
  SHA2_REQUEST_PUBLIC_KEY,
  checkNativeScramble,
  makeMysqlNonce,
  mockMysqlVerifiers,
  readCleartextPassword,
  rsaDecryptPassword,
} from '../../src/auth/mysql-auth.js';
import { checkPassword } from '../../src/auth/users.js';
import type { TargetConfig, UserConfig } from '../../src/config/index.js';
import type { GatewayContext } from '../../src/daemon/proxy.js';
import { GatewayError, ProtocolError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { Sodium } from '../../src/seal/sodium.js';
import type { Session } from '../../src/session/session.js';
import { PeerClosedError, SocketReader } from '../wire/socket-reader.js';
import { loginPacket } from './login-packet.js';
import { writePacket } from './protocol/framer.js';
import { encodeAuthMoreData, encodeAuthSwitchRequest } from './protocol/auth-exchange.js';
import { Capability } from './protocol/capabilities.js';
import { decodeHandshakeResponse, isSslRequest, type HandshakeResponse } from './protocol/handshake-response.js';
import { encodeInitialHandshake } from './protocol/initial-handshake.js';
import { encodeErr, encodeOk } from './protocol/packets.js';
import { mysqlRelay } from './relay.js';
import { connectMysqlTarget, MysqlTargetError, type MysqlTargetLink } from './target.js';
import { killJudge } from './kill.js';
import type { ThreadIds } from './threads.js';
import type { TargetIdentities } from './identity.js';

export interface ListenerDeps {
  gateway: GatewayContext;
  sodium: Sodium;
  log: Logger;
  tls: SecureContext;
  /** The key caching_sha2_password clients encrypt the password to when not on TLS. */
  rsa: { privateKey: KeyObject; publicKeyPem: string };
  mockSecret: Buffer;
  /** The connection ids clients see, mapped to target threads for KILL. */
  threads: ThreadIds;
  /** What the targets greet as: the gateway greets alike (identity.ts). */
  identities: TargetIdentities;
}

/**
 * What the gateway offers the client: what a relay can carry unchanged and any current server
 * supports. CLIENT_LOCAL_FILES is offered as servers do; target.ts asks it of a target only
 * where the config allows LOCAL INFILE.
 */
export const GATEWAY_CAPABILITIES =
  Capability.CLIENT_LONG_PASSWORD |
  Capability.CLIENT_FOUND_ROWS |
  Capability.CLIENT_LONG_FLAG |
  Capability.CLIENT_CONNECT_WITH_DB |
  Capability.CLIENT_LOCAL_FILES |
  Capability.CLIENT_IGNORE_SPACE |
  Capability.CLIENT_PROTOCOL_41 |
  Capability.CLIENT_INTERACTIVE |
  Capability.CLIENT_SSL |
  Capability.CLIENT_TRANSACTIONS |
  Capability.CLIENT_SECURE_CONNECTION |
  Capability.CLIENT_MULTI_STATEMENTS |
  Capability.CLIENT_MULTI_RESULTS |
  Capability.CLIENT_PS_MULTI_RESULTS |
  Capability.CLIENT_PLUGIN_AUTH |
  Capability.CLIENT_CONNECT_ATTRS |
  Capability.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Capability.CLIENT_DEPRECATE_EOF;

const UTF8MB4_GENERAL_CI = 45;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;

/** A refusal the person reads: an ERR packet, then the connection closes. */
class Refusal extends GatewayError {
  constructor(
    readonly errorCode: number,
    readonly sqlState: string,
    message: string,
  ) {
    super('RG_ERR_AUTH', message);
  }
}

const packet = loginPacket('client');

const ACCESS_DENIED = { code: 1045, sqlState: '28000' };

/** The core's refusal in MySQL's words: the error code and SQLSTATE clients act on. */
function inMysqlWords(refused: Refused, loginName: string): Refusal {
  switch (refused.kind) {
    case 'login-failed':
      return new Refusal(ACCESS_DENIED.code, ACCESS_DENIED.sqlState, `Access denied for user '${loginName.slice(0, 128)}' (recgate: wrong password, or log in as <gateway user>+<target>)`);
    case 'too-many-failures':
    case 'no-such-target':
    case 'wrong-protocol':
    case 'recording':
    case 'locked':
      return new Refusal(ACCESS_DENIED.code, ACCESS_DENIED.sqlState, `recgate: ${refused.message}`);
    case 'target': {
      const err = refused.cause;
      if (err instanceof MysqlTargetError) return new Refusal(err.errorCode, err.sqlState, err.message);
      return new Refusal(1105, 'HY000', 'recgate: cannot connect to the target');
    }
  }
}

export async function serveMysqlConnection(raw: Socket, place: PreLogin, deps: ListenerDeps): Promise<void> {
  const address = raw.remoteAddress ?? 'unknown';
  const log = deps.log.child({ client: `${address}:${raw.remotePort ?? 0}` });
  raw.setNoDelay(true);
  raw.on('error', (err) => log.debug({ err }, 'client connection error'));
  let socket: Socket | TLSSocket = raw;
  let reader = new SocketReader(raw, 'client');
  let seq = 0;
  let capabilities = GATEWAY_CAPABILITIES;
  let target: MysqlTargetLink | undefined;
  let attempt: LoginAttempt | undefined;
  // The id the client sees; KILL of it reaches this connection's target thread (threads.ts).
  const thread = deps.threads.reserve();
  const send = (payload: Buffer): void => {
    socket.write(writePacket(payload, seq & 0xff));
    seq++;
  };
  const receive = async (): Promise<Buffer> => {
    const p = await reader.next(packet);
    seq = p.seq + 1;
    return p.payload;
  };
  try {
    const identity = await deps.identities.identity();
    // A MariaDB server clears CLIENT_MYSQL (CLIENT_LONG_PASSWORD) to announce its extended capabilities.
    const offered = identity.family === 'MariaDB' ? GATEWAY_CAPABILITIES & ~Capability.CLIENT_LONG_PASSWORD : GATEWAY_CAPABILITIES;
    const nonce = makeMysqlNonce();
    send(
      encodeInitialHandshake({
        serverVersion: identity.serverVersion,
        connectionId: thread.id,
        authPluginData: nonce,
        capabilities: offered,
        mariadbCapabilities: identity.mariadbCapabilities,
        charset: UTF8MB4_GENERAL_CI,
        statusFlags: SERVER_STATUS_AUTOCOMMIT,
        authPluginName: MYSQL_NATIVE_PASSWORD,
      }),
    );
    let first = await receive();
    if (isSslRequest(first)) {
      // Bytes sent before the TLS handshake could be injected by a third party.
      if (reader.pending) throw new ProtocolError(['mysql', 'client'], 'data after SSLRequest before the TLS handshake');
      reader.release();
      socket = await acceptTls(raw, deps.tls, deps.gateway.config.admission.tlsHandshakeTimeout);
      reader = new SocketReader(socket, 'client');
      first = await receive();
    }
    const hello = decodeHandshakeResponse(first);
    capabilities = hello.capabilities & offered;
    const mariadbCapabilities = (hello.mariadbCapabilities & identity.mariadbCapabilities) >>> 0;
    const tls = socket instanceof TLSSocket;
    const loginName = hello.username;

    const { admission } = deps.gateway;
    let session: Session;
    let targetConfig: TargetConfig;
    try {
      attempt = admission.begin({ protocol: 'mysql', address, loginName, log, place });
      const ok = await authenticate({ send, receive, deps, nonce, tls }, hello, loginName, attempt.name ? attempt.user : undefined);
      const login = ok ? attempt.succeeded(`${ok}${tls ? ' over TLS' : ''}`) : undefined;
      if (!login) throw attempt.failed('wrong password');
      const admitted = await admission.open(
        login,
        (t) =>
          connectMysqlTarget(t, {
            capabilities,
            mariadbCapabilities,
            charset: hello.charset,
            ...(hello.database ? { database: hello.database } : {}),
            ...(hello.attributes ? { attributes: hello.attributes } : {}),
          }),
        (link) => link.socket.destroy(),
        { terminal: TRANSCRIPT_TERMINAL },
      );
      ({ link: target, session, target: targetConfig } = admitted);
    } catch (err) {
      if (err instanceof Refused) throw inMysqlWords(err, loginName);
      throw err;
    }
    deps.identities.learn(targetConfig.name, target.greeting);
    thread.bind({ user: session.user, target: targetConfig.name }, target.greeting.connectionId, (by, scope) => {
      session.log.info({ by, scope }, 'cancelled by KILL from another connection');
      session.event({ type: 'cancel', scope, by });
    });
    session.event({ type: 'startup', database: hello.database ?? null, attributes: Object.fromEntries(hello.attributes ?? []) });
    send(encodeOk({ statusFlags: SERVER_STATUS_AUTOCOMMIT }, capabilities));
    const rest = reader.release();
    const relay = mysqlRelay(
      socket,
      target.socket,
      session,
      {
        database: hello.database ?? null,
        maxRows: deps.gateway.config.recording.maxRows,
        capabilities,
        mariadbCapabilities,
        family: identity.family ?? 'MySQL',
        localInfile: (target.capabilities & Capability.CLIENT_LOCAL_FILES) !== 0,
      },
      killJudge(
        deps.threads,
        { user: session.user, target: targetConfig.name },
        (e) => {
          session.log.info({ connectionId: e['connectionId'], targetThread: e['targetThread'] }, 'KILL translated to the target thread');
          session.event(e);
        },
        thread.id,
      ),
    );
    relay.once('closed', () => thread.release());
    relay.start(rest, target.rest);
  } catch (err) {
    if (err instanceof PeerClosedError) attempt?.abandon();
    thread.release();
    target?.socket.destroy();
    reader.release();
    refuse(socket, err, log, () => writePacket(encodeErr(errorFor(err), capabilities | Capability.CLIENT_PROTOCOL_41), seq & 0xff));
  }
}

interface AuthIo {
  send(payload: Buffer): void;
  receive(): Promise<Buffer>;
  deps: ListenerDeps;
  nonce: Buffer;
  tls: boolean;
}

type Path = 'mysql_native_password' | 'caching_sha2_password';

/** mysql_native_password for users with that hash; caching_sha2_password full authentication for those with only an Argon2id one. */
function pathOf(user: UserConfig): Path | null {
  return user.mysqlNative ? MYSQL_NATIVE_PASSWORD : user.password ? CACHING_SHA2_PASSWORD : null;
}

/**
 * The method by which the person proved the gateway user's password, or null.
 * Unknown users (and users with no secret for MySQL) take the steps of some
 * real user's method (src/auth/decoy.ts) and fail.
 */
async function authenticate(io: AuthIo, hello: HandshakeResponse, loginName: string, user: UserConfig | undefined): Promise<Path | null> {
  const { config } = io.deps.gateway;
  const { path, real } = loginPath(user, pathOf, { secret: io.deps.mockSecret, loginName, users: config.users, fallback: MYSQL_NATIVE_PASSWORD });
  if (path === MYSQL_NATIVE_PASSWORD) {
    let response = hello.authResponse;
    if (hello.authPluginName !== undefined && hello.authPluginName !== MYSQL_NATIVE_PASSWORD) {
      io.send(encodeAuthSwitchRequest(MYSQL_NATIVE_PASSWORD, Buffer.concat([io.nonce, Buffer.of(0)])));
      response = await io.receive();
    }
    const verifier = real ? user!.mysqlNative! : mockMysqlVerifiers(io.deps.mockSecret, loginName).native;
    return checkNativeScramble(verifier, io.nonce, response) && real ? path : null;
  }
  // caching_sha2_password, full authentication: the gateway holds only an Argon2id hash.
  if (hello.authPluginName !== CACHING_SHA2_PASSWORD) {
    io.send(encodeAuthSwitchRequest(CACHING_SHA2_PASSWORD, Buffer.concat([io.nonce, Buffer.of(0)])));
    await io.receive();
  }
  io.send(encodeAuthMoreData(Buffer.of(SHA2_PERFORM_FULL_AUTH)));
  let answer = await io.receive();
  let password: Buffer;
  if (io.tls) {
    password = readCleartextPassword(answer);
  } else {
    if (answer.length === 1 && answer[0] === SHA2_REQUEST_PUBLIC_KEY) {
      io.send(encodeAuthMoreData(Buffer.from(io.deps.rsa.publicKeyPem, 'latin1')));
      answer = await io.receive();
    }
    try {
      password = rsaDecryptPassword(answer, io.nonce, io.deps.rsa.privateKey);
    } catch {
      password = Buffer.alloc(0);
    }
  }
  const ok = await checkPassword(io.deps.sodium, real ? user : undefined, password.toString('utf8'));
  password.fill(0);
  return ok ? path : null;
}


function errorFor(err: unknown): { code: number; sqlState: string; message: string } {
  if (err instanceof Refusal) return { code: err.errorCode, sqlState: err.sqlState, message: err.message };
  if (err instanceof ProtocolError) return { code: 1043, sqlState: '08S01', message: `recgate: bad handshake: ${err.message}` };
  return { code: 1105, sqlState: 'HY000', message: 'recgate: internal error; see the gateway log' };
}

/** The one place a connection is refused: an ERR packet the client prints, then close. */
function refuse(socket: Socket | TLSSocket, err: unknown, log: Logger, errPacket: () => Buffer): void {
  if (err instanceof PeerClosedError) {
    log.debug({ err }, 'client left during the handshake');
    socket.destroy();
    return;
  }
  if (err instanceof ProtocolError) log.warn({ err }, 'malformed client handshake; connection closed');
  else if (!(err instanceof Refusal)) log.error({ err }, 'connection failed');
  socket.end(errPacket());
}
