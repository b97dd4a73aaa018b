/**
 * MD4 (RFC 1320), needed only for the NT hash of NTLM (MS-NLMP 3.3.1:
 * NTOWFv1 = MD4(UNICODE(password))). Node's OpenSSL 3 keeps MD4 in the legacy
 * provider, which is not loaded by default, so the gateway carries its own.
 * Never use it for anything but NTLM.
 */
const S1 = [3, 7, 11, 19];
const S2 = [3, 5, 9, 13];
const S3 = [3, 9, 11, 15];
const R3 = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];

const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;

export function md4(message: Uint8Array): Buffer {
  // Padding (RFC 1320 3.1, 3.2): 0x80, zeros to 56 mod 64, then the bit length little-endian.
  const padded = Buffer.alloc(((message.length + 8) >> 6) * 64 + 64);
  padded.set(message);
  padded[message.length] = 0x80;
  const bits = BigInt(message.length) * 8n;
  padded.writeBigUInt64LE(bits & 0xffffffffffffffffn, padded.length - 8);

  let a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
  const x = new Uint32Array(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(off + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    // Round 1 (RFC 1320 3.4): F(X,Y,Z) = XY v not(X) Z
    for (let i = 0; i < 16; i++) {
      const f = (b & c) | (~b & d);
      const t = rotl((a + f + x[i]!) >>> 0, S1[i % 4]!);
      [a, b, c, d] = [d, t, b, c];
    }
    // Round 2: G(X,Y,Z) = XY v XZ v YZ, constant 0x5A827999
    for (let i = 0; i < 16; i++) {
      const k = (i % 4) * 4 + (i >> 2);
      const g = (b & c) | (b & d) | (c & d);
      const t = rotl((a + g + x[k]! + 0x5a827999) >>> 0, S2[i % 4]!);
      [a, b, c, d] = [d, t, b, c];
    }
    // Round 3: H(X,Y,Z) = X xor Y xor Z, constant 0x6ED9EBA1
    for (let i = 0; i < 16; i++) {
      const h = b ^ c ^ d;
      const t = rotl((a + h + x[R3[i]!]! + 0x6ed9eba1) >>> 0, S3[i % 4]!);
      [a, b, c, d] = [d, t, b, c];
    }
    a = (a + aa) >>> 0;
    b = (b + bb) >>> 0;
    c = (c + cc) >>> 0;
    d = (d + dd) >>> 0;
  }
  const out = Buffer.alloc(16);
  out.writeUInt32LE(a, 0);
  out.writeUInt32LE(b, 4);
  out.writeUInt32LE(c, 8);
  out.writeUInt32LE(d, 12);
  return out;
}
