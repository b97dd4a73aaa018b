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
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

import { GatewayError } from '../errors.js';
import { fromBase64 } from '../seal/encoding.js';
import { LONE_SURROGATE, saslprep } from './saslprep.js';

export { saslprep } from './saslprep.js';

/** A SCRAM exchange that is malformed, out of order or cannot be carried out. */
export class AuthError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_AUTH', message, options);
  }
}

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';
/** PostgreSQL's default (scram_iterations) and RFC 7677's recommended minimum. */
export const SCRAM_DEFAULT_ITERATIONS = 4096;
/** PostgreSQL's SCRAM_DEFAULT_SALT_LEN. */
export const SCRAM_DEFAULT_SALT_BYTES = 16;
/** Highest iteration count a ScramClient accepts from a server by default. */
export const SCRAM_MAX_CLIENT_ITERATIONS = 10_000_000;

const KEY_BYTES = 32;
/** Raw bytes behind a generated nonce (base64: 24 printable characters), as libpq and PostgreSQL use. */
const NONCE_BYTES = 18;
/** PostgreSQL's verifier iteration count is a C int. */
const MAX_VERIFIER_ITERATIONS = 2 ** 31 - 1;
/** PostgreSQL caps a SASL message at 64 KiB less one (PG_MAX_AUTH_TOKEN_LENGTH). */
const MAX_MESSAGE_BYTES = 65535;
const CHANNEL_BINDING_TYPE = 'tls-server-end-point';
const MOCK_SALT_DOMAIN = 'recgate scram mock salt\0';

/** The bytes PBKDF2 hashes: SASLprep'd UTF-8, or the raw UTF-8 where SASLprep gives up. */
function passwordBytes(password: string): Buffer {
  if (typeof password !== 'string') throw new AuthError('SCRAM password must be a string');
  // Lone surrogates have no UTF-8 form; encoding them would silently replace
  // them and make different passwords equal.
  if (LONE_SURROGATE.test(password)) throw new AuthError('SCRAM password is not well-formed Unicode (lone surrogate)');
  return Buffer.from(saslprep(password) ?? password, 'utf8');
}

// ---------------------------------------------------------------------------
// Key derivation and verifiers
// ---------------------------------------------------------------------------

function hmac(key: Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Keys {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

function keysFrom(saltedPassword: Buffer): Keys {
  const clientKey = hmac(saltedPassword, 'Client Key');
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(saltedPassword, 'Server Key') };
}

export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  /** H(ClientKey), 32 bytes. */
  storedKey: Buffer;
  /** HMAC(SaltedPassword, "Server Key"), 32 bytes. */
  serverKey: Buffer;
}

/**
 * A PostgreSQL SCRAM secret for `password`:
 * `SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>`.
 * Defaults: 4096 iterations, a fresh 16-byte random salt.
 */
export function makeScramVerifier(password: string, options: { iterations?: number; salt?: Buffer } = {}): string {
  const iterations = options.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_VERIFIER_ITERATIONS) {
    throw new AuthError(`SCRAM iteration count must be an integer from 1 to ${MAX_VERIFIER_ITERATIONS}`);
  }
  const salt = options.salt ?? randomBytes(SCRAM_DEFAULT_SALT_BYTES);
  if (!Buffer.isBuffer(salt) || salt.length === 0) throw new AuthError('SCRAM salt must be a non-empty Buffer');
  const keys = keysFrom(pbkdf2Sync(passwordBytes(password), salt, iterations, KEY_BYTES, 'sha256'));
  return `${SCRAM_SHA_256}$${iterations}:${salt.toString('base64')}$${keys.storedKey.toString('base64')}:${keys.serverKey.toString('base64')}`;
}

const VERIFIER = /^SCRAM-SHA-256\$([0-9]{1,10}):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

function decodeBase64(text: string): Buffer | null {
  const bytes = fromBase64(text);
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
}

/**
 * The parts of a PostgreSQL SCRAM-SHA-256 secret, or null when `text` is not a
 * well-formed one (never throws). Well-formed: iterations 1..2^31-1, a
 * non-empty salt, 32-byte StoredKey and ServerKey, canonical padded base64.
 */
