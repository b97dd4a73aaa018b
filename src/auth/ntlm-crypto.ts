/**
 * NTLMv2 cryptography (MS-NLMP 3.3.2, 3.4): the response keys, the
 * NTProofStr, the session keys, and sealing and signing with extended session
 * security. Pure functions of bytes.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { md4 } from './md4.js';
import { Rc4 } from './rc4.js';

const hmacMd5 = (key: Uint8Array, ...data: Uint8Array[]): Buffer => {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
};
const md5 = (...data: Uint8Array[]): Buffer => {
  const h = createHash('md5');
  for (const d of data) h.update(d);
  return h.digest();
};

/** NTOWFv1 = MD4(UNICODE(Passwd)) (MS-NLMP 3.3.1): the NT hash. */
export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}

/** NTOWFv2 = HMAC_MD5(NT hash, UNICODE(Uppercase(User) + UserDom)) (MS-NLMP 3.3.2). */
export function ntowfv2(ntHashBytes: Uint8Array, user: string, domain: string): Buffer {
  return hmacMd5(ntHashBytes, Buffer.from(user.toUpperCase() + domain, 'utf16le'));
}

/**
 * The client's NTLMv2 blob "temp" (MS-NLMP 3.3.2, 2.2.2.7):
 * 0x01 0x01 Z(6) Time(8) ClientChallenge(8) Z(4) AvPairs Z(4)
 */
export function clientBlob(time: Buffer, clientChallenge: Buffer, targetInfo: Buffer): Buffer {
  return Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), time, clientChallenge, Buffer.alloc(4), targetInfo, Buffer.alloc(4)]);
}

export interface V2Responses {
  ntResponse: Buffer;
  lmResponse: Buffer;
  ntProofStr: Buffer;
  sessionBaseKey: Buffer;
}

/** NtChallengeResponse = NTProofStr + temp; LmChallengeResponse = HMAC(ServerChallenge + ClientChallenge) + ClientChallenge. */
export function v2Responses(responseKey: Buffer, serverChallenge: Buffer, clientChallenge: Buffer, blob: Buffer): V2Responses {
  const ntProofStr = hmacMd5(responseKey, serverChallenge, blob);
  return {
    ntProofStr,
    ntResponse: Buffer.concat([ntProofStr, blob]),
    lmResponse: Buffer.concat([hmacMd5(responseKey, serverChallenge, clientChallenge), clientChallenge]),
    sessionBaseKey: hmacMd5(responseKey, ntProofStr),
  };
}

/**
 * The server's check of an NTLMv2 response (MS-NLMP 3.3.2, 3.2.5.1.2): the
 * NTProofStr recomputed from the NT hash it holds. Returns the session base key,
 * or null when the response was made with another password.
 */
export function verifyV2(responseKey: Buffer, serverChallenge: Buffer, ntResponse: Buffer): Buffer | null {
  if (ntResponse.length < 16 + 28) return null;
  const proof = ntResponse.subarray(0, 16);
  const expected = hmacMd5(responseKey, serverChallenge, ntResponse.subarray(16));
  if (!timingSafeEqual(proof, expected)) return null;
  return hmacMd5(responseKey, proof);
}

/** With KEY_EXCH the client picks the exported session key and sends it RC4-encrypted under the key exchange key (3.1.5.1.2). */
export function encryptSessionKey(keyExchangeKey: Buffer, exportedSessionKey: Buffer): Buffer {
  return new Rc4(keyExchangeKey).update(exportedSessionKey);
}
export const decryptSessionKey = encryptSessionKey;

/** MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE + CHALLENGE + AUTHENTICATE with a zero MIC) (3.1.5.1.2). */
export function mic(exportedSessionKey: Buffer, negotiate: Buffer, challenge: Buffer, authenticate: Buffer, micOffset: number): Buffer {
  const zeroed = Buffer.from(authenticate);
  zeroed.fill(0, micOffset, micOffset + 16);
  return hmacMd5(exportedSessionKey, negotiate, challenge, zeroed);
}

export type Side = 'client' | 'server';

const MAGIC = {
  sign: { client: 'session key to client-to-server signing key magic constant\0', server: 'session key to server-to-client signing key magic constant\0' },
  seal: { client: 'session key to client-to-server sealing key magic constant\0', server: 'session key to server-to-client sealing key magic constant\0' },
};

/** SIGNKEY and SEALKEY with extended session security and 128-bit keys (MS-NLMP 3.4.5.2, 3.4.5.3). */
export function signKey(exportedSessionKey: Buffer, from: Side): Buffer {
  return md5(exportedSessionKey, Buffer.from(MAGIC.sign[from], 'latin1'));
}
export function sealKey(exportedSessionKey: Buffer, from: Side): Buffer {
  return md5(exportedSessionKey, Buffer.from(MAGIC.seal[from], 'latin1'));
}

/**
 * One direction of NTLM sealing (MS-NLMP 3.4.3, 3.4.4.2): an RC4 handle kept
 * across messages and a sequence number, each message sealed then signed:
 *   Signature = Version(1) + RC4(handle, HMAC_MD5(SignKey, SeqNum + Message)[0..8]) + SeqNum
 */
export class SealingDirection {
  private readonly rc4: Rc4;
  private readonly signing: Buffer;
  private seq = 0;

  constructor(exportedSessionKey: Buffer, from: Side, private readonly keyExchange: boolean) {
    this.rc4 = new Rc4(sealKey(exportedSessionKey, from));
    this.signing = signKey(exportedSessionKey, from);
  }

  private signature(message: Buffer): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(this.seq++);
    let checksum = hmacMd5(this.signing, seq, message).subarray(0, 8);
    if (this.keyExchange) checksum = this.rc4.update(checksum);
    return Buffer.concat([Buffer.from([1, 0, 0, 0]), checksum, seq]);
  }

  /** Returns [signature (16 bytes), sealed message]. */
  seal(message: Buffer): [Buffer, Buffer] {
    const sealed = this.rc4.update(message);
    return [this.signature(message), sealed];
  }

  /** Opens a sealed message from the peer; null when its signature does not match. */
  unseal(signature: Buffer, sealed: Buffer): Buffer | null {
    const message = this.rc4.update(sealed);
    const expected = this.signature(message);
    return signature.length === 16 && timingSafeEqual(signature, expected) ? message : null;
  }
}
