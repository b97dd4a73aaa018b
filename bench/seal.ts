/**
 * Seal benchmark: what recording costs on top of the bare cipher, and what
 * key rotation costs per recording.
 *
 *   node dist/bench/seal.js [--gib N] [--wasm-mib N] [--rotations N]
 *
 * Rows:
 *   raw AEAD      XChaCha20-Poly1305 on 64 KiB chunks, straight into the library
 *                 with a reused output buffer: the ceiling. Native: libsodium's, and
 *                 the system OpenSSL's through native/openssl-aead.c (what seals
 *                 chunks of 1 KiB and more when it is built, src/seal/openssl-aead.ts).
 *   digest        a 64 KiB chunk's digest as each recording format takes it: BLAKE2b-512
 *                 (formats /2 and /3; natively the faster of OpenSSL's and libsodium's)
 *                 and BLAKE3 (format /4, written now; seal/chain).
 *   RecordSealer  sealChunk on 64 KiB tty chunks: nonce, AEAD, output
 *                 allocation, chunk digest and chain link; a signed
 *                 checkpoint every 160 chunks (10 MiB).
 *   RecordOpener  openChunk on the same chunks (last = false tried first).
 *   rotation      rotateRecipient on N in-memory manifests (open K, re-seal K).
 *   Recorder      the whole recording path: 4 KiB output writes framed, chunked,
 *                 sealed and appended to a LocalStore in a temporary folder,
 *                 checkpoints fsynced every 10 s of wall time.
 *   keys rotate   rotateRecordings over N finished recordings in a LocalStore:
 *                 what `recgate keys rotate` does, manifest rewrites included.
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { benchArgs } from './args.js';

import { generateAuditorKey, type AuditorKeyPair } from '../src/seal/keys.js';
import { MANIFEST_FORMAT, type Manifest } from '../src/seal/manifest.js';
import { RecordOpener } from '../src/seal/opener.js';
import { rotateRecipient, type NewRecipient } from '../src/seal/rotate.js';
import { RecordSealer } from '../src/seal/sealer.js';
import { generateSigningKey } from '../src/seal/signing.js';
import { loadAddon, nativeSodium } from '../src/seal/sodium-native.js';
import { opensslAead } from '../src/seal/openssl-aead.js';
import { wasmSodium } from '../src/seal/sodium-wasm.js';
import type { Sodium } from '../src/seal/sodium.js';
import { testMeta } from '../src/seal/fixtures.js';
import { toBase64 } from '../src/seal/encoding.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import { Recorder } from '../src/recording/recorder.js';
import { LocalStore } from '../src/store/local.js';
import { newRecordingId } from '../src/store/ids.js';
import { rotateRecordings } from '../src/store/rotation.js';

const CHUNK = 64 * 1024;
const MIB = 1024 * 1024;
const CHECKPOINT_EVERY = 160;

interface Row {
  operation: string;
  backend: string;
  amount: string;
  result: string;
}

/** 1 MiB of terminal-like output (text, CRLF, SGR colour sequences) to slice chunks from. */
function ttyData(): Uint8Array {
  const line = (i: number) =>
    `\x1b[01;34mdrwxr-xr-x\x1b[0m  2 alice staff  4096 May  1 10:${String(i % 60).padStart(2, '0')} \x1b[01;32mbuild-${i}\x1b[0m\r\n`;
  const out = new Uint8Array(MIB + CHUNK);
  const enc = new TextEncoder();
  for (let off = 0, i = 0; off < out.length; i++) off += enc.encodeInto(line(i), out.subarray(off)).written;
  return out;
}

function chunkAt(data: Uint8Array, i: number): Uint8Array {
  const off = (i * 4099) % MIB;
  return data.subarray(off, off + CHUNK);
}

function mbps(bytes: number, ms: number): string {
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
}

function rawAead(s: Sodium, data: Uint8Array, chunks: number): number {
  const key = s.randomBytes(32);
  const nonce = s.randomBytes(24);
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) {
    nonce[23] = i & 0xff;
    s.aeadEncrypt(chunkAt(data, i), null, nonce, key);
  }
  return performance.now() - t0;
}

type RawEncrypt = (out: Uint8Array, message: Uint8Array, ad: Uint8Array | null, nonce: Uint8Array, key: Uint8Array) => void;

/** Native raw AEAD with a preallocated output: no wrapper, no allocation. */
function rawAeadNative(encrypt: RawEncrypt, data: Uint8Array, chunks: number): number {
  const key = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(24);
  const out = new Uint8Array(CHUNK + 16);
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) {
    nonce[23] = i & 0xff;
    encrypt(out, chunkAt(data, i), null, nonce, key);
  }
  return performance.now() - t0;
}

function newSealer(s: Sodium, id: string): { sealer: RecordSealer; auditor: AuditorKeyPair } {
  const auditor = generateAuditorKey(s);
  const sealer = RecordSealer.create(s, { meta: testMeta(id), recipients: [auditor], signer: generateSigningKey(s) });
  return { sealer, auditor };
}

