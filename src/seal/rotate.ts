/**
 * Recipient rotation: re-seal a recording's key K from an old auditor key to
 * a new one. Only the manifest's recipient list changes; chunks, stream
 * subkeys and checkpoints stay as they are (recipients are deliberately
 * outside the signed checkpoint), so rotation costs three X25519 operations
 * per recording whatever its size (one to open K, two to seal it: the
 * sealed box's ephemeral key pair and the shared secret).
 *
 * The work splits in two so that many recordings can be rotated with the
 * X25519 work on other threads: planRotation decides, from the recipient
 * list alone, what is to be done; resealKey does the cryptography on the
 * sealed bytes; finishRotation puts the new entry in place.
 */
import { CryptoError } from '../errors.js';
import { fromBase64, toBase64 } from './encoding.js';
import { kidOf, type AuditorKeyPair } from './keys.js';
import type { Manifest, RecipientEntry } from './manifest.js';
import { BOX_SEALBYTES } from './sodium-params.js';
import type { Sodium } from './sodium.js';
import { RECORD_KEY_BYTES } from './stream.js';

export interface NewRecipient {
  publicKey: Uint8Array;
  name?: string;
}

/** Bytes of a record key sealed for one recipient. */
export const SEALED_KEY_BYTES = RECORD_KEY_BYTES + BOX_SEALBYTES;

/** What rotating one recording takes, decided without any cryptography. */
export type RotationPlan =
  /** The old key is not a recipient: nothing to do. */
  | { kind: 'none' }
  /** The new key already is one: the old entry is dropped (once `sealed` is shown to open with the old key). */
  | { kind: 'drop'; recipients: RecipientEntry[]; sealed: Uint8Array }
  /** K is to be opened from `sealed` and sealed for the new key, the entry at `at` replaced. */
  | { kind: 'reseal'; at: number; sealed: Uint8Array };

export function planRotation(manifest: Pick<Manifest, 'id' | 'recipients'>, oldKid: string, newKid: string): RotationPlan {
  const at = manifest.recipients.findIndex((r) => r.kid === oldKid);
  if (at < 0) return { kind: 'none' };
  const sealed = fromBase64(manifest.recipients[at]!.sealedKey);
  if (!sealed || sealed.length !== SEALED_KEY_BYTES) throw notOpening(manifest.id, oldKid);
  if (newKid !== oldKid && manifest.recipients.some((r) => r.kid === newKid)) {
    return { kind: 'drop', recipients: manifest.recipients.filter((_, i) => i !== at).map((r) => ({ ...r })), sealed };
  }
  return { kind: 'reseal', at, sealed };
}

/**
 * K opened with `old` and sealed for `next`, written to `out` (SEALED_KEY_BYTES);
 * false when it does not open. K is wiped before this returns.
 */
export function resealKey(s: Sodium, sealed: Uint8Array, old: AuditorKeyPair, next: Uint8Array, out: Uint8Array): boolean {
  const key = s.boxSealOpen(sealed, old.publicKey, old.secretKey);
  if (!key) return false;
  try {
    out.set(s.boxSeal(key, next));
    return true;
  } finally {
    s.memzero(key);
  }
}

/** True when `sealed` opens with `old` (what dropping an entry asks of the one who drops it). */
export function opensWith(s: Sodium, sealed: Uint8Array, old: AuditorKeyPair): boolean {
  const key = s.boxSealOpen(sealed, old.publicKey, old.secretKey);
  if (key) s.memzero(key);
  return key !== null;
}

/** The recipient list with the planned entry replaced by the re-sealed key. */
export function finishRotation(manifest: Pick<Manifest, 'recipients'>, at: number, resealed: Uint8Array, newKid: string, name?: string): RecipientEntry[] {
  const recipients = manifest.recipients.map((r) => ({ ...r }));
  const entry: RecipientEntry = { kid: newKid, sealedKey: toBase64(resealed) };
  if (name !== undefined) entry.name = name;
  recipients[at] = entry;
  return recipients;
}

export function notOpening(id: string, kid: string): CryptoError {
  return new CryptoError(`recording ${id}: the record key sealed for key ${kid} does not open (corrupt entry or wrong secret key)`);
}

/**
 * The recipient list with oldPair's entry replaced by K sealed for newKey, in
 * the same position; if newKey is already a recipient, the old entry is just
 * dropped. Null if oldPair is not a recipient. Throws CryptoError if the old
 * entry does not open with oldPair.
 */
export function rotateRecipient(
  s: Sodium,
  manifest: Pick<Manifest, 'id' | 'recipients'>,
  oldPair: AuditorKeyPair,
  newKey: NewRecipient,
): RecipientEntry[] | null {
  const newKid = kidOf(s, newKey.publicKey);
  const plan = planRotation(manifest, oldPair.kid, newKid);
  if (plan.kind === 'none') return null;
  if (plan.kind === 'drop') {
    if (!opensWith(s, plan.sealed, oldPair)) throw notOpening(manifest.id, oldPair.kid);
    return plan.recipients;
  }
  const out = new Uint8Array(SEALED_KEY_BYTES);
  if (!resealKey(s, plan.sealed, oldPair, newKey.publicKey, out)) throw notOpening(manifest.id, oldPair.kid);
  return finishRotation(manifest, plan.at, out, newKid, newKey.name);
}
