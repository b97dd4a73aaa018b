/**
 * The gateway's own login to a PostgreSQL target: TCP, TLS as the target's
 * `tls` mode says (libpq's sslmode semantics), then a StartupMessage with
 * the client's parameters and the injected user, and whichever password
 * exchange the server asks for (SCRAM-SHA-256[-PLUS], md5, cleartext).
 *
 * Invariants:
 * - the person never sees the target's credentials, and no error carries them;
 * - `verify-full` checks the certificate chain and the host name; `require`
 *   insists on TLS without checking who answers; `prefer` falls back to
 *   plain TCP only when the server declines TLS;
 * - SCRAM is finished only when the server's signature verifies: an
 *   AuthenticationOk before that is refused (a target cannot skip proving it
 *   knows the password);
 * - the login ends at the first ReadyForQuery; the ParameterStatus values and
 *   BackendKeyData seen on the way are handed to the caller.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { targetOptions, type TargetConfig } from '../../src/config/index.js';
import { GatewayError } from '../../src/errors.js';
import { md5PasswordResponse } from '../../src/auth/md5-password.js';
import { ScramClient, tlsServerEndPoint } from '../../src/auth/scram.js';
import { CONNECT_TIMEOUT_MS, openTargetSocket, startTargetTls } from '../wire/tcp.js';
import { PacketReader } from './packet-reader.js';
import type { PostgresTargetOptions } from './spec.js';
import {
  decodeAuthentication,
  decodeBackendKeyData,
  decodeErrorResponse,
  decodeParameterStatus,
  decodeReadyForQuery,
  type BackendKeyData,
  type NoticeFields,
  type TransactionStatus,
} from './protocol/backend.js';
import { encodePasswordMessage, encodeSASLInitialResponse, encodeSASLResponse } from './protocol/frontend.js';
import { encodeCancelRequest, encodeSSLRequest, encodeStartupMessage } from './protocol/startup.js';


/** Why the gateway could not open the target: `sqlstate` and `message` are what the person is told. */
export class TargetError extends GatewayError {
  constructor(
    readonly sqlstate: string,
    message: string,
    options: { cause?: unknown; serverError?: NoticeFields } = {},
  ) {
    super('RG_ERR_PROTOCOL', message, options);
    this.serverError = options.serverError;
  }
  readonly serverError: NoticeFields | undefined;
}

export interface TargetLink {
  socket: Socket | TLSSocket;
  tls: boolean;
  parameters: Map<string, string>;
  key: BackendKeyData | null;
  status: TransactionStatus;
  /** Bytes the target sent after its ReadyForQuery (none in practice). */
  rest: Buffer;
}

/** Startup parameters a client may not choose: the gateway decides who logs in and how. */
const DROPPED_PARAMETERS = new Set(['user', 'replication']);

/**
 * Startup parameters that change who the session is or set anything at all
 * (`options` carries `-c name=value` for any setting) before a statement is
 * recorded: refused unless the target allows them (`startupOptions`).
 */
const GUARDED_PARAMETERS = ['options', 'role', 'session_authorization'];

/** The client's startup parameters this target does not accept. */
export function refusedStartupParameters(options: PostgresTargetOptions, client: ReadonlyMap<string, string>): string[] {
  if (options.startupOptions) return [];
  return GUARDED_PARAMETERS.filter((name) => client.has(name));
}

/** The StartupMessage the gateway sends: the client's parameters, the injected user. */
export function targetStartupParameters(target: TargetConfig, client: ReadonlyMap<string, string>): Map<string, string> {
  const params = new Map<string, string>([['user', target.login.user ?? '']]);
  for (const [name, value] of client) {
    if (DROPPED_PARAMETERS.has(name) || name.startsWith('_pq_.')) continue;
    params.set(name, value);
  }
  return params;
}

async function openSocket(target: TargetConfig): Promise<Socket> {
  try {
    return await openTargetSocket(target, CONNECT_TIMEOUT_MS);
  } catch (err) {
    throw new TargetError('08001', (err as Error).message, { cause: err });
  }
}

async function startTls(target: TargetConfig, socket: Socket): Promise<TLSSocket> {
  try {
    return await startTargetTls(target, targetOptions<PostgresTargetOptions>(target), socket);
  } catch (err) {
    throw new TargetError('08001', (err as Error).message, { cause: err });
  }
}

/** Opens the transport: TCP, then TLS when the mode asks for it and the server agrees. */
async function transport(target: TargetConfig): Promise<{ socket: Socket | TLSSocket; tls: boolean }> {
  const socket = await openSocket(target);
  const mode = targetOptions<PostgresTargetOptions>(target).tls;
  if (mode === 'disable') return { socket, tls: false };
  socket.write(encodeSSLRequest());
  const reader = new PacketReader(socket, 'backend', `target ${target.name}`, 16_384, CONNECT_TIMEOUT_MS);
  let answer: number;
  try {
    answer = await reader.byte();
  } catch (err) {
    socket.destroy();
    throw new TargetError('08001', `recgate: ${target.name} closed the connection during TLS negotiation`, { cause: err });
  }
  // Bytes after 'S' would be injected by a man in the middle before TLS (CVE-2021-23222): refuse them.
  const early = reader.pending;
  reader.release();
  if (early) {
    socket.destroy();
    throw new TargetError('08001', `recgate: ${target.name} sent unexpected data after its answer to SSLRequest`);
  }
  if (answer === 0x53 /* S */) return { socket: await startTls(target, socket), tls: true };
  if (answer === 0x4e /* N */ && mode === 'prefer') return { socket, tls: false };
  socket.destroy();
  if (answer === 0x4e) throw new TargetError('08001', `recgate: ${target.name} does not accept TLS, which the gateway's config requires (tls: ${mode})`);
  throw new TargetError('08001', `recgate: ${target.name} answered SSLRequest with an unexpected byte; is it a PostgreSQL server?`);
}

