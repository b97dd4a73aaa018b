/**
 * The gateway's Ed25519 signing key and checkpoint signatures.
 *
 * Signing key file (kept beside the gateway, mode 0600), one line:
 *
 *   recgate-signing-ed25519 <base64 seed (32 bytes)>
 *
 * Public key file (`.pub`, given to verifiers as a trusted signer), one line:
 *
 *   recgate-signer-ed25519 <base64 public key (32 bytes)> [comment...]
 *
 * Checkpoint signature:
 *
 *   sig = Ed25519(sk, "recgate/v1 checkpoint" ‖ 0x00 ‖ canonicalJson(checkpoint without signature))
 *
 * metaHash = base64(BLAKE2b-256(canonicalJson(meta))).
 */
import { KeyError } from '../errors.js';
import { concatBytes, fromBase64, toBase64, utf8 } from './encoding.js';
import { canonicalJson, type Checkpoint, type RecordingMeta } from './manifest.js';
import {
  GENERICHASH_BYTES,
  SIGN_BYTES,
  SIGN_PUBLICKEYBYTES,
  SIGN_SEEDBYTES,
} from './sodium-params.js';
import type { Sodium } from './sodium.js';

export const SIGNING_KEY_PREFIX = 'recgate-signing-ed25519';
export const SIGNER_PUBLIC_PREFIX = 'recgate-signer-ed25519';
export const CHECKPOINT_DOMAIN = 'recgate/v1 checkpoint\0';

export interface SigningKeyPair {
  publicKey: Uint8Array;
  /** libsodium form: seed ‖ public key (64 bytes). */
  secretKey: Uint8Array;
}

export type UnsignedCheckpoint = Omit<Checkpoint, 'signature'>;

export function generateSigningKey(s: Sodium): SigningKeyPair {
  const seed = s.randomBytes(SIGN_SEEDBYTES);
  try {
    return s.signSeedKeypair(seed);
  } finally {
    s.memzero(seed);
  }
}

export function formatSigningKeyFile(s: Sodium, pair: SigningKeyPair): string {
  return `${SIGNING_KEY_PREFIX} ${toBase64(pair.secretKey.subarray(0, SIGN_SEEDBYTES))}\n`;
}

export function parseSigningKeyFile(s: Sodium, text: string, source: string): SigningKeyPair {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const fields = lines.length === 1 ? lines[0]!.trim().split(/\s+/) : [];
  if (fields.length !== 2 || fields[0] !== SIGNING_KEY_PREFIX) {
    throw new KeyError(`${source}: not a recgate signing key (expected one line "${SIGNING_KEY_PREFIX} <base64 seed>")`);
  }
  const seed = fromBase64(fields[1]!);
  if (!seed || seed.length !== SIGN_SEEDBYTES) {
    throw new KeyError(`${source}: signing key must be base64 of a ${SIGN_SEEDBYTES}-byte seed`);
  }
  try {
    return s.signSeedKeypair(seed);
  } finally {
    s.memzero(seed);
  }
}

export function formatSignerPublicLine(s: Sodium, publicKey: Uint8Array, comment?: string): string {
  if (publicKey.length !== SIGN_PUBLICKEYBYTES) {
    throw new KeyError(`an Ed25519 public key is ${SIGN_PUBLICKEYBYTES} bytes, got ${publicKey.length}`);
  }
  const note = comment?.replace(/\s+/g, ' ').trim();
  const line = `${SIGNER_PUBLIC_PREFIX} ${toBase64(publicKey)}`;
  return note ? `${line} ${note}` : line;
}

export function parseSignerPublicLine(
  s: Sodium,
  line: string,
  source: string,
): { publicKey: Uint8Array; comment?: string } {
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== SIGNER_PUBLIC_PREFIX || fields[1] === undefined) {
    throw new KeyError(`${source}: not a recgate signer key (expected "${SIGNER_PUBLIC_PREFIX} <base64 key> [comment]")`);
  }
  const publicKey = fromBase64(fields[1]);
  if (!publicKey || publicKey.length !== SIGN_PUBLICKEYBYTES) {
    throw new KeyError(`${source}: signer key must be base64 of ${SIGN_PUBLICKEYBYTES} bytes`);
  }
  const comment = fields.slice(2).join(' ');
  return comment ? { publicKey, comment } : { publicKey };
}

export function metaHash(s: Sodium, meta: RecordingMeta): string {
  return toBase64(s.generichash(GENERICHASH_BYTES, utf8(canonicalJson(meta))));
}

function signedBytes(unsigned: UnsignedCheckpoint): Uint8Array {
  const body: Record<string, unknown> = { ...unsigned };
  delete body.signature;
  return concatBytes(utf8(CHECKPOINT_DOMAIN), utf8(canonicalJson(body)));
}

export function signCheckpoint(s: Sodium, secretKey: Uint8Array, unsigned: UnsignedCheckpoint): Checkpoint {
  const signature = toBase64(s.signDetached(signedBytes(unsigned), secretKey));
  return { ...unsigned, signature };
}

/** True if `cp.signature` is the signer's signature over every other field of `cp`. */
export function verifyCheckpoint(s: Sodium, signerPublicKey: Uint8Array, cp: Checkpoint): boolean {
  if (typeof cp !== 'object' || cp === null || typeof cp.signature !== 'string') return false;
  const signature = fromBase64(cp.signature);
  if (!signature || signature.length !== SIGN_BYTES) return false;
  return s.signVerifyDetached(signature, signedBytes(cp), signerPublicKey);
}
