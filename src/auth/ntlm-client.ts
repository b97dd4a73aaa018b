/**
 * The client side of NTLMv2 (MS-NLMP 3.1.5): what the gateway sends to log in
 * to a target. NEGOTIATE out, CHALLENGE in, AUTHENTICATE out; after that the
 * two sealing directions protect the CredSSP messages.
 */
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { clientBlob, encryptSessionKey, mic, ntHash, ntowfv2, SealingDirection, v2Responses } from './ntlm-crypto.js';
import { Av, AV_FLAG_MIC, decodeAvPairs, decodeChallenge, encodeAuthenticate, encodeAvPairs, encodeNegotiate, Flag, MIC_OFFSET } from './ntlm-messages.js';

export interface NtlmCredentials {
  user: string;
  domain: string;
  password: string;
  workstation?: string;
}

export const CLIENT_FLAGS =
  Flag.UNICODE | Flag.REQUEST_TARGET | Flag.SIGN | Flag.SEAL | Flag.NTLM | Flag.ALWAYS_SIGN |
  Flag.EXTENDED_SESSIONSECURITY | Flag.VERSION | Flag.N128 | Flag.KEY_EXCH | Flag.N56;

/** 100 ns intervals since 1601-01-01, little-endian (a FILETIME). */
export function fileTime(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(ms) + 11644473600000n) * 10000n);
  return b;
}

export interface NtlmSecurity {
  /** Seals what this side sends. */
  outbound: SealingDirection;
  /** Opens what the peer sends. */
  inbound: SealingDirection;
}

export class NtlmClient {
  private negotiateMessage: Buffer | null = null;

  constructor(
    private readonly creds: NtlmCredentials,
    private readonly random: (n: number) => Buffer = randomBytes,
    private readonly now: () => number = Date.now,
  ) {}

  negotiate(): Buffer {
    this.negotiateMessage = encodeNegotiate({ flags: CLIENT_FLAGS });
    return this.negotiateMessage;
  }

  /** Answers the server's CHALLENGE; returns the AUTHENTICATE message and the sealing state. */
  authenticate(challengeMessage: Buffer): { message: Buffer; security: NtlmSecurity } {
    if (!this.negotiateMessage) throw new Error('negotiate() first');
    const challenge = decodeChallenge(challengeMessage);
    const fail = (m: string): never => {
      throw new ProtocolError(['ntlm'], m);
    };
    if (!(challenge.flags & Flag.UNICODE)) fail('the server does not speak Unicode');
    if (!(challenge.flags & Flag.EXTENDED_SESSIONSECURITY)) fail('the server offers no extended session security (NTLMv1 only)');
    if (!(challenge.flags & Flag.SEAL) || !(challenge.flags & Flag.N128)) fail('the server offers no 128-bit sealing');
    const flags = (challenge.flags & CLIENT_FLAGS) >>> 0;

    const pairs = decodeAvPairs(challenge.targetInfo);
    const stamp = pairs.find((p) => p.id === Av.Timestamp)?.value;
    // With a server timestamp the client sends a MIC, says so in MsvAvFlags, and sends no LMv2 response (3.1.5.1.2).
    const ours = pairs.filter((p) => p.id !== Av.Flags);
    const avFlags = Buffer.alloc(4);
    avFlags.writeUInt32LE(((pairs.find((p) => p.id === Av.Flags)?.value.readUInt32LE(0) ?? 0) | (stamp ? AV_FLAG_MIC : 0)) >>> 0);
    if (stamp) ours.push({ id: Av.Flags, value: avFlags });

    const clientChallenge = this.random(8);
    const key = ntowfv2(ntHash(this.creds.password), this.creds.user, this.creds.domain);
    const r = v2Responses(key, challenge.serverChallenge, clientChallenge, clientBlob(stamp ?? fileTime(this.now()), clientChallenge, encodeAvPairs(ours)));
    const exported = flags & Flag.KEY_EXCH ? this.random(16) : r.sessionBaseKey;
    const fields = {
      flags,
      lmResponse: stamp ? Buffer.alloc(24) : r.lmResponse,
      ntResponse: r.ntResponse,
      domain: this.creds.domain,
      user: this.creds.user,
      workstation: this.creds.workstation ?? 'RECGATE',
      encryptedSessionKey: flags & Flag.KEY_EXCH ? encryptSessionKey(r.sessionBaseKey, exported) : Buffer.alloc(0),
      mic: Buffer.alloc(16),
    };
    let message = encodeAuthenticate(fields);
    if (stamp) {
      message = Buffer.from(message);
      mic(exported, this.negotiateMessage, challengeMessage, message, MIC_OFFSET).copy(message, MIC_OFFSET);
    }
    const keyExchange = (flags & Flag.KEY_EXCH) !== 0;
    return {
      message,
      security: { outbound: new SealingDirection(exported, 'client', keyExchange), inbound: new SealingDirection(exported, 'server', keyExchange) },
    };
  }
}