export function parseScramVerifier(text: string): ScramVerifier | null {
  if (typeof text !== 'string') return null;
  const m = VERIFIER.exec(text);
  if (!m) return null;
  const iterations = Number(m[1]);
  if (iterations < 1 || iterations > MAX_VERIFIER_ITERATIONS) return null;
  const salt = decodeBase64(m[2]!);
  const storedKey = decodeBase64(m[3]!);
  const serverKey = decodeBase64(m[4]!);
  if (!salt || salt.length === 0 || storedKey?.length !== KEY_BYTES || serverKey?.length !== KEY_BYTES) return null;
  return { iterations, salt, storedKey, serverKey };
}

/** True when `text` is a well-formed PostgreSQL SCRAM-SHA-256 secret. */
export function isScramVerifier(text: unknown): boolean {
  return typeof text === 'string' && parseScramVerifier(text) !== null;
}

// ---------------------------------------------------------------------------
// Message syntax (RFC 5802 §7)
// ---------------------------------------------------------------------------

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** printable = %x21-2B / %x2D-7E (no comma). */
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
/** An extension attribute: ALPHA "=" value. */
const EXTENSION = /^[A-Za-z]=/;

/** `value` quoted, if it is short printable ASCII; otherwise a placeholder. Wire strings go in messages only this way. */
function shown(value: string): string {
  return /^[\x20-\x7e]{1,64}$/.test(value) ? JSON.stringify(value) : '(not shown)';
}

function malformed(what: string, detail: string): AuthError {
  return new AuthError(`malformed SCRAM ${what}: ${detail}`);
}

function messageText(message: Uint8Array, what: string): string {
  if (!(message instanceof Uint8Array)) throw malformed(what, 'expected bytes');
  if (message.length === 0) throw malformed(what, 'empty message');
  if (message.length > MAX_MESSAGE_BYTES) throw malformed(what, `longer than ${MAX_MESSAGE_BYTES} bytes`);
  let text: string;
  try {
    text = strictUtf8.decode(message);
  } catch {
    throw malformed(what, 'not valid UTF-8');
  }
  if (text.includes('\0')) throw malformed(what, 'contains a NUL byte');
  return text;
}

/** The value of attribute `name` in `part`, which must be `name=value`. */
function attribute(part: string | undefined, name: string, what: string): string {
  if (part === undefined || part.length < 2 || part[0] !== name || part[1] !== '=') {
    throw malformed(what, `expected attribute "${name}"`);
  }
  return part.slice(2);
}

function checkExtensions(parts: string[], what: string): void {
  for (const part of parts) if (!EXTENSION.test(part)) throw malformed(what, 'expected an attribute=value extension');
}

function nonceValue(part: string | undefined, what: string): string {
  const nonce = attribute(part, 'r', what);
  if (!PRINTABLE.test(nonce)) throw malformed(what, 'nonce is empty or not printable');
  return nonce;
}

function base64Value(part: string | undefined, name: string, what: string, label: string): Buffer {
  const bytes = decodeBase64(attribute(part, name, what));
  if (!bytes) throw malformed(what, `${label} is not valid base64`);
  return bytes;
}

/** saslname (RFC 5802 §7): "," and "=" are written =2C and =3D. */
function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function checkNonceOption(nonce: string | undefined): string {
  if (nonce === undefined) return randomBytes(NONCE_BYTES).toString('base64');
  if (typeof nonce !== 'string' || !PRINTABLE.test(nonce)) throw new AuthError('SCRAM nonce option must be printable ASCII without ","');
  return nonce;
}

// ---------------------------------------------------------------------------
// Server side: the gateway authenticating a person
// ---------------------------------------------------------------------------

export interface ScramServerOptions {
  /** The user's stored SCRAM secret; null for an unknown user (a mock exchange that fails at the end). */
  verifier: string | null;
  /** The user name from the startup packet (the mock salt is derived from it). */
  user: string;
  /** A server secret (at least 16 bytes), stable across restarts, for mock salts. */
  mockSecret: Buffer;
  /** tls-server-end-point hash of the gateway's certificate (tlsServerEndPoint), when on TLS. */
  channelBinding?: Buffer;
  /** Iteration count a mock exchange announces; default 4096, as new verifiers get. */
  mockIterations?: number;
  /** For tests: the server's part of the nonce (printable, no ","). */
  nonce?: string;
}

