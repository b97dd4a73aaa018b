/**
 * The node's metrics against a real recording: a Recorder writing through
 * the metered store into a LocalStore. What /metrics counts (chunks and
 * ciphertext bytes stored, plaintext recorded, store writes per operation)
 * is what the store holds; the store behind the meter answers as before;
 * readiness follows the phase and the store's health; the listener serves
 * the three paths and nothing else.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseExposition, sampleValue } from '../../test/fixtures/prom-text.js';
import { silentLogger } from '../log.js';
import { Recorder } from '../recording/recorder.js';
import { generateAuditorKey } from '../seal/keys.js';
import { generateSigningKey } from '../seal/signing.js';
import { defaultSodium } from '../seal/sodium.js';
import { LocalStore } from '../store/local.js';
import type { StoreHealth } from '../store/types.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { readiness, type NodePhase } from './health.js';
import { meterStore } from './metered-store.js';
import { startOpsListener } from './server.js';

const s = defaultSodium();
const auditor = generateAuditorKey(s);
const signer = generateSigningKey(s);
const dirs: string[] = [];
const closers: (() => unknown)[] = [];
after(async () => {
  for (const close of closers) await close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function node(health?: () => StoreHealth): Promise<{ metrics: GatewayMetrics; store: LocalStore; phase: { now: NodePhase } }> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-metrics-'));
  dirs.push(dir);
  const phase = { now: 'serving' as NodePhase };
  const metrics = new GatewayMetrics(['ssh', 'postgres'], { liveSessions: () => ['ssh'], storeHealth: () => health?.(), phase: () => phase.now });
  closers.push(() => metrics.close());
  return { metrics, store: new LocalStore(dir), phase };
}

test('chunks, bytes and store writes counted are what the store holds', async () => {
  const { metrics, store } = await node();
  const metered = meterStore(store, metrics);
  const recorder = await Recorder.start(
    {
      store: metered,
      sodium: s,
      signer,
      recipients: [{ name: 'officer', publicKey: auditor.publicKey }],
      log: silentLogger(),
      onSealed: (stream, bytes) => metrics.recorded('ssh', stream, bytes),
    },
    { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' },
    { flushInterval: 1000, chunkSize: 16 * 1024, checkpointInterval: 10_000, keystrokes: true },
  );
  recorder.output(new Uint8Array(100_000).fill(0x61));
  const result = await recorder.end('closed');
  assert.equal(result.ok, true);

  let chunks = 0;
  let bytes = 0;
  for (const stream of (await store.manifest(recorder.id)).streams) {
    for await (const c of store.chunks(recorder.id, stream.id)) {
      chunks++;
      bytes += c.data.length;
    }
  }
  const m = parseExposition(metrics.render());
  assert.equal(sampleValue(m, 'recgate_chunks_written_total'), chunks);
  assert.equal(sampleValue(m, 'recgate_stored_bytes_total'), bytes);
  assert.ok(sampleValue(m, 'recgate_recorded_bytes_total', { protocol: 'ssh', stream: 'tty' })! >= 100_000);
  assert.ok(sampleValue(m, 'recgate_recorded_bytes_total', { protocol: 'ssh', stream: 'events' })! > 0);
  assert.equal(sampleValue(m, 'recgate_store_write_seconds_count', { op: 'create' }), 1);
  assert.equal(sampleValue(m, 'recgate_store_write_seconds_count', { op: 'finalize' }), 1);
  assert.ok(sampleValue(m, 'recgate_store_write_seconds_count', { op: 'appendChunks' })! >= 1);
  assert.equal(sampleValue(m, 'recgate_store_write_errors_total', { op: 'appendChunks' }), undefined);
  assert.equal(sampleValue(m, 'recgate_sessions_live', { protocol: 'ssh' }), 1);
  assert.equal(sampleValue(m, 'recgate_sessions_live', { protocol: 'postgres' }), 0);
  assert.equal(sampleValue(m, 'recgate_sessions_started_total', { protocol: 'postgres' }), 0, 'served protocols have series from the start');

  // The meter passes everything else through, bound to the store itself.
  assert.equal(metered.kind, store.kind);
  assert.equal(metered.health, undefined);
  assert.equal((await metered.get(recorder.id))?.status, 'complete');
  await assert.rejects(metered.appendChunks('01ARZ3NDEKTSV4RRFFQ69G5FAV', 1, 0, [new Uint8Array(8)]));
  assert.equal(sampleValue(parseExposition(metrics.render()), 'recgate_store_write_errors_total', { op: 'appendChunks' }), 1);
});

test('readiness: serving with the store up or spooling with room; 503 reasons otherwise', () => {
  const health = (state: StoreHealth['state'], spooledBytes = 0): StoreHealth => ({ state, spooledBytes, spooledChunks: 0, drainedChunks: 0, detail: 'PostgreSQL unreachable' });
  assert.deepEqual(readiness('serving', undefined, 100), { ready: true, body: { status: 'ready' } });
  assert.deepEqual(readiness('serving', health('up'), 100).body, { status: 'ready', store: 'up' });
  assert.equal(readiness('serving', health('spooling', 99), 100).ready, true);
  assert.deepEqual(readiness('serving', health('spooling', 100), 100).body, { status: 'not ready', reason: 'spool full', store: 'spooling', detail: '100 of 100 spool bytes used' });
  assert.deepEqual(readiness('serving', health('down'), 100).body, { status: 'not ready', reason: 'store down', store: 'down', detail: 'PostgreSQL unreachable' });
  for (const phase of ['starting', 'draining', 'stopping'] as const) {
    assert.deepEqual(readiness(phase, undefined, 100), { ready: false, body: { status: 'not ready', reason: phase } });
  }
});

test('the listener serves /metrics, /healthz and /readyz, follows the store and the phase, and refuses the rest', async () => {
  let state: StoreHealth = { state: 'up', spooledBytes: 0, spooledChunks: 0, drainedChunks: 0 };
  const { metrics, phase } = await node(() => state);
  const ops = await startOpsListener(
    { host: '127.0.0.1', port: 0 },
    { metrics: () => metrics.render(), health: () => ({ recording: 0 }), readiness: () => readiness(phase.now, state, 1000) },
    silentLogger(),
  );
  closers.unshift(() => ops.close());
  const url = `http://127.0.0.1:${ops.address.port}`;
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  state = { state: 'spooling', spooledBytes: 1000, spooledChunks: 7, drainedChunks: 2 };
  const full = await fetch(`${url}/readyz`);
  assert.equal(full.status, 503);
  assert.equal(((await full.json()) as { reason: string }).reason, 'spool full');
  const m = parseExposition(await (await fetch(`${url}/metrics`)).text());
  assert.equal(sampleValue(m, 'recgate_chunks_spooled_total'), 7);
  assert.equal(sampleValue(m, 'recgate_chunks_drained_total'), 2);
  assert.equal(sampleValue(m, 'recgate_spool_bytes'), 1000);
  assert.equal(sampleValue(m, 'recgate_store_state', { state: 'spooling' }), 1);
  assert.equal(sampleValue(m, 'recgate_store_state', { state: 'up' }), 0);
  state = { state: 'up', spooledBytes: 0, spooledChunks: 7, drainedChunks: 7 };
  phase.now = 'draining';
  const draining = await fetch(`${url}/readyz`);
  assert.equal(draining.status, 503);
  assert.deepEqual(await draining.json(), { status: 'not ready', reason: 'draining', store: 'up' });
  assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { status: 'ok', recording: 0 });
  assert.equal((await fetch(`${url}/metrics/../console`)).status, 404);
  assert.equal((await fetch(`${url}/healthz`, { method: 'DELETE' })).status, 405);
});
