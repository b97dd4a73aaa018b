/**
 * The server side of CredSSP (MS-CSSP 3.1.5) with raw NTLM, the gateway
 * facing the person. A pure state machine: TSRequest bytes in, replies out.
 *
 *   client                                   server
 *   TSRequest{negoTokens:[NEGOTIATE]}   →
 *                                       ←    TSRequest{negoTokens:[CHALLENGE]}
 *   TSRequest{negoTokens:[AUTHENTICATE],
 *             pubKeyAuth, clientNonce}  →    check NTLMv2, check binding
 *                                       ←    TSRequest{pubKeyAuth}
 *   TSRequest{authInfo: TSCredentials}  →    the typed user, domain, password
 */
import { randomBytes } from 'node:crypto';
import { NlaError, Status, statusName } from './credssp-error.js';
import { clientBinding, OUR_VERSION, serverBinding } from './credssp-binding.js';
import { decodeTsCredentials, decodeTsRequest, encodeTsRequest, type PasswordCreds, type TsRequest } from './credssp-messages.js';
import type { NtlmSecurity } from './ntlm-client.js';
import { NtlmServer, type NtHashLookup, type NtlmIdentity } from './ntlm-server.js';
import { SIGNATURE } from './ntlm-messages.js';

export interface CredsspServerOptions {
  /** SubjectPublicKey of the certificate this side presents in TLS. */
  publicKey: Buffer;
  ntHashLookup: NtHashLookup;
  computerName?: string;
  random?: (n: number) => Buffer;
}

export interface NlaResult {
  /** Who NTLM authenticated. */
  identity: NtlmIdentity;
  /** What the person typed, delegated in TSCredentials. */
  credentials: PasswordCreds;
  version: number;
}

export type ServerStep = { reply: Buffer; done?: undefined } | { reply?: undefined; done: NlaResult };

/** The first token of an SPNEGO (GSS-API InitialContextToken, RFC 4178) or Kerberos negotiation. */
const isSpnego = (token: Buffer): boolean => token[0] === 0x60 || token[0] === 0xa1;

export class CredsspServer {
  private readonly ntlm: NtlmServer;
  private state: 'negotiate' | 'authenticate' | 'credentials' | 'done' = 'negotiate';
  private version = OUR_VERSION;
  private security: NtlmSecurity | null = null;
  private identity: NtlmIdentity | null = null;

  constructor(private readonly options: CredsspServerOptions) {
    this.ntlm = new NtlmServer({ lookup: options.ntHashLookup, computerName: options.computerName ?? 'RECGATE', random: options.random ?? randomBytes });
  }

  /** An error TSRequest (version 3+) that makes the client show the status. */
  private refuse(message: string, status: number, cause?: unknown): NlaError {
    const reply = this.version >= 3 ? encodeTsRequest({ version: this.version, errorCode: status }) : undefined;
    return new NlaError(message, status, { ...(reply ? { reply } : {}), cause });
  }

  private token(m: TsRequest, what: string): Buffer {
    const t = m.negoTokens?.[0];
    if (!t) throw this.refuse(`the client sent no ${what} token`, Status.INVALID_PARAMETER);
    if (isSpnego(t)) throw this.refuse('the client negotiates SPNEGO or Kerberos; this gateway accepts raw NTLM only', Status.NOT_SUPPORTED);
    if (!t.subarray(0, 8).equals(SIGNATURE)) throw this.refuse(`the ${what} token is not NTLM`, Status.NOT_SUPPORTED);
    return t;
  }

  async receive(bytes: Buffer): Promise<ServerStep> {
    const m = decodeTsRequest(bytes);
    if (m.errorCode !== undefined) throw new NlaError(`the client gave up: ${statusName(m.errorCode)}`, m.errorCode);
    switch (this.state) {
      case 'negotiate': {
        this.version = Math.max(2, Math.min(OUR_VERSION, m.version));
        const challenge = this.ntlm.challenge(this.token(m, 'NEGOTIATE'));
        this.state = 'authenticate';
        return { reply: encodeTsRequest({ version: this.version, negoTokens: [challenge] }) };
      }
      case 'authenticate': {
        const token = this.token(m, 'AUTHENTICATE');
        let result;
        try {
          result = await this.ntlm.authenticate(token);
        } catch (err) {
          if (err instanceof NlaError) throw this.refuse(err.message, err.status);
          throw err;
        }
        this.security = result.security;
        this.identity = result.identity;
        const nonce = this.version >= 5 ? m.clientNonce : undefined;
        if (this.version >= 5 && !nonce) throw this.refuse('the client sent no clientNonce', Status.INVALID_PARAMETER);
        const proof = this.open(m.pubKeyAuth, 'pubKeyAuth');
        if (!proof.equals(clientBinding(this.version, this.options.publicKey, nonce))) {
          throw this.refuse('the client bound CredSSP to another TLS key: a machine in the middle, or a proxy re-encrypting TLS', Status.ACCESS_DENIED);
        }
        this.state = 'credentials';
        return { reply: encodeTsRequest({ version: this.version, pubKeyAuth: this.seal(serverBinding(this.version, this.options.publicKey, nonce)) }) };
      }
      case 'credentials': {
        const credentials = decodeTsCredentials(this.open(m.authInfo, 'authInfo'));
        this.state = 'done';
        return { done: { identity: this.identity!, credentials, version: this.version } };
      }
      default:
        throw new NlaError('CredSSP message after the exchange ended', Status.INVALID_PARAMETER);
    }
  }

  private seal(data: Buffer): Buffer {
    return Buffer.concat(this.security!.outbound.seal(data));
  }

  private open(field: Buffer | undefined, what: string): Buffer {
    if (!field || field.length < 16) throw this.refuse(`the client sent no ${what}`, Status.INVALID_PARAMETER);
    const data = this.security!.inbound.unseal(field.subarray(0, 16), field.subarray(16));
    if (!data) throw this.refuse(`the ${what} seal does not verify`, Status.ACCESS_DENIED);
    return data;
  }
}