export type ScramServerResult = { ok: true; serverFinal: Buffer } | { ok: false; reason: string };

type ServerState = 'start' | 'sent-first' | 'done';

/**
 * One server-side exchange. Protocol errors throw AuthError (send the client an
 * error and close); a well-formed exchange that fails returns ok: false with a
 * reason for the gateway's log only (tell the client just "authentication failed").
 */
export class ScramServer {
  private state: ServerState = 'start';
  private readonly salt: Buffer;
  private readonly iterations: number;
  private readonly storedKey: Buffer;
  private readonly serverKey: Buffer;
  /** Why a mock exchange will fail, or null for a real one. */
  private readonly doomed: string | null;
  private readonly channelBinding: Buffer | undefined;
  private readonly serverNonce: string;
  private gs2Header = '';
  private cbindFlag: 'n' | 'y' | 'p' = 'n';
  private clientFirstBare = '';
  private nonce = '';
  private serverFirstMessage = '';

  constructor(opts: ScramServerOptions) {
    if (typeof opts.user !== 'string') throw new AuthError('SCRAM server needs the user name');
    if (!Buffer.isBuffer(opts.mockSecret) || opts.mockSecret.length < 16) {
      throw new AuthError('SCRAM mock secret must be a Buffer of at least 16 bytes');
    }
    if (opts.channelBinding !== undefined && (!Buffer.isBuffer(opts.channelBinding) || opts.channelBinding.length === 0)) {
      throw new AuthError('SCRAM channel binding data must be a non-empty Buffer');
    }
    const mockIterations = opts.mockIterations ?? SCRAM_DEFAULT_ITERATIONS;
    if (!Number.isSafeInteger(mockIterations) || mockIterations < 1 || mockIterations > MAX_VERIFIER_ITERATIONS) {
      throw new AuthError(`SCRAM mock iteration count must be an integer from 1 to ${MAX_VERIFIER_ITERATIONS}`);
    }
    this.channelBinding = opts.channelBinding;
    this.serverNonce = checkNonceOption(opts.nonce);
    const parsed = opts.verifier === null ? null : parseScramVerifier(opts.verifier);
    if (parsed) {
      this.doomed = null;
      this.salt = parsed.salt;
      this.iterations = parsed.iterations;
      this.storedKey = parsed.storedKey;
      this.serverKey = parsed.serverKey;
    } else {
      // PostgreSQL's mock authentication: a salt that is the same every time
      // for this name but unpredictable without the secret, and random keys
      // that no proof can match.
      this.doomed = opts.verifier === null ? 'unknown user' : 'invalid verifier';
      this.salt = createHmac('sha256', opts.mockSecret)
        .update(MOCK_SALT_DOMAIN)
        .update(opts.user, 'utf8')
        .digest()
        .subarray(0, SCRAM_DEFAULT_SALT_BYTES);
      this.iterations = mockIterations;
      this.storedKey = randomBytes(KEY_BYTES);
      this.serverKey = randomBytes(KEY_BYTES);
    }
  }

