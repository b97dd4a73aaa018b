/**
 * The client side of CredSSP (MS-CSSP 3.1.5) with raw NTLM, the gateway
 * logging in to a target with the target's configured credentials. A pure
 * state machine: `start()` gives the first TSRequest, `receive()` the next.
 */
import { randomBytes } from 'node:crypto';
import { NlaError, Status, statusName } from './credssp-error.js';
import { clientBinding, OUR_VERSION, serverBinding } from './credssp-binding.js';
import { decodeTsRequest, encodeTsCredentials, encodeTsRequest } from './credssp-messages.js';
import { NtlmClient, type NtlmCredentials, type NtlmSecurity } from './ntlm-client.js';

export interface CredsspClientOptions extends NtlmCredentials {
  /** SubjectPublicKey of the certificate the target presented in TLS. */
  publicKey: Buffer;
  version?: number;
  random?: (n: number) => Buffer;
}

export type ClientStep = { reply: Buffer; done: boolean };

export class CredsspClient {
  private readonly ntlm: NtlmClient;
  private readonly version: number;
  private readonly random: (n: number) => Buffer;
  private state: 'challenge' | 'pubkey' | 'done' = 'challenge';
  private peerVersion = 2;
  private nonce: Buffer | undefined;
  private security: NtlmSecurity | null = null;

  constructor(private readonly options: CredsspClientOptions) {
    this.random = options.random ?? randomBytes;
    this.version = options.version ?? OUR_VERSION;
    this.ntlm = new NtlmClient(options, this.random);
  }

  /** True once the AUTHENTICATE message went out: a close now means the target refused it. */
  get authenticated(): boolean {
    return this.state !== 'challenge';
  }

  start(): Buffer {
    return encodeTsRequest({ version: this.version, negoTokens: [this.ntlm.negotiate()] });
  }

  receive(bytes: Buffer): ClientStep {
    const m = decodeTsRequest(bytes);
    if (m.errorCode !== undefined) {
      const status = m.errorCode;
      const why = status === Status.LOGON_FAILURE ? 'the target refused the user name or password' : 'the target refused the sign-in';
      throw new NlaError(`${why} (${statusName(status)})`, status);
    }
    switch (this.state) {
      case 'challenge': {
        const token = m.negoTokens?.[0];
        if (!token) throw new NlaError('the target sent no NTLM CHALLENGE', Status.INVALID_PARAMETER);
        this.peerVersion = Math.min(this.version, m.version);
        const { message, security } = this.ntlm.authenticate(token);
        this.security = security;
        this.nonce = this.peerVersion >= 5 ? this.random(32) : undefined;
        const proof = clientBinding(this.peerVersion, this.options.publicKey, this.nonce);
        this.state = 'pubkey';
        return {
          reply: encodeTsRequest({ version: this.version, negoTokens: [message], pubKeyAuth: Buffer.concat(security.outbound.seal(proof)), ...(this.nonce ? { clientNonce: this.nonce } : {}) }),
          done: false,
        };
      }
      case 'pubkey': {
        const field = m.pubKeyAuth;
        const echo = field && field.length >= 16 ? this.security!.inbound.unseal(field.subarray(0, 16), field.subarray(16)) : null;
        if (!echo) throw new NlaError('the target sent no valid pubKeyAuth', Status.ACCESS_DENIED);
        if (!echo.equals(serverBinding(this.peerVersion, this.options.publicKey, this.nonce))) {
          throw new NlaError('the target bound CredSSP to another TLS key: a machine in the middle', Status.ACCESS_DENIED);
        }
        const creds = encodeTsCredentials({ domain: this.options.domain, user: this.options.user, password: this.options.password });
        this.state = 'done';
        return { reply: encodeTsRequest({ version: this.version, authInfo: Buffer.concat(this.security!.outbound.seal(creds)) }), done: true };
      }
      default:
        throw new NlaError('CredSSP message after the exchange ended', Status.INVALID_PARAMETER);
    }
  }
}
