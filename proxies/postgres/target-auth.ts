/**
 * The gateway's answers to a PostgreSQL target's Authentication requests,
 * with the injected password: SCRAM-SHA-256 (-PLUS bound to the target's
 * certificate when on TLS), md5 and cleartext. No I/O: each request in,
 * the message to send out.
 *
 * Invariants:
 * - a method the target's `auth` does not allow is refused before anything
 *   is sent; md5 and cleartext are answered only when the TLS the login runs
 *   on is verified (verify-full or a tlsPin), so a server that merely answers
 *   on the target's address never gets the password or its md5 hash;
 * - SCRAM is finished only when the server's signature verifies: an
 *   AuthenticationOk before that is refused (a target cannot skip proving it
 *   knows the password).
 */
import type { TargetConfig } from '../../src/config/index.js';
import { targetOptions } from '../../src/config/index.js';
import { md5PasswordResponse } from '../../src/auth/md5-password.js';
import { ScramClient } from '../../src/auth/scram.js';
import { methodRefused, type AuthPolicy } from '../wire/auth-methods.js';
import type { Authentication } from './protocol/backend.js';
import { encodePasswordMessage, encodeSASLInitialResponse, encodeSASLResponse } from './protocol/frontend.js';
import { POSTGRES_AUTH, type PostgresTargetOptions } from './spec.js';
import { TargetError } from './target-error.js';

/** The require_auth name of the method an Authentication request asks for. */
const METHOD: Partial<Record<Authentication['kind'], string>> = {
  'cleartext-password': 'password',
  'md5-password': 'md5',
  sasl: 'scram-sha-256',
};

export interface TargetAuthOptions {
  /** Whether the login runs over TLS. */
  tls: boolean;
  /** tls-server-end-point data of the target's certificate, when it can be bound. */
  channelBinding?: Buffer;
}

export class TargetAuthenticator {
  private scram: ScramClient | undefined;
  private done = false;
  private readonly policy: AuthPolicy;

  constructor(
    private readonly target: TargetConfig,
    private readonly transport: TargetAuthOptions,
  ) {
    const options = targetOptions<PostgresTargetOptions>(target);
    // A verified policy counts only on the TLS it was verified on.
    this.policy = { auth: options.auth, verified: options.verified && transport.tls };
  }

  /** True once the target accepted the login (and proved it knows the password, with SCRAM). */
  get authenticated(): boolean {
    return this.done;
  }

  /** The message answering `auth`, or null when none is due. Throws TargetError. */
  async answer(auth: Authentication): Promise<Buffer | null> {
    const name = this.target.name;
    this.allow(auth);
    switch (auth.kind) {
      case 'ok':
        if (this.scram && !this.scram.completed) throw new TargetError('08001', `recgate: ${name} skipped proving it knows the password (SCRAM unfinished); refused`);
        this.done = true;
        return null;
      case 'cleartext-password':
        return encodePasswordMessage(this.password());
      case 'md5-password':
        return encodePasswordMessage(md5PasswordResponse(this.target.login.user ?? '', this.password(), auth.salt));
      case 'sasl': {
        const binding = this.transport.channelBinding;
        this.scram = new ScramClient({ password: this.password(), ...(binding ? { channelBinding: binding } : {}) });
        const mechanism = this.scram.mechanism(auth.mechanisms);
        return encodeSASLInitialResponse(mechanism, this.scram.clientFirst());
      }
      case 'sasl-continue':
        if (!this.scram) throw new TargetError('08001', `recgate: ${name} sent SASLContinue out of order`);
        return encodeSASLResponse(await this.scram.serverFirstAsync(auth.data));
      case 'sasl-final':
        if (!this.scram) throw new TargetError('08001', `recgate: ${name} sent SASLFinal out of order`);
        this.scram.serverFinal(auth.data);
        return null;
      default:
        throw new TargetError('08001', `recgate: ${name} asks for ${auth.kind} authentication, which the gateway does not support`);
    }
  }

  /** Refuses a method the policy does not allow, before anything is sent. */
  private allow(auth: Authentication): void {
    const method = METHOD[auth.kind];
    if (method === undefined) return;
    const exposing = POSTGRES_AUTH.exposing.includes(method);
    if (this.policy.auth.includes(method) && (!exposing || this.policy.verified)) return;
    throw new TargetError('28000', methodRefused(this.target.name, method, POSTGRES_AUTH, this.policy));
  }

  private password(): string {
    const password = this.target.login.password?.reveal() ?? null;
    if (password === null) throw new TargetError('28000', `recgate: ${this.target.name} asks for a password and the gateway's config has none for it`);
    return password;
  }
}