  /** The mechanisms to offer in AuthenticationSASL, in order of preference. */
  mechanisms(): string[] {
    return this.channelBinding ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256];
  }

  /** Reads client-first-message (SASLInitialResponse data) for `mechanism`; returns server-first-message. */
  clientFirst(mechanism: string, message: Buffer): Buffer {
    const what = 'client-first-message';
    if (this.state !== 'start') throw new AuthError(`SCRAM ${what} out of order`);
    this.state = 'done'; // until it succeeds: a throw ends the exchange
    if (typeof mechanism !== 'string' || !this.mechanisms().includes(mechanism)) {
      throw new AuthError(`unsupported SASL mechanism ${shown(String(mechanism))}`);
    }
    const plus = mechanism === SCRAM_SHA_256_PLUS;
    const text = messageText(message, what);

    // gs2-header = gs2-cbind-flag "," [ authzid ] ","
    const comma1 = text.indexOf(',');
    const comma2 = comma1 < 0 ? -1 : text.indexOf(',', comma1 + 1);
    if (comma2 < 0) throw malformed(what, 'incomplete GS2 header');
    const flag = text.slice(0, comma1);
    const authzid = text.slice(comma1 + 1, comma2);
    if (flag === 'n' || flag === 'y') {
      if (plus) throw new AuthError(`client selected ${SCRAM_SHA_256_PLUS} but sent no channel binding`);
      if (flag === 'y' && this.channelBinding) {
        throw new AuthError('SCRAM channel binding downgrade: the client supports channel binding but thinks the server does not');
      }
      this.cbindFlag = flag;
    } else if (flag.startsWith('p=')) {
      if (!plus) throw new AuthError(`client selected ${SCRAM_SHA_256} (without -PLUS) but asked for channel binding`);
      if (flag.slice(2) !== CHANNEL_BINDING_TYPE) throw new AuthError(`unsupported SCRAM channel binding type ${shown(flag.slice(2))}`);
      this.cbindFlag = 'p';
    } else {
      throw malformed(what, 'unexpected channel-binding flag');
    }
    if (authzid !== '') {
      if (authzid.startsWith('a=')) throw new AuthError('SCRAM authorization identity (a=) is not supported');
      throw malformed(what, 'unexpected GS2 authorization field');
    }

    // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    const bare = text.slice(comma2 + 1);
    const parts = bare.split(',');
    if (parts[0]?.startsWith('m=')) throw new AuthError('client requires an unsupported SCRAM extension (m=)');
    attribute(parts[0], 'n', what); // ignored, as PostgreSQL does: the user comes from the startup packet
    const clientNonce = nonceValue(parts[1], what);
    checkExtensions(parts.slice(2), what);

    this.gs2Header = text.slice(0, comma2 + 1);
    this.clientFirstBare = bare;
    this.nonce = clientNonce + this.serverNonce;
    this.serverFirstMessage = `r=${this.nonce},s=${this.salt.toString('base64')},i=${this.iterations}`;
    this.state = 'sent-first';
    return Buffer.from(this.serverFirstMessage, 'utf8');
  }

  /** Reads client-final-message; on success returns server-final-message (send it in AuthenticationSASLFinal). */
  clientFinal(message: Buffer): ScramServerResult {
    const what = 'client-final-message';
    if (this.state !== 'sent-first') throw new AuthError(`SCRAM ${what} out of order`);
    this.state = 'done';
    const text = messageText(message, what);

    // client-final-message = channel-binding "," nonce ["," extensions] "," proof
    const parts = text.split(',');
    if (parts.length < 3) throw malformed(what, 'too few attributes');
    const cbind = base64Value(parts[0], 'c', what, 'channel binding');
    const nonce = nonceValue(parts[1], what);
    const proof = base64Value(parts[parts.length - 1], 'p', what, 'proof');
    if (proof.length !== KEY_BYTES) throw malformed(what, 'proof has the wrong length');
    checkExtensions(parts.slice(2, -1), what);
    const withoutProof = parts.slice(0, -1).join(',');

    // c= must carry exactly the GS2 header the client sent first, plus the
    // binding data when it chose -PLUS.
    const expectedCbind = Buffer.concat([
      Buffer.from(this.gs2Header, 'utf8'),
      this.cbindFlag === 'p' && this.channelBinding ? this.channelBinding : Buffer.alloc(0),
    ]);
    const cbindOk = sameBytes(cbind, expectedCbind);
    const nonceOk = nonce === this.nonce;

    // The proof is checked in every case, mock exchanges included, so that all
    // failures cost the same.
    const authMessage = `${this.clientFirstBare},${this.serverFirstMessage},${withoutProof}`;
    const clientKey = xor(proof, hmac(this.storedKey, authMessage));
    const proofOk = sameBytes(sha256(clientKey), this.storedKey);

    if (!cbindOk) return { ok: false, reason: 'channel binding mismatch' };
    if (!nonceOk) return { ok: false, reason: 'nonce mismatch' };
    if (this.doomed !== null) return { ok: false, reason: this.doomed };
    if (!proofOk) return { ok: false, reason: 'wrong password' };
    const serverSignature = hmac(this.serverKey, authMessage);
    return { ok: true, serverFinal: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8') };
  }
}

