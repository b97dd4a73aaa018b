/**
 * The gateway's own login to a MySQL or MariaDB target: TCP, the server's
 * greeting, TLS as the target's `tls` mode says (an SSLRequest, then the
 * handshake), and a HandshakeResponse41 with the injected user and the
 * capabilities the client negotiated with the gateway, so that both legs
 * shape command traffic alike. Authentication follows the server, within
 * what the target's `auth` allows (target-auth.ts): mysql_native_password,
 * caching_sha2_password with its fast path and its full path (the password
 * in clear inside verified TLS, RSA-OAEP to the pinned `serverRsaKey`
 * outside TLS), MariaDB's client_ed25519 (an Ed25519 signature of the
 * server's message) and, when named, mysql_clear_password over verified
 * TLS, with auth switch requests between them.
 *
 * Invariants:
 * - the person never sees the target's credentials, and no error carries them;
 * - the password goes readable only to a target whose TLS is verified
 *   (verify-full or a tlsPin), never to a key the server sends;
 * - a capability the client relies on and the target lacks is a refusal,
 *   never a silent difference between the legs;
 * - CLIENT_LOCAL_FILES is asked of the target only when the target config
 *   sets `localInfile` (and the client offers it): otherwise the target is
 *   told the client cannot send files, and refuses LOAD DATA LOCAL;
 * - the login ends at the server's OK; its sequence id and the bytes after
 *   it are handed to the caller.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { targetOptions, type TargetConfig } from '../../src/config/index.js';
import { GatewayError } from '../../src/errors.js';
import { SocketReader } from '../wire/socket-reader.js';
import { loginPacket } from './login-packet.js';
import type { MysqlTargetOptions } from './spec.js';
import { MysqlTargetAuth, TargetAuthRefused } from './target-auth.js';
import { CONNECT_TIMEOUT_MS, openTargetSocket, startTargetTls } from '../wire/tcp.js';
import { writePacket } from './protocol/framer.js';
import { decodeAuthReply } from './protocol/auth-exchange.js';
import { Capability } from './protocol/capabilities.js';
import { encodeHandshakeResponse, encodeSslRequest } from './protocol/handshake-response.js';
import { decodeInitialHandshake, type InitialHandshake } from './protocol/initial-handshake.js';

/** Why the gateway could not open the target: `code`/`sqlState` and `message` are what the person is told. */
export class MysqlTargetError extends GatewayError {
  constructor(
    readonly errorCode: number,
    readonly sqlState: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('RG_ERR_PROTOCOL', message, options);
  }
}

/** ER_UNKNOWN_ERROR: a server-side code (clients reject their own 2xxx codes in ERR packets as malformed). */
const CANNOT_CONNECT = { code: 1105, sqlState: 'HY000' };

export interface MysqlTargetLink {
  socket: Socket | TLSSocket;
  tls: boolean;
  greeting: InitialHandshake;
  /** What the gateway asked for, within what the server offers. */
  capabilities: number;
  /** The sequence id of the server's OK that ended the login. */
  sequence: number;
  /** Bytes the target sent after that OK (none in practice). */
  rest: Buffer;
}

export interface LoginRequest {
  /** Command-shaping capabilities the client negotiated with the gateway. */
  capabilities: number;
  /** MariaDB extended capabilities the client negotiated with the gateway; 0 when none. */
  mariadbCapabilities?: number;
  charset: number;
  database?: string;
  attributes?: Map<string, string>;
}

/**
 * Capabilities about how the login itself goes: the gateway chooses them per
 * leg. CLIENT_LONG_PASSWORD is among them because MariaDB servers clear it
 * (as CLIENT_MYSQL) to announce their extended capabilities.
 */
const LOGIN_CAPABILITIES =
  Capability.CLIENT_LONG_PASSWORD |
  Capability.CLIENT_SSL |
  Capability.CLIENT_CONNECT_WITH_DB |
  Capability.CLIENT_PLUGIN_AUTH |
  Capability.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Capability.CLIENT_SECURE_CONNECTION |
  Capability.CLIENT_CONNECT_ATTRS;

