/**
 * Opening the auditor's key file. Its Argon2id (64 MiB, three passes: the
 * better part of a second) runs on the thread pool; with the passphrase in
 * the environment nothing is asked, so a decrypting command starts it before
 * it loads its modules and config, opens the store and verifies the recording
 * (`unlockInBackground`), and finds the key ready when it first needs it. A
 * wrong passphrase is still reported where the key is needed, after
 * verification.
 *
 * This module is imported before the command's own: it stays light.
 */
import { readFile } from 'node:fs/promises';
import { environment } from '../config/environment.js';
import { KeyError } from '../errors.js';
import { decryptKeyFileAsync, wipeKeyPair, type AuditorKeyPair } from '../seal/keys.js';
import { defaultSodium, type Sodium } from '../seal/sodium.js';
import { PASSPHRASE_HINT, readSecret } from './prompt.js';

/** Opens a key file; the passphrase comes from RECGATE_PASSPHRASE or a prompt. */
export async function openAuditorKey(sodium: Sodium, path: string): Promise<AuditorKeyPair> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new KeyError(`cannot read key file ${path}: ${why}`);
  }
  const passphrase = environment().passphrase ?? (await readSecret(`Passphrase for ${path}: `, { what: `the passphrase of ${path}`, otherwise: PASSPHRASE_HINT }));
  return decryptKeyFileAsync(sodium, text, passphrase, path);
}

/**
 * The key file opening in the background when its passphrase is in the
 * environment (undefined otherwise: the prompt waits for its turn). Its
 * failure is held for whoever awaits it, never an unhandled rejection.
 */
export function unlockInBackground(path: string): Promise<AuditorKeyPair> | undefined {
  if (environment().passphrase === undefined) return undefined;
  const unlocking = openAuditorKey(defaultSodium(), path);
  unlocking.catch(() => undefined);
  return unlocking;
}

/** For a command that stops before it uses the key: waits for the unlocking and wipes the key. */
export async function discardUnlock(unlocking: Promise<AuditorKeyPair> | undefined): Promise<void> {
  await unlocking?.then(
    (key) => wipeKeyPair(defaultSodium(), key),
    () => undefined,
  );
}