function authFailed(target: TargetConfig, err: NoticeFields): TargetError {
  if (err.code === '28P01') {
    return new TargetError('28000', `recgate: ${target.name} refused the gateway's login (${err.message}); the target's credentials in the gateway config need attention`, { serverError: err });
  }
  if (err.code === '28000') {
    // Not the password: who may connect how (pg_hba.conf), e.g. TLS required.
    return new TargetError('28000', `recgate: ${target.name} refused the gateway's login: ${err.message}`, { serverError: err });
  }
  // Other refusals (no such database, too many connections, ...) mean something to the person: pass them on.
  return new TargetError(err.code, err.message, { serverError: err });
}

/** Logs in to the target with the injected credentials. */
export async function connectTarget(target: TargetConfig, clientParameters: ReadonlyMap<string, string>): Promise<TargetLink> {
  const { socket, tls } = await transport(target);
  const reader = new PacketReader(socket, 'backend', `target ${target.name}`, 1 << 20, CONNECT_TIMEOUT_MS);
  try {
    socket.write(encodeStartupMessage(targetStartupParameters(target, clientParameters)));
    const password = target.login.password?.reveal() ?? null;
    const user = target.login.user ?? '';
    const parameters = new Map<string, string>();
    let key: BackendKeyData | null = null;
    let scram: ScramClient | undefined;
    let authenticated = false;
    const needPassword = (): string => {
      if (password === null) throw new TargetError('28000', `recgate: ${target.name} asks for a password and the gateway's config has none for it`);
      return password;
    };
    for (;;) {
      const { type, body } = await reader.message();
      switch (String.fromCharCode(type)) {
        case 'R': {
          const auth = decodeAuthentication(body);
          switch (auth.kind) {
            case 'ok':
              if (scram && !scram.completed) throw new TargetError('08001', `recgate: ${target.name} skipped proving it knows the password (SCRAM unfinished); refused`);
              authenticated = true;
              break;
            case 'cleartext-password':
              socket.write(encodePasswordMessage(needPassword()));
              break;
            case 'md5-password':
              socket.write(encodePasswordMessage(md5PasswordResponse(user, needPassword(), auth.salt)));
              break;
            case 'sasl': {
              const binding = tls ? channelBinding(socket as TLSSocket) : undefined;
              scram = new ScramClient({ password: needPassword(), ...(binding ? { channelBinding: binding } : {}) });
              const mechanism = scram.mechanism(auth.mechanisms);
              socket.write(encodeSASLInitialResponse(mechanism, scram.clientFirst()));
              break;
            }
            case 'sasl-continue':
              if (!scram) throw new TargetError('08001', `recgate: ${target.name} sent SASLContinue out of order`);
              socket.write(encodeSASLResponse(await scram.serverFirstAsync(auth.data)));
              break;
            case 'sasl-final':
              if (!scram) throw new TargetError('08001', `recgate: ${target.name} sent SASLFinal out of order`);
              scram.serverFinal(auth.data);
              break;
            default:
              throw new TargetError('08001', `recgate: ${target.name} asks for ${auth.kind} authentication, which the gateway does not support`);
          }
          break;
        }
        case 'E': {
          const error = decodeErrorResponse(body);
          throw authenticated ? new TargetError(error.code, error.message, { serverError: error }) : authFailed(target, error);
        }
        case 'S': {
          const p = decodeParameterStatus(body);
          parameters.set(p.name, p.value);
          break;
        }
        case 'K':
          key = decodeBackendKeyData(body);
          break;
        case 'N':
        case 'v':
          break;
        case 'Z':
          if (!authenticated) throw new TargetError('08001', `recgate: ${target.name} reported ready before authenticating`);
          return { socket, tls, parameters, key, status: decodeReadyForQuery(body).status, rest: reader.release() };
        default:
          throw new TargetError('08001', `recgate: ${target.name} sent an unexpected message during login`);
      }
    }
  } catch (err) {
    reader.release();
    socket.destroy();
    if (err instanceof TargetError) throw err;
    throw new TargetError('08001', `recgate: login to ${target.name} failed: ${(err as Error).message}`, { cause: err });
  }
}

/** tls-server-end-point data for the target's certificate, when it can be bound. */
function channelBinding(socket: TLSSocket): Buffer | undefined {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return undefined;
  try {
    return tlsServerEndPoint(cert.raw);
  } catch {
    return undefined;
  }
}

/** Asks the target to cancel what the backend `key` runs (a new connection, as the protocol wants). */
export async function cancelOnTarget(target: TargetConfig, key: BackendKeyData): Promise<void> {
  const { socket } = await transport(target);
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
    socket.end(encodeCancelRequest(key.pid, key.secretKey));
    setTimeout(() => socket.destroy(), CONNECT_TIMEOUT_MS).unref();
  });
}