/** The login's packets are small; a server announcing more than 1 MiB is refused. */
const packet = loginPacket('server', 1 << 20);

function fail(target: TargetConfig, message: string, cause?: unknown): MysqlTargetError {
  return new MysqlTargetError(CANNOT_CONNECT.code, CANNOT_CONNECT.sqlState, `recgate: ${message.replace(/^recgate: /, '')}`, cause === undefined ? {} : { cause });
}

/** Writes the login's packets, numbered after the last one read. */
class Sender {
  constructor(
    public socket: Socket | TLSSocket,
    public seq: number,
  ) {}

  send(payload: Buffer): void {
    this.socket.write(writePacket(payload, this.seq & 0xff));
    this.seq++;
  }
}

/** What the gateway asks of the target: the client's command-shaping capabilities, within what the greeting offers. */
function loginCapabilities(target: TargetConfig, request: LoginRequest, greeting: InitialHandshake): number {
  // LOCAL INFILE lets the target read the person's files: only where the target config allows it.
  const required = request.capabilities & ~LOGIN_CAPABILITIES & ~Capability.CLIENT_LOCAL_FILES;
  const missing = required & ~greeting.capabilities;
  if (missing !== 0) {
    throw fail(target, `${target.name} lacks protocol features the client uses (capability flags 0x${missing.toString(16)})`);
  }
  let capabilities = required | Capability.CLIENT_PROTOCOL_41 | Capability.CLIENT_SECURE_CONNECTION | Capability.CLIENT_PLUGIN_AUTH;
  for (const optional of [Capability.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA, Capability.CLIENT_CONNECT_ATTRS]) {
    if (greeting.capabilities & optional) capabilities |= optional;
  }
  if (targetOptions<MysqlTargetOptions>(target).localInfile && request.capabilities & greeting.capabilities & Capability.CLIENT_LOCAL_FILES) {
    capabilities |= Capability.CLIENT_LOCAL_FILES;
  }
  if (request.database) capabilities |= Capability.CLIENT_CONNECT_WITH_DB;
  return capabilities & (greeting.capabilities | Capability.CLIENT_CONNECT_WITH_DB);
}

/** TLS as the target's mode says and the greeting allows: an SSLRequest, then the handshake. */
async function negotiateTls(target: TargetConfig, greeting: InitialHandshake, out: Sender, reader: SocketReader, login: { capabilities: number; mariadbCapabilities: number; charset: number }): Promise<boolean> {
  const options = targetOptions<MysqlTargetOptions>(target);
  const serverTls = (greeting.capabilities & Capability.CLIENT_SSL) !== 0;
  if (options.tls === 'disable' || !serverTls) {
    if (options.tls === 'require' || options.tls === 'verify-full') {
      throw fail(target, `${target.name} does not offer TLS, which the gateway's config requires (tls: ${options.tls})`);
    }
    return false;
  }
  // The SSLRequest is the HandshakeResponse's first 32 bytes, extended capabilities included:
  // MariaDB takes them from here, so metadata caching is in force over TLS as it is without.
  out.send(encodeSslRequest({ capabilities: login.capabilities, mariadbCapabilities: login.mariadbCapabilities, maxPacketSize: 0x100_0000, charset: login.charset }));
  if (reader.pending) throw fail(target, `${target.name} sent unexpected data before the TLS handshake`);
  reader.release();
  try {
    out.socket = await startTargetTls(target, options, out.socket as Socket);
  } catch (err) {
    throw fail(target, (err as Error).message, err);
  }
  return true;
}

