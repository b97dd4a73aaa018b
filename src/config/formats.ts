/**
 * Form checks for the one-line values the config carries: recipient and signer public keys,
 * OpenSSH public keys and Argon2id password hashes.
 * Each returns an error message (never echoing the value) or the parsed form.
 */

/** The line `recgate keys generate` writes to FILE.pub: `recgate-x25519 <base64 of 32 bytes> [comment]`. */
export const RECIPIENT_KEY_PREFIX = 'recgate-x25519';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Strict standard base64 (padding required when the length needs it), or null. */
export function decodeBase64(text: string): Uint8Array | null {
  if (!BASE64.test(text) || text.length % 4 !== 0) return null;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return null;
  return new Uint8Array(bytes);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface RecipientKeyLine {
  publicKey: Uint8Array;
  line: string;
}

export function parseRecipientKeyLine(text: string): Parsed<RecipientKeyLine> {
  return parseKeyLine(text, RECIPIENT_KEY_PREFIX);
}

/** The line the gateway writes to `<signingKey>.pub`: `recgate-signer-ed25519 <base64 of 32 bytes> [comment]`. */
export const SIGNER_KEY_PREFIX = 'recgate-signer-ed25519';

export function parseSignerKeyLine(text: string): Parsed<RecipientKeyLine> {
  return parseKeyLine(text, SIGNER_KEY_PREFIX);
}

function parseKeyLine(text: string, expected: string): Parsed<RecipientKeyLine> {
  const line = text.trim();
  if (line.includes('\n')) {
    return { ok: false, error: `a public key is one line "${expected} <base64> [comment]"` };
  }
  const [prefix, encoded] = line.split(/[ \t]+/);
  if (prefix !== expected || encoded === undefined) {
    return { ok: false, error: `a public key starts with "${expected} " followed by base64` };
  }
  const publicKey = decodeBase64(encoded);
  if (publicKey === null) return { ok: false, error: 'the public key is not valid base64' };
  if (publicKey.length !== 32) {
    return { ok: false, error: `the public key decodes to ${publicKey.length} bytes, expected 32` };
  }
  return { ok: true, value: { publicKey, line } };
}

const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
];

/**
 * An OpenSSH public key line `<type> <base64 blob> [comment]`. The blob must begin
 * with the same type name (uint32 length, then the name), which catches truncated pastes.
 */
export function checkSshKeyLine(text: string): string | null {
  const [type, encoded] = text.trim().split(/[ \t]+/);
  if (type === undefined || !SSH_KEY_TYPES.includes(type)) {
    return `not an OpenSSH public key line (expected a type such as ssh-ed25519, then base64)`;
  }
  const blob = encoded === undefined ? null : decodeBase64(encoded);
  if (blob === null || blob.length < 4) return `the ${type} key is not valid base64`;
  const nameLength = new DataView(blob.buffer, blob.byteOffset).getUint32(0);
  const name = Buffer.from(blob.subarray(4, 4 + nameLength)).toString('latin1');
  if (name !== type) return `the ${type} key data does not match its type (truncated or mixed up?)`;
  return null;
}

const ARGON2ID = /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;

/** The Argon2id PHC string form `$argon2id$v=19$m=...,t=...,p=...$salt$hash` (form only). */
export function checkPasswordHash(text: string): string | null {
  return ARGON2ID.test(text)
    ? null
    : 'not an Argon2id hash (expected $argon2id$v=19$m=...,t=...,p=...$salt$hash from "recgate users hash")';
}

/** Names of users and targets meet in "user+target" logins: no '+', no spaces, not "*". */
export function checkLoginName(text: string): string | null {
  if (text.length === 0) return 'must not be empty';
  if (text.includes('+')) return 'must not contain "+" (it separates user and target in logins)';
  if (/[\s\p{Cc}]/u.test(text)) return 'must not contain spaces or control characters';
  if (text === '*') return '"*" is reserved (it means every target)';
  return null;
}
