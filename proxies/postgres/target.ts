/**
 * The gateway's own login to a PostgreSQL target: TCP, TLS as the target's
 * `tls` mode says (libpq's sslmode semantics), then a StartupMessage with
 * the client's parameters and the injected user, and whichever password
 * exchange the server asks for and the target's `auth` allows
 * (SCRAM-SHA-256[-PLUS], md5, cleartext: target-auth.ts).
 *
 * Invariants:
 * - the person never sees the target's credentials, and no error carries them;
 * - `verify-full` checks the certificate chain and the host name; `require`
 *   insists on TLS without checking who answers; `prefer` falls back to
 *   plain TCP only when the server declines TLS; a `tlsPin` must match the
 *   certificate;
 * - the password, or its md5 hash, goes only to a target whose TLS is
 *   verified (target-auth.ts);
 * - the login ends at the first ReadyForQuery; the ParameterStatus values and
 *   BackendKeyData seen on the way are handed to the caller.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { targetOptions, type TargetConfig } from '../../src/config/index.js';
import { tlsServerEndPoint } from '../../src/auth/scram.js';
import { CONNECT_TIMEOUT_MS, openTargetSocket, startTargetTls } from '../wire/tcp.js';
import { PacketReader } from './packet-reader.js';
import type { PostgresTargetOptions } from './spec.js';
import { TargetAuthenticator } from './target-auth.js';
import { TargetError } from './target-error.js';
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
import { encodeCancelRequest, encodeSSLRequest, encodeStartupMessage } from './protocol/startup.js';

export { TargetError };

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
    const binding = tls ? channelBinding(socket as TLSSocket) : undefined;
    const auth = new TargetAuthenticator(target, { tls, ...(binding ? { channelBinding: binding } : {}) });
    const parameters = new Map<string, string>();
    let key: BackendKeyData | null = null;
    for (;;) {
      const { type, body } = await reader.message();
      switch (String.fromCharCode(type)) {
        case 'R': {
          const answer = await auth.answer(decodeAuthentication(body));
          if (answer) socket.write(answer);
          break;
        }
        case 'E': {
          const error = decodeErrorResponse(body);
          throw auth.authenticated ? new TargetError(error.code, error.message, { serverError: error }) : authFailed(target, error);
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
          if (!auth.authenticated) throw new TargetError('08001', `recgate: ${target.name} reported ready before authenticating`);
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