/** Seals `chunks` tty chunks; keeps the first `keep` ciphertexts for the opener row. */
function sealRun(s: Sodium, data: Uint8Array, chunks: number, keep: number) {
  const { sealer, auditor } = newSealer(s, `bench-${s.backend}`);
  const tty = sealer.addStream('tty', 'tty', 0).id;
  const kept: Uint8Array[] = [];
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) {
    const ct = sealer.sealChunk(tty, chunkAt(data, i), false);
    if (i < keep) kept.push(ct);
    if ((i + 1) % CHECKPOINT_EVERY === 0) sealer.checkpoint();
  }
  const ms = performance.now() - t0;
  const manifest = sealer.manifest;
  sealer.close();
  return { ms, kept, manifest, auditor };
}

function openRun(s: Sodium, manifest: Manifest, auditor: AuditorKeyPair, kept: Uint8Array[]): number {
  const opener = RecordOpener.open(s, manifest, auditor);
  const t0 = performance.now();
  kept.forEach((ct, i) => opener.openChunk(1, i, ct));
  const ms = performance.now() - t0;
  opener.close();
  return ms;
}

function digestRows(s: Sodium, data: Uint8Array, chunks: number, amount: string): Row[] {
  const wide = new Uint8Array(64);
  const out = new Uint8Array(32);
  const digests: [string, (chunk: Uint8Array) => void][] = [
    ['chunk digest, BLAKE2b-512 (formats /2, /3)', (chunk) => s.generichashInto(wide, chunk)],
    ['chunk digest, BLAKE3 (format /4)', (chunk) => s.blake3Into(out, chunk)],
  ];
  return digests.map(([operation, digest]) => {
    const t0 = performance.now();
    for (let i = 0; i < chunks; i++) digest(chunkAt(data, i));
    return { operation, backend: s.backend, amount, result: mbps(chunks * CHUNK, performance.now() - t0) };
  });
}

async function throughputRows(s: Sodium, totalMiB: number): Promise<Row[]> {
  const data = ttyData();
  const chunks = (totalMiB * MIB) / CHUNK;
  const bytes = chunks * CHUNK;
  const amount = totalMiB >= 1024 ? `${totalMiB / 1024} GiB` : `${totalMiB} MiB`;
  const rows: Row[] = [];
  if (s.backend === 'native') {
    const na = loadAddon();
    const libsodium: RawEncrypt = (out, message, ad, nonce, key) => na.crypto_aead_xchacha20poly1305_ietf_encrypt(out, message, ad, null, nonce, key);
    rows.push({ operation: 'raw XChaCha20-Poly1305, libsodium, 64 KiB', backend: s.backend, amount, result: mbps(bytes, rawAeadNative(libsodium, data, chunks)) });
    const openssl = opensslAead(libsodium);
    const result = openssl ? mbps(bytes, rawAeadNative((...args) => openssl.encrypt(...args), data, chunks)) : 'not in use (addon not built?)';
    rows.push({ operation: 'raw XChaCha20-Poly1305, OpenSSL, 64 KiB', backend: s.backend, amount, result });
  } else {
    rows.push({ operation: 'raw XChaCha20-Poly1305, 64 KiB chunks', backend: s.backend, amount, result: mbps(bytes, rawAead(s, data, chunks)) });
  }
  rows.push(...digestRows(s, data, chunks, amount));
  const keep = Math.min(chunks, 2048);
  const sealed = sealRun(s, data, chunks, keep);
  rows.push({ operation: 'RecordSealer.sealChunk + chain + checkpoints', backend: s.backend, amount, result: mbps(bytes, sealed.ms) });
  const opened = openRun(s, sealed.manifest, sealed.auditor, sealed.kept);
  const openAmount = `${(keep * CHUNK) / MIB} MiB`;
  rows.push({ operation: 'RecordOpener.openChunk', backend: s.backend, amount: openAmount, result: mbps(keep * CHUNK, opened) });
  return rows;
}

/** `count` manifests, each with a record key sealed to `recipient` (no streams: rotation never reads them). */
export function syntheticManifests(s: Sodium, count: number, recipient: AuditorKeyPair, signer: Uint8Array): Manifest[] {
  const manifests: Manifest[] = [];
  for (let i = 0; i < count; i++) {
    const id = `bench-rot-${i}`;
    const key = s.randomBytes(32);
    manifests.push({
      format: MANIFEST_FORMAT,
      id,
      meta: testMeta(id),
      signer: toBase64(signer),
      streams: [],
      recipients: [{ kid: recipient.kid, name: 'old', sealedKey: toBase64(s.boxSeal(key, recipient.publicKey)) }],
    });
    s.memzero(key);
  }
  return manifests;
}

