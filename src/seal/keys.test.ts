import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KeyError } from '../errors.js';
import { toBase64, toHex } from './encoding.js';
import {
  KEY_FILE_FORMAT,
  decryptKeyFile,
  decryptKeyFileAsync,
  encryptKeyFile,
  formatPublicKeyLine,
  generateAuditorKey,
  kidOf,
  parsePublicKeyFile,
  parsePublicKeyLine,
  wipeKeyPair,
} from './keys.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';

const s = nativeSodium();
/** Cheap Argon2id cost for tests that are not about the cost. */
const FAST = { opslimit: 1, memlimit: 8192 * 8 };

function keyError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof KeyError, `expected KeyError, got ${String(err)}`);
    assert.equal(err.code, 'RG_ERR_KEY');
    assert.doesNotMatch(err.message, /\n/);
    return err.message;
  }
  assert.fail('expected a KeyError');
}

test('kid is the hex of the first 8 bytes of BLAKE2b-256(public key)', () => {
  const pair = generateAuditorKey(s);
  assert.equal(pair.kid, toHex(s.generichash(32, pair.publicKey).subarray(0, 8)));
  assert.match(pair.kid, /^[0-9a-f]{16}$/);
  assert.equal(kidOf(s, pair.publicKey), pair.kid);
});

test('public key lines round-trip with and without a comment', () => {
  const pair = generateAuditorKey(s);
  const line = formatPublicKeyLine(s, pair.publicKey, 'audit team\nsecond line');
  assert.equal(line, `recgate-x25519 ${toBase64(pair.publicKey)} audit team second line`);
  assert.deepEqual(parsePublicKeyLine(s, line, 'a.pub'), { publicKey: pair.publicKey, kid: pair.kid, comment: 'audit team second line' });
  const bare = parsePublicKeyLine(s, `  ${formatPublicKeyLine(s, pair.publicKey)}  `, 'a.pub');
  assert.equal(bare.comment, undefined);
  assert.equal(bare.kid, pair.kid);
});

test('bad public key lines name the source and what is wrong', () => {
  const b64 = toBase64(generateAuditorKey(s).publicKey);
  assert.match(keyError(() => parsePublicKeyLine(s, `ssh-ed25519 ${b64}`, 'cfg:12')), /^cfg:12: not a recgate public key/);
  assert.match(keyError(() => parsePublicKeyLine(s, 'recgate-x25519', 'cfg:12')), /^cfg:12: not a recgate public key/);
  assert.match(keyError(() => parsePublicKeyLine(s, 'recgate-x25519 ***', 'k.pub')), /^k\.pub: public key is not valid base64/);
  assert.match(keyError(() => parsePublicKeyLine(s, `recgate-x25519 ${toBase64(new Uint8Array(31).fill(1))}`, 'k.pub')), /must be 32 bytes, got 31/);
  assert.match(keyError(() => parsePublicKeyLine(s, `recgate-x25519 ${toBase64(new Uint8Array(32))}`, 'k.pub')), /all zeros/);
});

test('a .pub file is its one key line among comments', () => {
  const pair = generateAuditorKey(s);
  const text = `# audit key\n\n${formatPublicKeyLine(s, pair.publicKey, 'x')}\n`;
  assert.equal(parsePublicKeyFile(s, text, 'k.pub').kid, pair.kid);
  assert.match(keyError(() => parsePublicKeyFile(s, text + text, 'k.pub')), /exactly one .* found 2/);
});

test('a key file stores the default Argon2id cost and opens with its passphrase', () => {
  const pair = generateAuditorKey(s);
  const text = encryptKeyFile(s, pair, 'correct horse');
  const json = JSON.parse(text);
  assert.equal(json.format, KEY_FILE_FORMAT);
  assert.deepEqual({ alg: json.kdf.alg, opslimit: json.kdf.opslimit, memlimit: json.kdf.memlimit }, { alg: 'argon2id13', opslimit: 3, memlimit: 64 * 1024 * 1024 });
  assert.equal(json.kid, pair.kid);
  assert.ok(!text.includes(toBase64(pair.secretKey)));
  assert.deepEqual(decryptKeyFile(s, text, 'correct horse', 'a.key'), pair);
});

