/**
 * Byte encodings shared by the gateway and the browser-side reader: standard
 * base64 (RFC 4648 §4, with padding), lowercase hex and UTF-8.
 *
 * Decoding is strict: a string decodes only if it is the canonical encoding of
 * its bytes (correct alphabet, padding present, unused bits zero), so one byte
 * string has exactly one textual form wherever it is hashed or compared.
 * Node's Buffer is used when present; the portable codec serves browsers.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;
const DECODE_TABLE = buildDecodeTable();

/** Node's Buffer when present (type only: nothing is imported from Node). */
const NodeBufferImpl = (globalThis as { Buffer?: typeof Buffer }).Buffer;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function toBase64(bytes: Uint8Array): string {
  if (NodeBufferImpl) return NodeBufferImpl.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return encodeBase64Portable(bytes);
}

/** The bytes of a canonical base64 string, or null if `text` is not one. */
export function fromBase64(text: string): Uint8Array | null {
  if (typeof text !== 'string' || !CANONICAL.test(text)) return null;
  if (NodeBufferImpl) return new Uint8Array(NodeBufferImpl.from(text, 'base64'));
  return decodeBase64Portable(text);
}

/** Encoder used where Buffer is absent (browsers); exported for tests. */
export function encodeBase64Portable(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + '=';
  }
  return out;
}

/** Decoder used where Buffer is absent; same strictness as `fromBase64`. */
export function decodeBase64Portable(text: string): Uint8Array | null {
  if (!CANONICAL.test(text)) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n =
      (DECODE_TABLE[text.charCodeAt(i)]! << 18) |
      (DECODE_TABLE[text.charCodeAt(i + 1)]! << 12) |
      ((DECODE_TABLE[text.charCodeAt(i + 2)] ?? 0) << 6) |
      (DECODE_TABLE[text.charCodeAt(i + 3)] ?? 0);
    if (o < out.length) out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function buildDecodeTable(): Uint8Array {
  const table = new Uint8Array(128).fill(255);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  table['='.charCodeAt(0)] = 0;
  return table;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/** Strict UTF-8 decoding: throws a TypeError on malformed input. */
export function fromUtf8(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Equality of public values (not constant-time: never use it on secrets). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
