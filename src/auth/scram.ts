/**
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, both sides, as PostgreSQL speaks them
 * inside its SASL authentication messages.
 *
 * Specifications followed:
 *   RFC 5802  Salted Challenge Response Authentication Mechanism (SCRAM)
 *   RFC 7677  SCRAM-SHA-256 and SCRAM-SHA-256-PLUS
 *   RFC 5929  channel binding type tls-server-end-point
 *   RFC 4013  SASLprep (a profile of RFC 3454 stringprep)
 *   PostgreSQL documentation, "SASL Authentication" (protocol-flow) and the
 *   SCRAM secret format stored in pg_authid:
 *     SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 *
 * The exchange (RFC 5802 §3, H = SHA-256, HMAC = HMAC-SHA-256):
 *   SaltedPassword  = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, i, 32)
 *   ClientKey       = HMAC(SaltedPassword, "Client Key");  StoredKey = H(ClientKey)
 *   ServerKey       = HMAC(SaltedPassword, "Server Key")
 *   AuthMessage     = client-first-message-bare "," server-first-message ","
 *                     client-final-message-without-proof
 *   ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *   ServerSignature = HMAC(ServerKey, AuthMessage)
 *
 * Invariants:
 * - Everything this module throws is an AuthError (code RG_ERR_AUTH), and no
 *   message ever carries a password, proof, nonce, salt or key. Strings that
 *   came off the wire appear in a message only when they are short printable
 *   ASCII (mechanism and channel-binding names, a server's e= value).
 * - Every secret comparison is constant-time (crypto.timingSafeEqual).
 * - Each ScramServer / ScramClient runs one exchange, in order; a call out of
 *   order, or any call after one that threw, throws.
 * - Like PostgreSQL, the user name inside client-first-message is ignored: who
 *   is logging in comes from the startup packet. An authorization identity
 *   (a=) and the reserved m= extension are refused.
 * - An unknown user (or an unusable verifier) gets a mock exchange: a salt
 *   derived from the user name and a server secret, the same iteration count
 *   real verifiers get by default, the same proof computation, and a failure
 *   at the very end, so probing cannot tell it from a wrong password.
 * - Channel binding (tls-server-end-point only): a server given binding data
 *   offers -PLUS and refuses a client that claims "y" (it supports binding but
 *   thinks the server does not: a downgrade), as PostgreSQL does.
 *
 * Each part has its own file: scram-messages.ts (message syntax), scram-verifier.ts (key
 * derivation and the stored secret), scram-server.ts, scram-client.ts and
 * tls-server-end-point.ts (channel binding data). Other code imports them
 * from here.
 */
export { AuthError } from './auth-error.js';
export { saslprep } from './saslprep.js';
export { ScramClient, SCRAM_MAX_CLIENT_ITERATIONS, type ScramClientOptions } from './scram-client.js';
export { SCRAM_SHA_256, SCRAM_SHA_256_PLUS } from './scram-messages.js';
export { ScramServer, type ScramServerOptions, type ScramServerResult } from './scram-server.js';
export {
  isScramVerifier,
  makeScramVerifier,
  parseScramVerifier,
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_DEFAULT_SALT_BYTES,
  type ScramVerifier,
} from './scram-verifier.js';
export { tlsServerEndPoint } from './tls-server-end-point.js';