test('the wasm backend opens a key file written by the native one', async () => {
  const pair = generateAuditorKey(s);
  const text = encryptKeyFile(s, pair, new TextEncoder().encode('pässwörd'), FAST);
  assert.deepEqual(decryptKeyFile(await wasmSodium(), text, 'pässwörd', 'a.key'), pair);
});

test('a key file opens the same with Argon2id off the main thread, and a wrong passphrase is refused the same way', async () => {
  const pair = generateAuditorKey(s);
  const text = encryptKeyFile(s, pair, 'pässwörd', { opslimit: 1, memlimit: 8192 * 8 });
  assert.deepEqual(await decryptKeyFileAsync(s, text, 'pässwörd', 'a.key'), pair);
  await assert.rejects(decryptKeyFileAsync(s, text, 'wrong', 'a.key'), (err: Error) => err instanceof KeyError && /wrong passphrase for key file a\.key/.test(err.message));
});

test('wrong passphrase, corrupt and truncated key files give distinct one-line KeyErrors', () => {
  const pair = generateAuditorKey(s);
  const text = encryptKeyFile(s, pair, 'right', FAST);
  const wrong = keyError(() => decryptKeyFile(s, text, 'wrong', 'a.key'));
  const corrupt = keyError(() => decryptKeyFile(s, 'hello world', 'right', 'a.key'));
  const truncated = keyError(() => decryptKeyFile(s, text.slice(0, text.length / 2), 'right', 'a.key'));
  assert.equal(wrong, 'wrong passphrase for key file a.key');
  assert.match(corrupt, /^key file a\.key is not a recgate key file: not JSON$/);
  assert.match(truncated, /^key file a\.key is truncated/);
  assert.equal(new Set([wrong, corrupt, truncated]).size, 3);
});

test('key files with wrong fields say which field', () => {
  const json = JSON.parse(encryptKeyFile(s, generateAuditorKey(s), 'pw', FAST));
  const variant = (patch: (j: any) => void) => {
    const copy = structuredClone(json);
    patch(copy);
    return keyError(() => decryptKeyFile(s, JSON.stringify(copy), 'pw', 'a.key'));
  };
  assert.match(variant((j) => (j.format = 'other/1')), /not a recgate key file: format is "other\/1"/);
  assert.match(variant((j) => (j.kdf.salt = toBase64(new Uint8Array(8)))), /kdf\.salt must be base64 of 16 bytes/);
  assert.match(variant((j) => (j.nonce = 42)), /nonce must be base64 of 24 bytes/);
  assert.match(variant((j) => (j.kdf.memlimit = 2 ** 40)), /kdf\.memlimit must be an integer/);
  assert.match(variant((j) => (j.kdf.alg = 'scrypt')), /kdf\.alg/);
  assert.match(keyError(() => decryptKeyFile(s, '[1,2]', 'pw', 'a.key')), /not a JSON object/);
});

test('a key file whose public key or kid does not match its secret is refused', () => {
  const pair = generateAuditorKey(s);
  const other = generateAuditorKey(s);
  const json = JSON.parse(encryptKeyFile(s, pair, 'pw', FAST));
  const swapped = { ...json, publicKey: toBase64(other.publicKey), kid: other.kid };
  assert.match(keyError(() => decryptKeyFile(s, JSON.stringify(swapped), 'pw', 'a.key')), /inconsistent: its secret key does not belong to its public key/);
  const relabeled = { ...json, kid: other.kid };
  assert.match(keyError(() => decryptKeyFile(s, JSON.stringify(relabeled), 'pw', 'a.key')), new RegExp(`inconsistent: kid ${other.kid} is not the id`));
});

test('wipeKeyPair zeroes the secret key', () => {
  const pair = generateAuditorKey(s);
  wipeKeyPair(s, pair);
  assert.deepEqual(pair.secretKey, new Uint8Array(32));
});
