/**
 * The server side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802 §5,
 * RFC 7677), as PostgreSQL runs it: the gateway authenticating a person.
 * Channel binding is tls-server-end-point (RFC 5929) only.
 *
 * An unknown user, or an unusable verifier, gets PostgreSQL's mock exchange:
 * it looks like a real one to the end and then fails.
 */
import { createHmac, randomBytes } from 'node:crypto';

import { AuthError } from './auth-error.js';
import {
  attribute,
  base64Value,
  CHANNEL_BINDING_TYPE,
  checkExtensions,
  checkNonceOption,
  malformed,
  messageText,
  nonceValue,
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  shown,
} from './scram-messages.js';
import {
  hmac,
  KEY_BYTES,
  MAX_VERIFIER_ITERATIONS,
  parseScramVerifier,
  sameBytes,
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_DEFAULT_SALT_BYTES,
  sha256,
  xor,
} from './scram-verifier.js';

const MOCK_SALT_DOMAIN = 'recgate scram mock salt\0';

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