// ---------------------------------------------------------------------------
// Client side: the gateway logging in to a target
// ---------------------------------------------------------------------------

export interface ScramClientOptions {
  password: string;
  /** tls-server-end-point hash of the target's certificate (tlsServerEndPoint), when on TLS. */
  channelBinding?: Buffer;
  /** Name sent in client-first-message; default "" as libpq sends (PostgreSQL ignores it). */
  user?: string;
  /** Highest iteration count accepted from the server; default 10,000,000. */
  maxIterations?: number;
  /** For tests: the client nonce (printable, no ","). */
  nonce?: string;
}

type ClientState = 'start' | 'chosen' | 'sent-first' | 'sent-final' | 'done';

/**
 * One client-side exchange: mechanism(), clientFirst(), serverFirst() (or
 * serverFirstAsync()), serverFinal(). The target is authenticated only once
 * serverFinal() has returned (`completed`); an AuthenticationOk before that
 * must be refused, or a server that skips the exchange goes unnoticed.
 */
export class ScramClient {
  private state: ClientState = 'start';
  private readonly password: Buffer;
  private readonly channelBinding: Buffer | undefined;
  private readonly user: string;
  private readonly maxIterations: number;
  private readonly clientNonce: string;
  private chosen = '';
  private gs2Header = '';
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | null = null;
  private verified = false;

  constructor(opts: ScramClientOptions) {
    this.password = passwordBytes(opts.password);
    if (opts.channelBinding !== undefined && (!Buffer.isBuffer(opts.channelBinding) || opts.channelBinding.length === 0)) {
      throw new AuthError('SCRAM channel binding data must be a non-empty Buffer');
    }
    this.channelBinding = opts.channelBinding;
    this.user = opts.user ?? '';
    if (typeof this.user !== 'string') throw new AuthError('SCRAM user name must be a string');
    this.maxIterations = opts.maxIterations ?? SCRAM_MAX_CLIENT_ITERATIONS;
    if (!Number.isSafeInteger(this.maxIterations) || this.maxIterations < 1) {
      throw new AuthError('SCRAM maxIterations must be a positive integer');
    }
    this.clientNonce = checkNonceOption(opts.nonce);
  }

  /** True once the server's signature has been verified. */
  get completed(): boolean {
    return this.verified;
  }

  /**
   * Picks a mechanism from the server's AuthenticationSASL list: -PLUS when we
   * have binding data and it is offered, else SCRAM-SHA-256 (GS2 flag "y" when
   * we have binding data the server did not ask for, "n" when we have none).
   */
  mechanism(offered: readonly string[]): string {
    if (this.state !== 'start') throw new AuthError('SCRAM mechanism already chosen');
    this.state = 'done';
    if (!Array.isArray(offered)) throw new AuthError('SCRAM offered mechanisms must be a list');
    if (this.channelBinding && offered.includes(SCRAM_SHA_256_PLUS)) {
      this.chosen = SCRAM_SHA_256_PLUS;
      this.gs2Header = `p=${CHANNEL_BINDING_TYPE},,`;
    } else if (offered.includes(SCRAM_SHA_256)) {
      this.chosen = SCRAM_SHA_256;
      this.gs2Header = this.channelBinding ? 'y,,' : 'n,,';
    } else {
      const plusOnly = offered.includes(SCRAM_SHA_256_PLUS);
      throw new AuthError(
        plusOnly
          ? `server offers only ${SCRAM_SHA_256_PLUS}, and there is no TLS channel binding data`
          : `server offers no SASL mechanism we support (${offered.map((m) => shown(String(m))).join(', ') || 'none'})`,
      );
    }
    this.state = 'chosen';
    return this.chosen;
  }

