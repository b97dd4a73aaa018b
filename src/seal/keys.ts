/**
 * Auditor (recipient) keys: X25519 key pairs for crypto_box_seal.
 *
 * kid = hex(BLAKE2b-256(publicKey)[0..8])
 *
 * Public key line (config, `.pub` files), one line:
 *
 *   recgate-x25519 <base64 public key (32 bytes)> [comment...]
 *
 * Key file (the private key under a passphrase), JSON text:
 *
 *   { "format": "recgate-auditor-key/1", "kid": "<16 hex>", "publicKey": b64(32),
 *     "kdf": { "alg": "argon2id13", "opslimit": n, "memlimit": bytes, "salt": b64(16) },
 *     "nonce": b64(24), "sealed": b64(32 + 16) }
 *
 *   sealed = crypto_secretbox_easy(secretKey, nonce, Argon2id(passphrase, salt, opslimit, memlimit))
 *
 * The KDF cost is stored in the file, so new files can use a higher cost and
 * old files still open.
 */
import { KeyError } from '../errors.js';
import { bytesEqual, fromBase64, toBase64, toHex, utf8 } from './encoding.js';
import {
  BOX_PUBLICKEYBYTES,
  BOX_SECRETKEYBYTES,
  PWHASH_SALTBYTES,
  SECRETBOX_KEYBYTES,
  SECRETBOX_MACBYTES,
  SECRETBOX_NONCEBYTES,
} from './sodium-params.js';
import type { Sodium } from './sodium.js';

export const PUBLIC_KEY_PREFIX = 'recgate-x25519';
export const KEY_FILE_FORMAT = 'recgate-auditor-key/1';

/** Argon2id cost for new key files: opslimit 3, 64 MiB. */
export const KEY_FILE_KDF = { opslimit: 3, memlimit: 64 * 1024 * 1024 } as const;
/** Ceilings on a key file's stored cost: a crafted file must not exhaust the reader. */
const MAX_OPSLIMIT = 64;
const MAX_MEMLIMIT = 2 * 1024 * 1024 * 1024;

