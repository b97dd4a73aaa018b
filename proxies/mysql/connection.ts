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
import type { LoginRateLimiter } from '../../src/auth/rate-limit.js';
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
import { checkPassword, findUser, parseLoginName, route, type Route } from '../../src/auth/users.js';
import type { UserConfig } from '../../src/config/index.js';
import type { GatewayContext } from '../../src/daemon/proxy.js';
import { GatewayError, ProtocolError, RecordingError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { Sodium } from '../../src/seal/sodium.js';
import type { Session } from '../../src/session/session.js';
import { PeerClosedError, SocketReader } from '../wire/socket-reader.js';
import { loginPacket } from './login-packet.js';
import { writePacket } from './protocol/framer.js';
import { Capability, decodeHandshakeResponse, encodeAuthMoreData, encodeAuthSwitchRequest, encodeInitialHandshake, isSslRequest, type HandshakeResponse } from './protocol/handshake.js';
import { encodeErr, encodeOk } from './protocol/packets.js';
import { mysqlRelay } from './relay.js';
import { connectMysqlTarget, MysqlTargetError, type MysqlTargetLink } from './target.js';

export interface ListenerDeps {
  gateway: GatewayContext;
  sodium: Sodium;
  limiter: LoginRateLimiter;
  log: Logger;
  tls: SecureContext;
  /** The key caching_sha2_password clients encrypt the password to when not on TLS. */
  rsa: { privateKey: KeyObject; publicKeyPem: string };
  mockSecret: Buffer;
  handshakes: Set<Socket>;
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

const SERVER_VERSION = '8.0.0-recgate';
const UTF8MB4_GENERAL_CI = 45;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;

const REFUSALS: Record<Exclude<Route, { ok: true }>['why'], (target: string) => string> = {
  'unknown-target': (t) => `recgate: there is no target named ${t}`,
  'not-allowed': (t) => `recgate: you are not allowed to reach ${t}`,
  'wrong-protocol': (t) => `recgate: ${t} is not a MySQL target`,
};

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

let nextConnectionId = 1;

export async function serveMysqlConnection(raw: Socket, deps: ListenerDeps): Promise<void> {
  const address = raw.remoteAddress ?? 'unknown';
  const log = deps.log.child({ client: `${address}:${raw.remotePort ?? 0}` });
  raw.setNoDelay(true);
  raw.on('error', (err) => log.debug({ err }, 'client connection error'));
  let socket: Socket | TLSSocket = raw;
  let reader = new SocketReader(raw, 'client');
  let seq = 0;
  let capabilities = GATEWAY_CAPABILITIES;
  let target: MysqlTargetLink | undefined;
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
    const nonce = makeMysqlNonce();
    send(
      encodeInitialHandshake({
        serverVersion: SERVER_VERSION,
        connectionId: nextConnectionId++ & 0x7fff_ffff,
        authPluginData: nonce,
        capabilities: GATEWAY_CAPABILITIES,
        mariadbCapabilities: 0,
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
      socket = await acceptTls(raw, deps.tls);
      reader = new SocketReader(socket, 'client');
      first = await receive();
    }
    const hello = decodeHandshakeResponse(first);
    capabilities = hello.capabilities & GATEWAY_CAPABILITIES;
    const tls = socket instanceof TLSSocket;
    const loginName = hello.username;

    if (!deps.limiter.allowed(address)) {
      log.warn('login refused: too many failed logins from this address');
      throw new Refusal(1045, '28000', 'recgate: too many failed logins from your address; try again later');
    }
    const name = parseLoginName(loginName);
    const user = name ? findUser(deps.gateway.config, name.user) : undefined;
    const ok = await authenticate({ send, receive, deps, nonce, tls }, hello, loginName, name ? user : undefined);
    if (!ok || !user || !name) {
      const blocked = deps.limiter.fail(address);
      log.warn({ login: loginName.slice(0, 128), blocked }, 'gateway login failed');
      throw new Refusal(1045, '28000', `Access denied for user '${loginName.slice(0, 128)}' (recgate: wrong password, or log in as <gateway user>+<target>)`);
    }
    deps.limiter.succeed(address);
    log.info({ user: user.name, target: name.target, tls }, 'gateway login');

    const r = route(deps.gateway.config, user, name.target, 'mysql');
    if (!r.ok) {
      log.warn({ user: user.name, target: name.target, why: r.why }, 'session refused');
      throw new Refusal(1045, '28000', REFUSALS[r.why](name.target));
    }
    try {
      target = await connectMysqlTarget(r.target, {
        capabilities,
        charset: hello.charset,
        ...(hello.database ? { database: hello.database } : {}),
        ...(hello.attributes ? { attributes: hello.attributes } : {}),
      });
    } catch (err) {
      log.warn({ err, target: r.target.name }, 'target login failed');
      if (err instanceof MysqlTargetError) throw new Refusal(err.errorCode, err.sqlState, err.message);
      throw new Refusal(1105, 'HY000', `recgate: cannot connect to ${r.target.name}`);
    }
    let session: Session;
    try {
      session = await deps.gateway.openSession({ user: user.name, clientAddress: address }, r.target);
    } catch (err) {
      target.socket.destroy();
      throw new Refusal(1045, '28000', err instanceof RecordingError ? `recgate: ${err.message}` : 'recgate: the session could not be opened');
    }
    send(encodeOk({ statusFlags: SERVER_STATUS_AUTOCOMMIT }, capabilities));
    const rest = reader.release();
    deps.handshakes.delete(raw);
    const relay = mysqlRelay(socket, target.socket, session, {
      database: hello.database ?? null,
      maxRows: deps.gateway.config.recording.maxRows,
      capabilities,
      localInfile: (target.capabilities & Capability.CLIENT_LOCAL_FILES) !== 0,
    });
    relay.start(rest, target.rest);
  } catch (err) {
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

/** True when the person proved the gateway user's password. Unknown users take the same steps and fail. */
async function authenticate(io: AuthIo, hello: HandshakeResponse, loginName: string, user: UserConfig | undefined): Promise<boolean> {
  const mock = mockMysqlVerifiers(io.deps.mockSecret, loginName);
  if (user?.mysqlNative || !user) {
    let response = hello.authResponse;
    if (hello.authPluginName !== undefined && hello.authPluginName !== MYSQL_NATIVE_PASSWORD) {
      io.send(encodeAuthSwitchRequest(MYSQL_NATIVE_PASSWORD, Buffer.concat([io.nonce, Buffer.of(0)])));
      response = await io.receive();
    }
    const ok = checkNativeScramble(user?.mysqlNative ?? mock.native, io.nonce, response);
    return ok && user !== undefined;
  }
  if (!user.password) return false;
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
      return false;
    }
  }
  const ok = await checkPassword(io.deps.sodium, user, password.toString('utf8'));
  password.fill(0);
  return ok;
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