  /** client-first-message, the data of SASLInitialResponse. */
  clientFirst(): Buffer {
    if (this.state !== 'chosen') throw new AuthError('SCRAM client-first-message out of order (choose the mechanism first)');
    this.clientFirstBare = `n=${escapeSaslName(this.user)},r=${this.clientNonce}`;
    this.state = 'sent-first';
    return Buffer.from(this.gs2Header + this.clientFirstBare, 'utf8');
  }

  /** Reads server-first-message; returns client-final-message. PBKDF2 runs on this thread. */
  serverFirst(message: Buffer): Buffer {
    const first = this.readServerFirst(message);
    return this.finish(first, pbkdf2Sync(this.password, first.salt, first.iterations, KEY_BYTES, 'sha256'));
  }

  /** As serverFirst, with PBKDF2 on libuv's thread pool rather than the event loop. */
  async serverFirstAsync(message: Buffer): Promise<Buffer> {
    const first = this.readServerFirst(message);
    const salted = await new Promise<Buffer>((resolve, reject) => {
      pbkdf2(this.password, first.salt, first.iterations, KEY_BYTES, 'sha256', (err, key) => {
        if (err) reject(new AuthError('SCRAM key derivation failed', { cause: err }));
        else resolve(key);
      });
    });
    return this.finish(first, salted);
  }

  /** Reads server-final-message; throws if the server sent e=... or its signature is wrong. */
  serverFinal(message: Buffer): void {
    const what = 'server-final-message';
    if (this.state !== 'sent-final' || !this.expectedServerSignature) throw new AuthError(`SCRAM ${what} out of order`);
    this.state = 'done';
    const expected = this.expectedServerSignature;
    const text = messageText(message, what);
    const parts = text.split(',');
    if (parts[0]?.startsWith('e=')) throw new AuthError(`server rejected SCRAM authentication: ${shown(parts[0].slice(2))}`);
    const signature = base64Value(parts[0], 'v', what, 'server signature');
    checkExtensions(parts.slice(1), what);
    if (!sameBytes(signature, expected)) {
      throw new AuthError('SCRAM server signature is wrong: the server does not hold this password, or the exchange was tampered with');
    }
    this.verified = true;
  }

  private readServerFirst(message: Buffer): { text: string; nonce: string; salt: Buffer; iterations: number } {
    const what = 'server-first-message';
    if (this.state !== 'sent-first') throw new AuthError(`SCRAM ${what} out of order`);
    this.state = 'done';
    const text = messageText(message, what);

    // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
    const parts = text.split(',');
    if (parts[0]?.startsWith('m=')) throw new AuthError('server requires an unsupported SCRAM extension (m=)');
    if (parts[0]?.startsWith('e=')) throw new AuthError(`server rejected SCRAM authentication: ${shown(parts[0].slice(2))}`);
    const nonce = nonceValue(parts[0], what);
    if (nonce.length <= this.clientNonce.length || !nonce.startsWith(this.clientNonce)) {
      throw new AuthError('SCRAM nonce mismatch: the server nonce does not extend ours');
    }
    const salt = base64Value(parts[1], 's', what, 'salt');
    if (salt.length === 0) throw malformed(what, 'empty salt');
    const iterationText = attribute(parts[2], 'i', what);
    if (!/^[0-9]{1,10}$/.test(iterationText)) throw malformed(what, 'iteration count is not a number');
    const iterations = Number(iterationText);
    if (iterations < 1 || iterations > this.maxIterations) {
      throw new AuthError(`SCRAM iteration count ${iterations} is outside 1..${this.maxIterations}`);
    }
    checkExtensions(parts.slice(3), what);
    return { text, nonce, salt, iterations };
  }

  private finish(first: { text: string; nonce: string }, saltedPassword: Buffer): Buffer {
    const keys = keysFrom(saltedPassword);
    const cbindInput = Buffer.concat([
      Buffer.from(this.gs2Header, 'utf8'),
      this.chosen === SCRAM_SHA_256_PLUS && this.channelBinding ? this.channelBinding : Buffer.alloc(0),
    ]);
    const withoutProof = `c=${cbindInput.toString('base64')},r=${first.nonce}`;
    const authMessage = `${this.clientFirstBare},${first.text},${withoutProof}`;
    const proof = xor(keys.clientKey, hmac(keys.storedKey, authMessage));
    this.expectedServerSignature = hmac(keys.serverKey, authMessage);
    this.state = 'sent-final';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }
}

