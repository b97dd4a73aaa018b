/**
 * POST /api/audit-events against a real `recgate start`: the page's own
 * audit lines (a search over N recordings, a download of a recording) are
 * signed into the chained log; the request needs a session, the console's
 * own Origin and the CSRF token; a download of a recording the account may
 * not see is refused and audited as a refusal.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyAuditChain, type AuditEntry } from '../../src/console/audit.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { ACCOUNTS, ConsoleClient, startConsoleGateway, type ConsoleGateway } from '../fixtures/console-gateway.js';

let gw: ConsoleGateway;
const ids: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

before(async () => {
  gw = await startConsoleGateway(async (home) => {
    for (const user of ['alice', 'bob'] as const) {
      ids[user] = await home.record({ who: { user, target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' }, steps: [{ op: 'terminal', cols: 80, rows: 24 }] });
    }
  });
});
after(() => gw?.stop());

async function signedIn(account: { name: string; password: string }): Promise<ConsoleClient> {
  const c = new ConsoleClient(gw.base);
  assert.equal(await c.signIn(account), 200);
  return c;
}

async function auditLog(): Promise<AuditEntry[]> {
  const admin = await signedIn(ACCOUNTS.admin);
  const r = await admin.request('GET', '/api/audit');
  assert.equal(r.status, 200);
  assert.equal(verifyAuditChain(defaultSodium(), Buffer.from(r.json.signer, 'base64'), r.json.entries), null);
  return r.json.entries;
}

test('a search and a download are each one signed audit line naming the account; the search line has the count only', async () => {
  const c = await signedIn(ACCOUNTS.auditor);
  assert.equal((await c.request('POST', '/api/audit-events', { action: 'search', recordings: 40 })).status, 200);
  assert.equal((await c.request('POST', '/api/audit-events', { action: 'download', recording: ids.alice, file: 'zip' })).status, 200);
  const log = await auditLog();
  const search = log.filter((e) => e.action === 'search');
  assert.deepEqual(search.map((e) => [e.account, e.detail]), [[ACCOUNTS.auditor.name, 'search over 40 recordings']]);
  const download = log.filter((e) => e.action === 'download');
  assert.deepEqual(download.map((e) => [e.account, e.recording, e.detail]), [[ACCOUNTS.auditor.name, ids.alice, 'export zip made in the page']]);
});

test('without a session 401; from another origin or without the CSRF token 403, audited as refused', async () => {
  const anon = new ConsoleClient(gw.base);
  assert.equal((await anon.request('POST', '/api/audit-events', { action: 'search', recordings: 1 })).status, 401);
  const c = await signedIn(ACCOUNTS.auditor);
  assert.equal((await c.request('POST', '/api/audit-events', { action: 'search', recordings: 1 }, { 'x-recgate-csrf': 'wrong' })).status, 403);
  assert.equal((await c.request('POST', '/api/audit-events', { action: 'search', recordings: 1 }, { origin: 'http://evil.example' })).status, 403);
  const refused = (await auditLog()).filter((e) => e.action === 'refused' && e.detail?.includes('/api/audit-events'));
  assert.equal(refused.length, 2);
  assert.ok(!(await auditLog()).some((e) => e.action === 'search' && e.detail === 'search over 1 recording'));
});

test('a download of a recording outside the auditor\'s users is refused; an unknown one is 404; a malformed body 400', async () => {
  const c = await signedIn(ACCOUNTS.auditor);
  const bob = await c.request('POST', '/api/audit-events', { action: 'download', recording: ids.bob, file: 'zip' });
  assert.equal(bob.status, 403);
  assert.ok((await auditLog()).some((e) => e.action === 'refused' && e.recording === ids.bob));
  assert.equal((await c.request('POST', '/api/audit-events', { action: 'download', recording: 'NOSUCHRECORDING', file: 'zip' })).status, 404);
  for (const body of [{ action: 'search' }, { action: 'download', recording: ids.alice }, { action: 'delete' }, { action: 'search', recordings: -1 }]) {
    assert.equal((await c.request('POST', '/api/audit-events', body)).status, 400, JSON.stringify(body));
  }
  // A query sent along anyway is dropped, never logged.
  assert.equal((await c.request('POST', '/api/audit-events', { action: 'search', recordings: 3, query: 'secret-7b2c' })).status, 200);
  const log = JSON.stringify(await auditLog());
  assert.ok(log.includes('search over 3 recordings') && !log.includes('secret-7b2c'));
});
