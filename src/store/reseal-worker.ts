/**
 * A worker thread of rotation (see reseal-pool.ts): re-seals the record key
 * of each manifest it is sent from the old auditor key to the new one. The
 * old key pair arrives once, in workerData, and is wiped when the pool ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AuditorKeyPair } from '../seal/keys.js';
import type { Manifest } from '../seal/manifest.js';
import { rotateRecipient, type NewRecipient } from '../seal/rotate.js';
import { nativeSodium } from '../seal/sodium-native.js';
import type { ResealReply, ResealRequest } from './reseal-pool.js';

const s = nativeSodium();
const { old, next } = workerData as { old: AuditorKeyPair; next: NewRecipient };
const port = parentPort!;

port.on('message', (msg: ResealRequest | 'wipe') => {
  if (msg === 'wipe') {
    s.memzero(old.secretKey);
    port.close();
    return;
  }
  let reply: ResealReply;
  try {
    reply = { seq: msg.seq, updates: msg.manifests.map((m) => ({ id: m.id, recipients: rotateRecipient(s, m as Manifest, old, next) })) };
  } catch (err) {
    const e = err as Error & { code?: string };
    reply = { seq: msg.seq, error: { name: e.name, message: e.message, ...(e.code ? { code: e.code } : {}) } };
  }
  port.postMessage(reply);
});
