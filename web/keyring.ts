/**
 * The auditor's key, in page memory only: opened from the key file and
 * passphrase with the same code the CLI uses (src/seal/keys.ts over the wasm
 * libsodium build), wiped on lock, sign-out and when the page goes away.
 */
import { decryptKeyFile, wipeKeyPair, type AuditorKeyPair } from '../src/seal/keys.js';
import type { Sodium } from '../src/seal/sodium.js';
import { wasmSodium } from '../src/seal/sodium-wasm.js';

let pair: AuditorKeyPair | null = null;

export function sodium(): Promise<Sodium> {
  return wasmSodium();
}

export async function unlock(file: File, passphrase: string): Promise<AuditorKeyPair> {
  const s = await wasmSodium();
  lock(s);
  pair = decryptKeyFile(s, await file.text(), passphrase, file.name);
  return pair;
}

export function current(): AuditorKeyPair | null {
  return pair;
}

export function lock(s?: Sodium): void {
  if (!pair) return;
  if (s) wipeKeyPair(s, pair);
  else pair.secretKey.fill(0);
  pair = null;
}