/** Runs rotateRecipient over `manifests` in memory; the CLI's store-level bench adds the writes. */
export function measureRotation(s: Sodium, manifests: Manifest[], oldPair: AuditorKeyPair, next: NewRecipient) {
  let rotated = 0;
  const t0 = performance.now();
  for (const m of manifests) {
    const recipients = rotateRecipient(s, m, oldPair, next);
    if (recipients) {
      m.recipients = recipients;
      rotated++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { rotated, seconds, microsPerRecording: (seconds * 1e6) / Math.max(1, manifests.length) };
}

function rotationRow(s: Sodium, count: number): Row {
  const old = generateAuditorKey(s);
  const next = generateAuditorKey(s);
  const manifests = syntheticManifests(s, count, old, generateSigningKey(s).publicKey);
  const r = measureRotation(s, manifests, old, { publicKey: next.publicKey, name: 'new' });
  if (r.rotated !== count) throw new Error(`rotated ${r.rotated} of ${count}`);
  return {
    operation: `rotateRecipient × ${count} (in memory)`,
    backend: s.backend,
    amount: `${count} rec.`,
    result: `${r.seconds.toFixed(2)} s, ${r.microsPerRecording.toFixed(0)} µs/rec.`,
  };
}

async function withTempStore<T>(fn: (store: LocalStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-bench-'));
  const store = new LocalStore(dir);
  try {
    return await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The recording path end to end, honouring backpressure as a proxy does. */
async function recorderRow(s: Sodium, totalMiB: number): Promise<Row> {
  const data = ttyData();
  const auditor = generateAuditorKey(s);
  const ms = await withTempStore(async (store) => {
    const recorder = await Recorder.start(
      { store, sodium: s, signer: generateSigningKey(s), recipients: [auditor], log: silentLogger() },
      { user: 'bench', target: 'bench', protocol: 'ssh', clientAddress: '127.0.0.1' },
    );
    const write = 4096;
    const writes = (totalMiB * MIB) / write;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < writes; i++) {
      const off = (i * 4099) % MIB;
      if (!recorder.output(data.subarray(off, off + write))) await new Promise((r) => recorder.once('drain', r));
    }
    await recorder.end('closed');
    const cpu = process.cpuUsage(cpu0);
    return { wall: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 };
  });
  const cpuPerGiB = (ms.cpu / 1000 / (totalMiB / 1024)).toFixed(2);
  return {
    operation: 'Recorder → LocalStore, 4 KiB writes',
    backend: s.backend,
    amount: `${totalMiB / 1024} GiB`,
    result: `${mbps(totalMiB * MIB, ms.wall)} (${cpuPerGiB} CPU s/GiB)`,
  };
}

/** `recgate keys rotate` over `count` finished recordings of a LocalStore. */
async function storeRotationRow(s: Sodium, count: number): Promise<Row> {
  const old = generateAuditorKey(s);
  const next = generateAuditorKey(s);
  const signer = generateSigningKey(s).publicKey;
  const seconds = await withTempStore(async (store) => {
    for (const m of syntheticManifests(s, count, old, signer)) {
      const id = newRecordingId();
      m.id = id;
      m.meta = { ...m.meta, id };
      await store.create(m);
      const at = new Date().toISOString();
      await store.finalize(id, { recording: id, seq: 0, at, metaHash: '', streams: [], signature: '' }, { endedAt: at, endReason: 'closed' });
    }
    const t0 = performance.now();
    const r = await rotateRecordings(s, store, old, { publicKey: next.publicKey });
    if (r.rotated !== count) throw new Error(`rotated ${r.rotated} of ${count}`);
    return (performance.now() - t0) / 1000;
  });
  return {
    operation: `keys rotate × ${count} (LocalStore)`,
    backend: s.backend,
    amount: `${count} rec.`,
    result: `${seconds.toFixed(2)} s, ${((seconds * 1e6) / count).toFixed(0)} µs/rec.`,
  };
}

function printTable(rows: Row[]): void {
  const head: Row = { operation: 'operation', backend: 'backend', amount: 'data', result: 'result' };
  const cols = ['operation', 'backend', 'amount', 'result'] as const;
  const width = cols.map((c) => Math.max(...[head, ...rows].map((r) => r[c].length)));
  const line = (r: Row) => cols.map((c, i) => r[c].padEnd(width[i]!)).join('  ').trimEnd();
  console.log(line(head));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    options: { gib: { type: 'string', default: '1' }, 'wasm-mib': { type: 'string', default: '64' }, rotations: { type: 'string', default: '10000' } },
  });
  const native = nativeSodium();
  const wasm = await wasmSodium();
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  console.log(`recgate seal benchmark: node ${process.version}, ${process.arch}, ${cpu}; MB = 10^6 bytes\n`);
  const rows = [
    ...(await throughputRows(native, Number(values.gib) * 1024)),
    ...(await throughputRows(wasm, Number(values['wasm-mib']))),
    await recorderRow(native, Number(values.gib) * 1024),
    rotationRow(native, Number(values.rotations)),
    await storeRotationRow(native, Number(values.rotations)),
    rotationRow(wasm, Math.min(Number(values.rotations), 1000)),
  ];
  printTable(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
