import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../errors.js';

// Crockford base32, as ULID uses: ids sort by creation time and read unambiguously.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new recording id: 10 characters of millisecond time, then 16 random ones (ULID layout). */
export function newRecordingId(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[random[i]! % 32];
  return time + rand;
}

const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isRecordingId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** `id` itself when it is a recording id; anything else names no recording (a NotFoundError). */
export function checkRecordingId(id: string): string {
  if (!isRecordingId(id)) throw new NotFoundError(`no recording ${JSON.stringify(id)}`);
  return id;
}