/** Follows the server's authentication replies up to its OK; returns the OK's sequence id. */
async function authenticate(target: TargetConfig, reader: SocketReader, out: Sender, auth: MysqlTargetAuth, capabilities: number): Promise<number> {
  for (;;) {
    const reply = await reader.next(packet);
    out.seq = reply.seq + 1;
    const r = decodeAuthReply(reply.payload, capabilities);
    switch (r.kind) {
      case 'ok':
        return reply.seq;
      case 'error': {
        const denied = r.error.code === 1045;
        const why = denied ? `${target.name} refused the gateway's login (${r.error.message}); the target's credentials in the gateway config need attention` : `${target.name}: ${r.error.message}`;
        throw new MysqlTargetError(r.error.code, r.error.sqlState || 'HY000', `recgate: ${why}`);
      }
      case 'switch':
        out.send(auth.switchTo(r.request.pluginName, r.request.pluginData));
        break;
      case 'more-data': {
        const answer = auth.moreData(r.data);
        if (answer) out.send(answer);
        break;
      }
      case 'next-factor':
        throw fail(target, `${target.name} asks for multi-factor authentication, which the gateway does not support`);
    }
  }
}

/** Logs in to the target with the injected credentials. */
export async function connectMysqlTarget(target: TargetConfig, request: LoginRequest): Promise<MysqlTargetLink> {
  let socket: Socket | TLSSocket;
  try {
    socket = await openTargetSocket(target, CONNECT_TIMEOUT_MS);
  } catch (err) {
    throw fail(target, (err as Error).message, err);
  }
  let reader = new SocketReader(socket, `target ${target.name}`, CONNECT_TIMEOUT_MS);
  try {
    const hello = await reader.next(packet);
    if (hello.payload[0] === 0xff) {
      const r = decodeAuthReply(hello.payload, Capability.CLIENT_PROTOCOL_41);
      const message = r.kind === 'error' ? r.error.message : 'refused the connection';
      throw new MysqlTargetError(r.kind === 'error' ? r.error.code : CANNOT_CONNECT.code, 'HY000', `recgate: ${target.name} refused the connection: ${message}`);
    }
    const greeting = decodeInitialHandshake(hello.payload);
    let capabilities = loginCapabilities(target, request, greeting);
    const mariadbCapabilities = (request.mariadbCapabilities ?? 0) >>> 0;
    const lacking = (mariadbCapabilities & ~greeting.mariadbCapabilities) >>> 0;
    if (lacking !== 0) throw fail(target, `${target.name} lacks MariaDB protocol features the client uses (extended capability flags 0x${lacking.toString(16)})`);
    const out = new Sender(socket, hello.seq + 1);
    const tls = await negotiateTls(target, greeting, out, reader, { capabilities: capabilities | Capability.CLIENT_SSL, mariadbCapabilities, charset: request.charset });
    if (tls) {
      capabilities |= Capability.CLIENT_SSL;
      socket = out.socket;
      reader = new SocketReader(socket, `target ${target.name}`, CONNECT_TIMEOUT_MS);
    }
    const auth = new MysqlTargetAuth(target, { tls }, greeting.authPluginData);
    const first = auth.first(greeting.authPluginName);
    out.send(
      encodeHandshakeResponse({
        capabilities,
        mariadbCapabilities,
        maxPacketSize: 0x100_0000,
        charset: request.charset,
        username: target.login.user ?? '',
        authResponse: first.response,
        ...(request.database ? { database: request.database } : {}),
        authPluginName: first.plugin,
        ...(capabilities & Capability.CLIENT_CONNECT_ATTRS ? { attributes: request.attributes ?? new Map([['program_name', 'recgate']]) } : {}),
      }),
    );
    const sequence = await authenticate(target, reader, out, auth, capabilities);
    return { socket, tls, greeting, capabilities, sequence, rest: reader.release() };
  } catch (err) {
    reader.release();
    socket.destroy();
    if (err instanceof MysqlTargetError) throw err;
    if (err instanceof TargetAuthRefused) throw fail(target, err.message);
    throw fail(target, `login to ${target.name} failed: ${(err as Error).message}`, err);
  }
}
