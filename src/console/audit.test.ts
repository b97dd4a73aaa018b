import assert from 'node:assert/strict';
import { mkdtemp, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { generateSigningKey } from '../seal/signing.js';
import { defaultSodium } from '../seal/sodium.js';
import { chainAuditEntry, ConsoleAudit, verifyAuditChain, type AuditEntry, type AuditEvent } from './audit.js';

const s = defaultSodium();
const signer = generateSigningKey(s);
const events: AuditEvent[] = [
  { action: 'sign-in', account: 'audrey', address: '127.0.0.1' },
  { action: 'list', account: 'audrey', address: '127.0.0.1', detail: 'user=alice' },
  { action: 'view', account: 'audrey', address: '127.0.0.1', recording: 'r1' },
  { action: 'refused', account: 'audrey', address: '127.0.0.1', recording: 'r2', detail: 'outside scope' },
];

function chain(): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const e of events) out.push(chainAuditEntry(s, signer, out.at(-1) ?? null, e));
  return out;
}

test('a chain of signed entries verifies; any changed field, dropped or reordered entry is named', () => {
  const entries = chain();
  assert.equal(verifyAuditChain(s, signer.publicKey, entries), null);
  assert.match(verifyAuditChain(s, signer.publicKey, entries.slice(1)) ?? '', /entry 0/);
  assert.match(verifyAuditChain(s, signer.publicKey, [entries[0]!, entries[2]!, entries[1]!, entries[3]!]) ?? '', /entry 1/);
  assert.match(verifyAuditChain(s, generateSigningKey(s).publicKey, entries) ?? '', /entry 0: bad signature/);
  fc.assert(
    fc.property(fc.nat(entries.length - 1), fc.constantFrom('account', 'action', 'address', 'at', 'detail', 'recording'), fc.string({ minLength: 1 }), (i, key, value) => {
      const forged = entries.map((e, j) => (j === i ? { ...e, [key]: `${String((e as unknown as Record<string, unknown>)[key] ?? '')}${value}` } : e));
      assert.match(verifyAuditChain(s, signer.publicKey, forged) ?? '', new RegExp(`entry ${i}`));
    }),
  );
});

test('ConsoleAudit appends to its file in order under concurrency and continues the chain after a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-console-audit-'));
  try {
    const file = join(dir, 'sub', 'console-audit.jsonl');
    const a = new ConsoleAudit(s, signer, file);
    await Promise.all(events.map((e) => a.append(e)));
    const again = new ConsoleAudit(s, signer, file);
    await again.append({ action: 'sign-out', account: 'audrey', address: '127.0.0.1' });
    const read = await again.read();
    assert.equal(read.length, 5);
    assert.deepEqual(read.map((e) => e.seq), [0, 1, 2, 3, 4]);
    assert.equal(verifyAuditChain(s, signer.publicKey, read), null);
    // A torn last line (a crash mid-append) is left out by the reader.
    await appendFile(file, '{"seq":5,"prev"');
    assert.equal((await new ConsoleAudit(s, signer, file).read()).length, 5);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
