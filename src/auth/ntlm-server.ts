/**
 * The server side of NTLMv2 (MS-NLMP 3.2.5): the gateway checks a person's
 * NTLMv2 response against the NT hash it holds for them. The NT hash is all
 * the server needs, and all an attacker would need: it is password-equivalent.
 */
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { NlaError, Status } from './credssp-error.js';
import { fileTime, type NtlmSecurity } from './ntlm-client.js';
import { decryptSessionKey, mic, ntowfv2, SealingDirection, verifyV2 } from './ntlm-crypto.js';
import { Av, AV_FLAG_MIC, decodeAuthenticate, decodeAvPairs, decodeNegotiate, encodeAvPairs, encodeChallenge, Flag } from './ntlm-messages.js';

/** The NT hash (16 bytes) of a user, or null when the user has none or does not exist. */
export type NtHashLookup = (user: string, domain: string) => Buffer | null | Promise<Buffer | null>;

export interface NtlmServerOptions {
  lookup: NtHashLookup;
  /** NetBIOS name of the computer and its domain in the target information. */
  computerName?: string;
  domainName?: string;
  random?: (n: number) => Buffer;
  now?: () => number;
}

const NEGOTIABLE =
  Flag.UNICODE | Flag.SIGN | Flag.SEAL | Flag.NTLM | Flag.ALWAYS_SIGN | Flag.EXTENDED_SESSIONSECURITY | Flag.VERSION | Flag.N128 | Flag.KEY_EXCH | Flag.N56;

// The hash the NTProofStr of an unknown user is checked against, so that a name
// that does not exist costs the same work as a wrong password.
const DECOY_HASH = randomBytes(16);

export interface NtlmIdentity {
  user: string;
  domain: string;
  workstation: string;
}

export class NtlmServer {
  private negotiateMessage: Buffer | null = null;
  private challengeMessage: Buffer | null = null;
  private serverChallenge: Buffer | null = null;

  constructor(private readonly options: NtlmServerOptions) {}

  /** Answers the client's NEGOTIATE with a CHALLENGE. */
  challenge(negotiateMessage: Buffer): Buffer {
    const { flags } = decodeNegotiate(negotiateMessage);
    const fail = (m: string): never => {
      throw new ProtocolError(['ntlm'], m);
    };
    if (!(flags & Flag.UNICODE)) fail('the client does not speak Unicode');
    if (!(flags & Flag.EXTENDED_SESSIONSECURITY)) fail('the client offers no extended session security (NTLMv1 only)');
    const random = this.options.random ?? randomBytes;
    const computer = this.options.computerName ?? 'RECGATE';
    const domain = this.options.domainName ?? computer;
    const u = (s: string): Buffer => Buffer.from(s, 'utf16le');
    this.negotiateMessage = negotiateMessage;
    this.serverChallenge = random(8);
    this.challengeMessage = encodeChallenge({
      flags: ((flags & NEGOTIABLE) | Flag.REQUEST_TARGET | Flag.TARGET_TYPE_SERVER | Flag.TARGET_INFO | Flag.VERSION) >>> 0,
      serverChallenge: this.serverChallenge,
      targetName: u(domain),
      targetInfo: encodeAvPairs([
        { id: Av.NbDomainName, value: u(domain) },
        { id: Av.NbComputerName, value: u(computer) },
        { id: Av.DnsDomainName, value: u(domain.toLowerCase()) },
        { id: Av.DnsComputerName, value: u(computer.toLowerCase()) },
        { id: Av.Timestamp, value: fileTime((this.options.now ?? Date.now)()) },
      ]),
    });
    return this.challengeMessage;
  }

  /**
   * Checks the AUTHENTICATE message: the NTLMv2 proof against the user's NT
   * hash, then the MIC when the client says it sent one. Throws NlaError
   * (STATUS_LOGON_FAILURE) when either is wrong or the user has no NT hash.
   */
  async authenticate(message: Buffer): Promise<{ identity: NtlmIdentity; security: NtlmSecurity }> {
    if (!this.challengeMessage || !this.serverChallenge || !this.negotiateMessage) throw new Error('challenge() first');
    const m = decodeAuthenticate(message);
    const identity = { user: m.user, domain: m.domain, workstation: m.workstation };
    if (m.ntResponse.length <= 24) {
      throw new NlaError(`user ${JSON.stringify(m.user)} sent an NTLMv1 or anonymous response; only NTLMv2 is accepted`, Status.LOGON_FAILURE);
    }
    const hash = await this.options.lookup(m.user, m.domain);
    const baseKey = verifyV2(ntowfv2(hash ?? DECOY_HASH, m.user, m.domain), this.serverChallenge, m.ntResponse);
    if (!hash || !baseKey) {
      const why = hash ? 'wrong password' : 'unknown user or no rdpNtHash configured';
      throw new NlaError(`NTLM sign-in of ${JSON.stringify(m.user)} refused: ${why}`, Status.LOGON_FAILURE);
    }
    const keyExchange = (m.flags & Flag.KEY_EXCH) !== 0;
    if (keyExchange && m.encryptedSessionKey.length !== 16) throw new NlaError('the client sent no session key', Status.LOGON_FAILURE);
    const exported = keyExchange ? decryptSessionKey(baseKey, m.encryptedSessionKey) : baseKey;
    // The client's copy of the target information follows the 28-byte blob header (2.2.2.7).
    const pairs = decodeAvPairs(m.ntResponse.subarray(16 + 28));
    const avFlags = pairs.find((p) => p.id === Av.Flags)?.value;
    if (avFlags && avFlags.length >= 4 && avFlags.readUInt32LE(0) & AV_FLAG_MIC) {
      const expected = mic(exported, this.negotiateMessage, this.challengeMessage, message, m.micOffset);
      if (!m.mic || !expected.equals(m.mic)) throw new NlaError(`NTLM sign-in of ${JSON.stringify(m.user)} refused: the message integrity code does not match`, Status.LOGON_FAILURE);
    }
    return {
      identity,
      security: { outbound: new SealingDirection(exported, 'server', keyExchange), inbound: new SealingDirection(exported, 'client', keyExchange) },
    };
  }
}