// ---------------------------------------------------------------------------
// tls-server-end-point (RFC 5929 §4)
// ---------------------------------------------------------------------------

/*
 * RFC 5929 §4.1: hash the certificate (DER) with the hash function of its
 * signatureAlgorithm, except that MD5 and SHA-1 become SHA-256. For algorithms
 * with no single hash (Ed25519, Ed448) or none we recognise, RFC 5929 leaves
 * the value undefined; PostgreSQL (be_tls_get_certificate_hash, and libpq's
 * peer-side twin) refuses channel binding then, and so does this: it throws.
 */
const SIGNATURE_HASHES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.4', 'sha256'], // md5WithRSAEncryption (MD5 -> SHA-256)
  ['1.2.840.113549.1.1.5', 'sha256'], // sha1WithRSAEncryption (SHA-1 -> SHA-256)
  ['1.2.840.113549.1.1.14', 'sha224'], // sha224WithRSAEncryption
  ['1.2.840.113549.1.1.11', 'sha256'], // sha256WithRSAEncryption
  ['1.2.840.113549.1.1.12', 'sha384'], // sha384WithRSAEncryption
  ['1.2.840.113549.1.1.13', 'sha512'], // sha512WithRSAEncryption
  ['1.2.840.10045.4.1', 'sha256'], // ecdsa-with-SHA1 (SHA-1 -> SHA-256)
  ['1.2.840.10045.4.3.1', 'sha224'], // ecdsa-with-SHA224
  ['1.2.840.10045.4.3.2', 'sha256'], // ecdsa-with-SHA256
  ['1.2.840.10045.4.3.3', 'sha384'], // ecdsa-with-SHA384
  ['1.2.840.10045.4.3.4', 'sha512'], // ecdsa-with-SHA512
  ['1.2.840.10040.4.3', 'sha256'], // dsa-with-sha1 (SHA-1 -> SHA-256)
  ['2.16.840.1.101.3.4.3.1', 'sha224'], // dsa-with-sha224
  ['2.16.840.1.101.3.4.3.2', 'sha256'], // dsa-with-sha256
  ['2.16.840.1.101.3.4.3.9', 'sha3-224'], // id-ecdsa-with-sha3-224
  ['2.16.840.1.101.3.4.3.10', 'sha3-256'], // id-ecdsa-with-sha3-256
  ['2.16.840.1.101.3.4.3.11', 'sha3-384'], // id-ecdsa-with-sha3-384
  ['2.16.840.1.101.3.4.3.12', 'sha3-512'], // id-ecdsa-with-sha3-512
  ['2.16.840.1.101.3.4.3.13', 'sha3-224'], // id-rsassa-pkcs1-v1_5-with-sha3-224
  ['2.16.840.1.101.3.4.3.14', 'sha3-256'], // id-rsassa-pkcs1-v1_5-with-sha3-256
  ['2.16.840.1.101.3.4.3.15', 'sha3-384'], // id-rsassa-pkcs1-v1_5-with-sha3-384
  ['2.16.840.1.101.3.4.3.16', 'sha3-512'], // id-rsassa-pkcs1-v1_5-with-sha3-512
]);

/** Hash algorithm identifiers, for RSASSA-PSS parameters (RFC 4055 §3.1). */
const HASH_OIDS: ReadonlyMap<string, string> = new Map([
  ['1.3.14.3.2.26', 'sha256'], // id-sha1 (SHA-1 -> SHA-256)
  ['2.16.840.1.101.3.4.2.4', 'sha224'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
  ['2.16.840.1.101.3.4.2.7', 'sha3-224'],
  ['2.16.840.1.101.3.4.2.8', 'sha3-256'],
  ['2.16.840.1.101.3.4.2.9', 'sha3-384'],
  ['2.16.840.1.101.3.4.2.10', 'sha3-512'],
]);

const RSASSA_PSS = '1.2.840.113549.1.1.10';
const NO_HASH_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1.3.101.112', 'Ed25519'],
  ['1.3.101.113', 'Ed448'],
]);

