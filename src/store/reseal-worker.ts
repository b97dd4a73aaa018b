/**
 * A worker thread of rotation (see reseal-pool.ts): re-seals each record key
 * it is sent from the old auditor key to the new one. The old key pair
 * arrives once, in workerData, and is wiped when the pool ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AuditorKeyPair } from '../seal/keys.js';
import { resealKey, SEALED_KEY_BYTES } from '../seal/rotate.js';
import { nativeSodium } from '../seal/sodium-native.js';
import type { ResealReply, ResealRequest } from './reseal-pool.js';

const s = nativeSodium();
const { old, next } = workerData as { old: AuditorKeyPair; next: Uint8Array };
const port = parentPort!;

port.on('message', (msg: ResealRequest | 'wipe') => {
  if (msg === 'wipe') {
    s.memzero(old.secretKey);
    port.close();
    return;
  }
  const { seq, sealed } = msg;
  const out = new Uint8Array(sealed.length);
  for (let at = 0; at < sealed.length; at += SEALED_KEY_BYTES) {
    const one = sealed.subarray(at, at + SEALED_KEY_BYTES);
    if (!resealKey(s, one, old, next, out.subarray(at, at + SEALED_KEY_BYTES))) {
      port.postMessage({ seq, failedAt: at / SEALED_KEY_BYTES } satisfies ResealReply);
      return;
    }
  }
  port.postMessage({ seq, sealed: out } satisfies ResealReply, [out.buffer]);
});
