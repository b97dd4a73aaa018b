/**
 * The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802 §5,
 * RFC 7677), as libpq runs it: the gateway logging in to a PostgreSQL target
 * with injected credentials. Channel binding is tls-server-end-point
 * (RFC 5929) only.
 */
import { pbkdf2, pbkdf2Sync } from 'node:crypto';

import { AuthError } from './auth-error.js';
import {
  attribute,
  base64Value,
  CHANNEL_BINDING_TYPE,
  checkExtensions,
  checkNonceOption,
  escapeSaslName,
  malformed,
  messageText,
  nonceValue,
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  shown,
} from './scram-messages.js';
import { hmac, KEY_BYTES, keysFrom, passwordBytes, sameBytes, xor } from './scram-verifier.js';

/** Highest iteration count a ScramClient accepts from a server by default. */
export const SCRAM_MAX_CLIENT_ITERATIONS = 10_000_000;

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
