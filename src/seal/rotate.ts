/**
 * Recipient rotation: re-seal a recording's key K from an old auditor key to
 * a new one. Only the manifest's recipient list changes; chunks, stream
 * subkeys and checkpoints stay as they are (recipients are deliberately
 * outside the signed checkpoint), so rotation costs two X25519 operations per
 * recording whatever its size.
 */
import { toBase64 } from './encoding.js';
import { kidOf, type AuditorKeyPair } from './keys.js';
import type { Manifest, RecipientEntry } from './manifest.js';
import { openRecordKey } from './opener.js';
import type { Sodium } from './sodium.js';

export interface NewRecipient {
  publicKey: Uint8Array;
  name?: string;
}

/**
 * The recipient list with oldPair's entry replaced by K sealed for newKey, in
 * the same position; if newKey is already a recipient, the old entry is just
 * dropped. Null if oldPair is not a recipient. Throws CryptoError if the old
 * entry does not open with oldPair.
 */
export function rotateRecipient(
  s: Sodium,
  manifest: Manifest,
  oldPair: AuditorKeyPair,
  newKey: NewRecipient,
): RecipientEntry[] | null {
  const at = manifest.recipients.findIndex((r) => r.kid === oldPair.kid);
  if (at < 0) return null;
  const newKid = kidOf(s, newKey.publicKey);
  const recordKey = openRecordKey(s, manifest, oldPair);
  try {
    const kept = manifest.recipients.map((r) => ({ ...r }));
    if (newKid !== oldPair.kid && kept.some((r) => r.kid === newKid)) {
      kept.splice(at, 1);
      return kept;
    }
    const entry: RecipientEntry = { kid: newKid, sealedKey: toBase64(s.boxSeal(recordKey, newKey.publicKey)) };
    if (newKey.name !== undefined) entry.name = newKey.name;
    kept[at] = entry;
    return kept;
  } finally {
    s.memzero(recordKey);
  }
}