interface Tlv {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
}

/** One DER TLV at `offset` (single-byte tags, definite lengths), within `limit`. */
function readTlv(der: Buffer, offset: number, limit: number): Tlv {
  const bad = (): AuthError => new AuthError('certificate is not valid DER');
  if (offset + 2 > limit) throw bad();
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) throw bad();
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw bad();
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  if (start + length > limit) throw bad();
  return { tag, start, end: start + length };
}

function expectTlv(der: Buffer, offset: number, limit: number, tag: number): Tlv {
  const tlv = readTlv(der, offset, limit);
  if (tlv.tag !== tag) throw new AuthError('certificate is not valid DER: unexpected structure');
  return tlv;
}

/** Dotted form of an OBJECT IDENTIFIER's content bytes. */
function oidText(bytes: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new AuthError('certificate is not valid DER: oversized OID arc');
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  if (bytes.length === 0 || bytes[bytes.length - 1]! & 0x80) throw new AuthError('certificate is not valid DER: bad OID');
  const first = arcs.shift()!;
  const [a, b] = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [a, b, ...arcs].join('.');
}

/** Reads AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } at `tlv`. */
function algorithmIdentifier(der: Buffer, tlv: Tlv): { oid: string; params: Tlv | null } {
  const oid = expectTlv(der, tlv.start, tlv.end, 0x06);
  const params = oid.end < tlv.end ? readTlv(der, oid.end, tlv.end) : null;
  return { oid: oidText(der.subarray(oid.start, oid.end)), params };
}

/** The hash RSASSA-PSS-params names: hashAlgorithm [0] HashAlgorithm DEFAULT sha1. */
function pssHash(der: Buffer, params: Tlv | null): string | undefined {
  if (!params || params.tag !== 0x30) return undefined;
  if (params.start === params.end) return HASH_OIDS.get('1.3.14.3.2.26');
  const first = readTlv(der, params.start, params.end);
  if (first.tag !== 0xa0) return HASH_OIDS.get('1.3.14.3.2.26');
  const hashAlg = expectTlv(der, first.start, first.end, 0x30);
  return HASH_OIDS.get(algorithmIdentifier(der, hashAlg).oid);
}

/**
 * tls-server-end-point channel binding data (RFC 5929 §4.1) for a certificate
 * in DER: its hash under the hash of its signatureAlgorithm (MD5 and SHA-1
 * upgraded to SHA-256). Throws AuthError for malformed DER and for signature
 * algorithms with no usable hash (Ed25519, Ed448, unknown): the caller must
 * then not offer or use -PLUS, which is what PostgreSQL does too.
 */
export function tlsServerEndPoint(certDer: Buffer): Buffer {
  if (!(certDer instanceof Uint8Array)) throw new AuthError('certificate must be DER bytes');
  const der = Buffer.from(certDer.buffer, certDer.byteOffset, certDer.byteLength);
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
  const cert = expectTlv(der, 0, der.length, 0x30);
  if (cert.end !== der.length) throw new AuthError('certificate is not valid DER: trailing bytes');
  const tbs = expectTlv(der, cert.start, cert.end, 0x30);
  const sigAlg = expectTlv(der, tbs.end, cert.end, 0x30);
  const { oid, params } = algorithmIdentifier(der, sigAlg);
  const hash = oid === RSASSA_PSS ? pssHash(der, params) : SIGNATURE_HASHES.get(oid);
  if (!hash) {
    const name = NO_HASH_ALGORITHMS.get(oid);
    throw new AuthError(
      name
        ? `no tls-server-end-point channel binding for a certificate signed with ${name} (its signature has no hash to reuse)`
        : `no tls-server-end-point channel binding for certificate signature algorithm ${oid}`,
    );
  }
  return createHash(hash).update(der).digest();
}
