/**
 * MySQL / MariaDB password authentication, both sides: the gateway checking a
 * person's client (server side) and the gateway logging in to a target with
 * injected credentials (client side). Pure computations, no I/O; the packet
 * framing (Handshake v10, HandshakeResponse41, AuthSwitchRequest,
 * AuthMoreData) is the proxy's business.
 *
 * Specifications followed:
 *   MySQL Source Code Documentation, "Native Authentication"
 *     (page_protocol_connection_phase_authentication_methods_native_password_authentication):
 *       response = SHA1(password) XOR SHA1(nonce ‖ SHA1(SHA1(password)))
 *       mysql.user.authentication_string = "*" ‖ HEX(SHA1(SHA1(password)))
 *   MySQL Source Code Documentation, "Caching_sha2_password information" and
 *     "caching_sha2_password authentication exchanges"
 *     (page_caching_sha2_authentication_exchanges):
 *       Scramble   = XOR(SHA256(password), SHA256(SHA256(SHA256(password)) ‖ Nonce))
 *       Hash entry = SHA256(SHA256(password))
 *       full authentication: password ‖ NUL in clear over TLS, or
 *       RSA_PKCS1_OAEP_PADDING(public key, (password ‖ NUL) XOR Nonce-repeated)
 *   MySQL Reference Manual, "Caching SHA-2 Pluggable Authentication" and
 *     "SHA-256 Pluggable Authentication" (RSA key pair, public key request).
 *   MariaDB Knowledge Base, "Connecting via caching_sha2_password" and
 *     "mysql_native_password" (client/server protocol reference).
 *   MariaDB Knowledge Base, "Authentication Plugin - ed25519": the server
 *     sends a 32-byte message, the client answers with its Ed25519 signature
 *     (RFC 8032, section 5.1.6) made with the expanded secret SHA-512(password)
 *     instead of SHA-512(32-byte seed); the server keeps the public key,
 *     base64 without padding, in authentication_string.
 *
 * Nonce: 20 bytes (SCRAMBLE_LENGTH). Servers send it as 8 + 12 bytes in the
 * handshake, or as 20 bytes and a NUL in an AuthSwitchRequest; the NUL is not
 * part of it (nonceFromAuthData strips it).
 *
 * Passwords are bytes: a string is encoded as UTF-8 (what current clients send
 * with a utf8mb4 connection). MySQL hashes whatever bytes the client sends.
 *
 * Invariants:
 * - Everything this module throws is an AuthError (code RG_ERR_AUTH), and no
 *   message carries a password, nonce, response, digest or key.
 * - Server-side checks return false for any response they cannot accept
 *   (wrong length included) and throw only for the gateway's own mistakes (a
 *   nonce that is not 20 bytes, an argument that is not bytes).
 * - Every comparison of secret-derived bytes is constant-time
 *   (crypto.timingSafeEqual); a malformed stored verifier costs the same
 *   computation as a real one and then fails.
 * - An empty password is never accepted by the server-side checks unless the
 *   caller opts in (checkNativeScramble's allowEmptyPassword); the gateway's own
 *   verifiers cannot encode one.
 *
 * client_ed25519 is client side only (the gateway logs in to MariaDB targets
 * with it): its secret key is SHA-512 of an arbitrary-length password, which
 * node:crypto's Ed25519 cannot take, so the signature is built from
 * libsodium's constant-time point and scalar operations.
 *
 * Not implemented: the pre-4.1 mysql_old_password, and PKCS#1 v1.5 padding for the RSA path (used
 * only by MySQL servers before 8.0.5).
 *
 * Each part has its own file: mysql-nonce.ts, mysql-native.ts, mysql-sha2.ts
 * (fast and cleartext full authentication), mysql-rsa.ts (RSA full
 * authentication), mysql-ed25519.ts and mysql-verifiers.ts (the gateway's
 * users), on the byte helpers of mysql-auth-bytes.ts. Other code imports them
 * from here.
 */
export { AuthError } from './auth-error.js';
export type { MysqlPassword } from './mysql-auth-bytes.js';
export {
  CLIENT_ED25519,
  ED25519_MESSAGE_BYTES,
  ed25519MessageFromAuthData,
  ed25519PublicKey,
  ed25519Signature,
} from './mysql-ed25519.js';
export {
  checkNativeScramble,
  isNativeVerifier,
  makeNativeVerifier,
  MYSQL_NATIVE_PASSWORD,
  NATIVE_SCRAMBLE_BYTES,
  type NativeCheckOptions,
  nativeScramble,
  parseNativeVerifier,
} from './mysql-native.js';
export { isEmptyPasswordResponse, makeMysqlNonce, MYSQL_NONCE_BYTES, nonceFromAuthData } from './mysql-nonce.js';
export { rsaDecryptPassword, rsaEncryptPassword, type RsaKeyInput, rsaPublicKeyPem } from './mysql-rsa.js';
export {
  AUTH_MORE_DATA,
  CACHING_SHA2_PASSWORD,
  checkSha2Password,
  checkSha2Scramble,
  cleartextPasswordPayload,
  readCleartextPassword,
  SHA2_FAST_AUTH_SUCCESS,
  SHA2_PERFORM_FULL_AUTH,
  SHA2_REQUEST_PUBLIC_KEY,
  SHA2_SCRAMBLE_BYTES,
  sha2Digest,
  sha2Scramble,
  SHA256_PASSWORD,
  SHA256_PASSWORD_REQUEST_PUBLIC_KEY,
} from './mysql-sha2.js';
export {
  isSha2Verifier,
  makeMysqlVerifiers,
  makeSha2Verifier,
  mockMysqlVerifiers,
  type MysqlVerifiers,
  parseSha2Verifier,
} from './mysql-verifiers.js';
