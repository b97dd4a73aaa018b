/**
 * Authenticates the person connecting to the PostgreSQL listener as a gateway
 * user, before any target is contacted.
 *
 * - A user with a SCRAM verifier (`users[].scram`) logs in with
 *   SCRAM-SHA-256, or SCRAM-SHA-256-PLUS bound to the gateway's certificate
 *   when the connection is TLS (so `channel_binding=require` works against
 *   the gateway itself).
 * - A user with only an Argon2id password logs in with a cleartext password,
 *   and only inside TLS: a password never crosses the network in clear.
 * - Everyone else (unknown user, or no usable secret on this connection)
 *   takes the steps some real user takes (src/auth/decoy.ts): a SCRAM
 *   exchange that cannot succeed, or over TLS a password that is checked
 *   against nothing, so the steps do not tell which user names exist.
 */
import type { UserConfig } from '../../src/config/index.js';
import { loginPath } from '../../src/auth/decoy.js';
import { checkPassword } from '../../src/auth/users.js';
import { ScramServer } from '../../src/auth/scram.js';
import type { Sodium } from '../../src/seal/sodium.js';
import type { PacketReader } from './packet-reader.js';
import {
  encodeAuthenticationCleartextPassword,
  encodeAuthenticationSASL,
  encodeAuthenticationSASLContinue,
  encodeAuthenticationSASLFinal,
} from './protocol/backend.js';
import { decodePasswordMessage, decodeSASLInitialResponse, decodeSASLResponse } from './protocol/frontend.js';
import { ProtocolError } from '../../src/errors.js';

export interface PersonAuth {
  reader: PacketReader;
  send(message: Buffer): void;
  sodium: Sodium;
  /** Stable secret for mock SCRAM salts and decoy paths. */
  mockSecret: Buffer;
  /** Every configured user: unknown names imitate their paths. */
  users: readonly UserConfig[];
  /** The gateway certificate's tls-server-end-point data, when the client is on TLS and it can be bound. */
  channelBinding: Buffer | undefined;
  tls: boolean;
}

export type AuthOutcome = { ok: true; method: string } | { ok: false; why: string };

const AUTH_RESPONSE = 0x70; // 'p'

async function authResponse(auth: PersonAuth): Promise<Buffer> {
  const { type, body } = await auth.reader.message();
  if (type !== AUTH_RESPONSE) throw new ProtocolError(['postgres', 'frontend'], 'expected a password or SASL response during authentication');
  return body;
}

type Path = 'password' | 'scram';

/** SCRAM for users with a verifier; inside TLS, a password for those with only an Argon2id hash. */
function pathOf(tls: boolean): (user: UserConfig) => Path | null {
  return (user) => (user.scram !== null ? 'scram' : tls && user.password !== null ? 'password' : null);
}

export async function authenticatePerson(auth: PersonAuth, loginName: string, user: UserConfig | undefined): Promise<AuthOutcome> {
  const { path, real } = loginPath(user, pathOf(auth.tls), { secret: auth.mockSecret, loginName, users: auth.users, fallback: 'scram' });
  if (path === 'password') return cleartextInTls(auth, real ? user : undefined);
  const why = !user ? 'unknown user' : !real ? (auth.tls ? 'user has no password' : 'user has no SCRAM verifier and the connection is not TLS') : undefined;
  const server = new ScramServer({
    verifier: why === undefined ? user!.scram : null,
    user: loginName,
    mockSecret: auth.mockSecret,
    ...(auth.channelBinding ? { channelBinding: auth.channelBinding } : {}),
  });
  auth.send(encodeAuthenticationSASL(server.mechanisms()));
  const initial = decodeSASLInitialResponse(await authResponse(auth));
  let first = initial.data;
  if (first === null) {
    // No initial response: an empty challenge asks for it (RFC 4422 §5).
    auth.send(encodeAuthenticationSASLContinue(Buffer.alloc(0)));
    first = decodeSASLResponse(await authResponse(auth)).data;
  }
  auth.send(encodeAuthenticationSASLContinue(server.clientFirst(initial.mechanism, first)));
  const result = server.clientFinal(decodeSASLResponse(await authResponse(auth)).data);
  if (!result.ok) return { ok: false, why: why ?? result.reason };
  auth.send(encodeAuthenticationSASLFinal(result.serverFinal));
  return { ok: true, method: initial.mechanism };
}

async function cleartextInTls(auth: PersonAuth, user: UserConfig | undefined): Promise<AuthOutcome> {
  auth.send(encodeAuthenticationCleartextPassword());
  const { password } = decodePasswordMessage(await authResponse(auth));
  if (await checkPassword(auth.sodium, user, password)) return { ok: true, method: 'password over TLS' };
  return { ok: false, why: user ? 'wrong password' : 'unknown user' };
}