export interface AuditorKeyPair {
  kid: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface ParsedPublicKey {
  publicKey: Uint8Array;
  kid: string;
  comment?: string;
}

export interface KdfCost {
  opslimit: number;
  memlimit: number;
}

export function kidOf(s: Sodium, publicKey: Uint8Array): string {
  return toHex(s.generichash(32, publicKey).subarray(0, 8));
}

export function generateAuditorKey(s: Sodium): AuditorKeyPair {
  const { publicKey, secretKey } = s.boxKeypair();
  return { kid: kidOf(s, publicKey), publicKey, secretKey };
}

export function wipeKeyPair(s: Sodium, pair: { secretKey: Uint8Array }): void {
  s.memzero(pair.secretKey);
}

export function formatPublicKeyLine(s: Sodium, publicKey: Uint8Array, comment?: string): string {
  if (publicKey.length !== BOX_PUBLICKEYBYTES) {
    throw new KeyError(`an X25519 public key is ${BOX_PUBLICKEYBYTES} bytes, got ${publicKey.length}`);
  }
  const note = comment?.replace(/\s+/g, ' ').trim();
  return note ? `${PUBLIC_KEY_PREFIX} ${toBase64(publicKey)} ${note}` : `${PUBLIC_KEY_PREFIX} ${toBase64(publicKey)}`;
}

export function parsePublicKeyLine(s: Sodium, line: string, source: string): ParsedPublicKey {
  const fields = line.trim().split(/\s+/);
  const [prefix, encoded] = fields;
  if (prefix !== PUBLIC_KEY_PREFIX || encoded === undefined) {
    throw new KeyError(`${source}: not a recgate public key (expected "${PUBLIC_KEY_PREFIX} <base64 key> [comment]")`);
  }
  const publicKey = fromBase64(encoded);
  if (!publicKey) throw new KeyError(`${source}: public key is not valid base64`);
  if (publicKey.length !== BOX_PUBLICKEYBYTES) {
    throw new KeyError(`${source}: public key must be ${BOX_PUBLICKEYBYTES} bytes, got ${publicKey.length}`);
  }
  if (publicKey.every((b) => b === 0)) throw new KeyError(`${source}: public key is all zeros`);
  const comment = fields.slice(2).join(' ');
  const parsed: ParsedPublicKey = { publicKey, kid: kidOf(s, publicKey) };
  if (comment) parsed.comment = comment;
  return parsed;
}

/** A `.pub` file: the one key line, with blank lines and `#` comments around it ignored. */
export function parsePublicKeyFile(s: Sodium, text: string, source: string): ParsedPublicKey {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (lines.length !== 1) {
    throw new KeyError(`${source}: expected exactly one "${PUBLIC_KEY_PREFIX}" line, found ${lines.length}`);
  }
  return parsePublicKeyLine(s, lines[0]!, source);
}

interface KeyFile {
  format: typeof KEY_FILE_FORMAT;
  kid: string;
  publicKey: string;
  kdf: { alg: 'argon2id13'; opslimit: number; memlimit: number; salt: string };
  nonce: string;
  sealed: string;
}

/** Passphrase-derived key for a key file; the caller wipes it. */
function passphraseKey(s: Sodium, passphrase: string | Uint8Array, salt: Uint8Array, cost: KdfCost): Uint8Array {
  const pw = typeof passphrase === 'string' ? utf8(passphrase) : passphrase;
  try {
    return s.pwhash(SECRETBOX_KEYBYTES, pw, salt, cost.opslimit, cost.memlimit);
  } finally {
    if (pw !== passphrase) s.memzero(pw);
  }
}

export function encryptKeyFile(
  s: Sodium,
  pair: AuditorKeyPair,
  passphrase: string | Uint8Array,
  cost: KdfCost = KEY_FILE_KDF,
): string {
  const salt = s.randomBytes(PWHASH_SALTBYTES);
  const nonce = s.randomBytes(SECRETBOX_NONCEBYTES);
  const key = passphraseKey(s, passphrase, salt, cost);
  let sealed: Uint8Array;
  try {
    sealed = s.secretboxEasy(pair.secretKey, nonce, key);
  } finally {
    s.memzero(key);
  }
  const file: KeyFile = {
    format: KEY_FILE_FORMAT,
    kid: kidOf(s, pair.publicKey),
    publicKey: toBase64(pair.publicKey),
    kdf: { alg: 'argon2id13', opslimit: cost.opslimit, memlimit: cost.memlimit, salt: toBase64(salt) },
    nonce: toBase64(nonce),
    sealed: toBase64(sealed),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

export function decryptKeyFile(
  s: Sodium,
  text: string,
  passphrase: string | Uint8Array,
  source: string,
): AuditorKeyPair {
  const fields = checkedKeyFile(s, text, source);
  return openKeyFile(s, fields, passphraseKey(s, passphrase, fields.salt, fields), source);
}

/** decryptKeyFile with the passphrase's Argon2id off the calling thread (see Sodium.pwhashAsync). */
export async function decryptKeyFileAsync(s: Sodium, text: string, passphrase: string, source: string): Promise<AuditorKeyPair> {
  const fields = checkedKeyFile(s, text, source);
  const pw = utf8(passphrase);
  let key: Uint8Array;
  try {
    key = await s.pwhashAsync(SECRETBOX_KEYBYTES, pw, fields.salt, fields.opslimit, fields.memlimit);
  } finally {
    s.memzero(pw);
  }
  return openKeyFile(s, fields, key, source);
}

function checkedKeyFile(s: Sodium, text: string, source: string): KeyFileFields {
  const fields = readKeyFile(text, source);
  const kid = kidOf(s, fields.publicKey);
  if (kid !== fields.kid) {
    throw new KeyError(`key file ${source} is inconsistent: kid ${fields.kid} is not the id of its public key (${kid})`);
  }
  return fields;
}

/** The secret key sealed with `key` (wiped here), checked against the file's public key. */
function openKeyFile(s: Sodium, fields: KeyFileFields, key: Uint8Array, source: string): AuditorKeyPair {
  let secretKey: Uint8Array | null;
  try {
    secretKey = s.secretboxOpenEasy(fields.sealed, fields.nonce, key);
  } finally {
    s.memzero(key);
  }
  if (!secretKey) throw new KeyError(`wrong passphrase for key file ${source}`);
  const derived = s.scalarmultBase(secretKey);
  if (!bytesEqual(derived, fields.publicKey)) {
    s.memzero(secretKey);
    throw new KeyError(`key file ${source} is inconsistent: its secret key does not belong to its public key`);
  }
  return { kid: fields.kid, publicKey: fields.publicKey, secretKey };
}

interface KeyFileFields extends KdfCost {
  kid: string;
  publicKey: Uint8Array;
  salt: Uint8Array;
  nonce: Uint8Array;
  sealed: Uint8Array;
}

function readKeyFile(text: string, source: string): KeyFileFields {
  const notKeyFile = (detail: string) => new KeyError(`key file ${source} is not a recgate key file: ${detail}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    if (trimmed.startsWith('{') && !trimmed.endsWith('}')) {
      throw new KeyError(`key file ${source} is truncated (its JSON ends early)`);
    }
    throw notKeyFile('not JSON');
  }
  if (!isRecord(json)) throw notKeyFile('not a JSON object');
  if (json.format !== KEY_FILE_FORMAT) throw notKeyFile(`format is ${JSON.stringify(json.format)}, expected "${KEY_FILE_FORMAT}"`);
  const kdf = json.kdf;
  if (!isRecord(kdf) || kdf.alg !== 'argon2id13') throw notKeyFile('kdf.alg must be "argon2id13"');
  const opslimit = kdf.opslimit;
  const memlimit = kdf.memlimit;
  if (typeof opslimit !== 'number' || !Number.isInteger(opslimit) || opslimit < 1 || opslimit > MAX_OPSLIMIT) {
    throw notKeyFile(`kdf.opslimit must be an integer in 1..${MAX_OPSLIMIT}`);
  }
  if (typeof memlimit !== 'number' || !Number.isInteger(memlimit) || memlimit < 8192 || memlimit > MAX_MEMLIMIT) {
    throw notKeyFile(`kdf.memlimit must be an integer in 8192..${MAX_MEMLIMIT}`);
  }
  if (typeof json.kid !== 'string' || !/^[0-9a-f]{16}$/.test(json.kid)) throw notKeyFile('kid must be 16 hex digits');
  const bytesField = (value: unknown, name: string, length: number): Uint8Array => {
    const bytes = typeof value === 'string' ? fromBase64(value) : null;
    if (!bytes || bytes.length !== length) throw notKeyFile(`${name} must be base64 of ${length} bytes`);
    return bytes;
  };
  return {
    kid: json.kid,
    publicKey: bytesField(json.publicKey, 'publicKey', BOX_PUBLICKEYBYTES),
    salt: bytesField(kdf.salt, 'kdf.salt', PWHASH_SALTBYTES),
    nonce: bytesField(json.nonce, 'nonce', SECRETBOX_NONCEBYTES),
    sealed: bytesField(json.sealed, 'sealed', BOX_SECRETKEYBYTES + SECRETBOX_MACBYTES),
    opslimit,
    memlimit,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
