/**
 * The console's JSON API against a real `recgate start` with recorded
 * sessions: sign-in and its rate limit, 401 signed out, 403 (and an audit
 * line) for what an account may not see, the CSRF guard, keyset paging, and
 * that the gateway hands out only ciphertext: no response holds what a
 * session contained.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decryptKeyFile } from '../../src/seal/keys.js';
import { RecordOpener } from '../../src/seal/opener.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { verifyAuditChain, type AuditEntry } from '../../src/console/audit.js';
import { decodeFrames, FrameKind } from '../../src/recording/frames.js';
import { readFile } from 'node:fs/promises';
import { PASSPHRASE } from '../fixtures/gateway-env.js';
import { ACCOUNTS, ConsoleClient, startConsoleGateway, type ConsoleGateway } from '../fixtures/console-gateway.js';
import type { Step } from '../fixtures/record-session.js';

const MARKER = 'RG-CONSOLE-MARKER-5d1e';
const steps: Step[] = [
  { op: 'terminal', cols: 80, rows: 24 },
  { op: 'output', text: '$ ' },
  { op: 'output', text: `echo ${MARKER}\r\n${MARKER}\r\n$ ` },
  { op: 'event', event: { type: 'command', command: `echo ${MARKER}` } },
];
const who = (user: string, target: string) => ({ user, target, protocol: 'ssh', clientAddress: '127.0.0.1' });

let gw: ConsoleGateway;
const clients: ConsoleClient[] = [];
const client = (): ConsoleClient => {
  const c = new ConsoleClient(gw.base);
  clients.push(c);
  return c;
};

before(async () => {
  gw = await startConsoleGateway(async (home) => {
    for (const w of [who('alice', 'web01'), who('bob', 'db01'), who('alice', 'web02'), who('alice', 'web01')]) {
      await home.record({ who: w, steps });
    }
  });
});
after(async () => {
  // What a session contained never left the gateway in any answer.
  for (const c of clients) for (const body of c.bodies) assert.ok(!body.includes(MARKER), 'a response holds plaintext');
  await gw?.stop();
});

test('signed out, the API answers 401 and the page is served with a strict CSP', async () => {
  const c = client();
  for (const path of ['/api/recordings', '/api/session', '/api/audit']) assert.equal((await c.request('GET', path)).status, 401, path);
  const page = await c.request('GET', '/');
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal((await c.request('GET', '/app.js')).status, 200);
  assert.equal((await c.request('GET', '/main.js')).status, 404, 'only the bundled page is served');
});

test('sign-in sets an HttpOnly SameSite=Strict cookie; a wrong password or name is 401', async () => {
  const c = client();
  const r = await c.request('POST', '/api/session', { name: ACCOUNTS.officer.name, password: ACCOUNTS.officer.password });
  assert.equal(r.status, 200);
  const cookie = r.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Strict/i);
  assert.equal(typeof r.json.csrf, 'string');
  assert.doesNotMatch(JSON.stringify(r.json), new RegExp(ACCOUNTS.officer.password));
  assert.equal(await client().signIn({ name: ACCOUNTS.admin.name, password: 'wrong' }), 401);
  assert.equal(await client().signIn({ name: 'nobody', password: 'wrong' }), 401);
});

test('a sign-in from another origin and a sign-out without the CSRF token are refused', async () => {
  const c = client();
  const foreign = await c.request('POST', '/api/session', { name: ACCOUNTS.officer.name, password: ACCOUNTS.officer.password }, { origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  assert.equal(await c.signIn(ACCOUNTS.officer), 200);
  const noToken = await c.request('DELETE', '/api/session', undefined, { 'x-recgate-csrf': 'forged' });
  assert.equal(noToken.status, 403);
  const otherOrigin = await c.request('DELETE', '/api/session', undefined, { origin: 'http://evil.example' });
  assert.equal(otherOrigin.status, 403);
  assert.equal((await c.request('GET', '/api/recordings')).status, 200, 'still signed in');
  assert.equal((await c.request('DELETE', '/api/session')).status, 200);
  assert.equal((await c.request('GET', '/api/recordings')).status, 401, 'signed out');
});

test('an auditor lists only what the account may see; another recording is 403 and audited', async () => {
  const c = client();
  assert.equal(await c.signIn(ACCOUNTS.auditor), 200);
  const list = await c.request('GET', '/api/recordings');
  assert.equal(list.status, 200);
  const rows = list.json.recordings as { id: string; user: string }[];
  assert.equal(rows.length, 3);
  assert.ok(rows.every((r) => r.user === 'alice'));
  const o = client();
  await o.signIn(ACCOUNTS.officer);
  const all = (await o.request('GET', '/api/recordings')).json.recordings as { id: string; user: string }[];
  assert.equal(all.length, 4);
  const bobs = all.find((r) => r.user === 'bob')!;
  assert.equal((await c.request('GET', `/api/recordings/${bobs.id}`)).status, 403);
  assert.equal((await c.request('GET', `/api/recordings/${bobs.id}/streams/1/chunks/0`)).status, 403);
  assert.equal((await c.request('GET', '/api/audit')).status, 403, 'only admins read the audit log');
});

test('keyset paging walks every recording once, newest first, with filters', async () => {
  const c = client();
  await c.signIn(ACCOUNTS.officer);
  const seen: { id: string; startedAt: string }[] = [];
  let after: string | null = null;
  do {
    const q: string = after ? `&after=${after}` : '';
    const r = await c.request('GET', `/api/recordings?limit=1${q}`);
    assert.equal(r.status, 200);
    seen.push(...r.json.recordings);
    after = r.json.next;
  } while (after);
  assert.equal(seen.length, 4);
  assert.equal(new Set(seen.map((r) => r.id)).size, 4);
  const times = seen.map((r) => r.startedAt);
  assert.deepEqual(times, [...times].sort().reverse());
  const web01 = await c.request('GET', '/api/recordings?target=web01&sort=oldest');
  assert.equal(web01.json.recordings.length, 2);
  assert.equal((await c.request('GET', '/api/recordings?after=garbage')).status, 400);
  assert.equal((await c.request('GET', '/api/recordings?limit=100000')).status, 400);
});

test('a recording comes as its manifest, the key sealed to the account, checkpoints and ciphertext chunks that open only with the key file', async () => {
  const c = client();
  await c.signIn(ACCOUNTS.auditor);
  const id = (await c.request('GET', '/api/recordings?target=web01')).json.recordings[0].id as string;
  const r = await c.request('GET', `/api/recordings/${id}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.sealedToYou, true);
  assert.equal(r.json.manifest.recipients.length, 1, 'only the key sealed to the account\'s own recipient');
  assert.ok(r.json.checkpoints.length >= 1);
  const tty = r.json.manifest.streams.find((s: { name: string }) => s.name === 'tty');
  const chunks: Buffer[] = [];
  for (let i = 0; ; i++) {
    const ch = await c.request('GET', `/api/recordings/${id}/streams/${tty.id}/chunks/${i}`);
    if (ch.status === 404) break;
    assert.equal(ch.status, 200);
    assert.equal(ch.headers.get('content-type'), 'application/octet-stream');
    chunks.push(ch.bytes);
  }
  assert.ok(chunks.length >= 1);
  // The auditor's own machine opens them.
  const s = defaultSodium();
  const pair = decryptKeyFile(s, await readFile(gw.home.key('officer'), 'utf8'), PASSPHRASE, 'officer.key');
  const opener = RecordOpener.open(s, r.json.manifest, pair);
  const text = chunks
    .flatMap((ch, i) => decodeFrames(opener.openChunk(tty.id, i, ch).plaintext))
    .flatMap((f) => (f.kind === FrameKind.Data ? [Buffer.from(f.data).toString('utf8')] : []))
    .join('');
  assert.ok(text.includes(MARKER));
});

test('the console audit log records sign-ins, lists, views, chunk fetches and refusals, signed and chained', async () => {
  const c = client();
  await c.signIn(ACCOUNTS.admin);
  const r = await c.request('GET', '/api/audit');
  assert.equal(r.status, 200);
  const entries = r.json.entries as AuditEntry[];
  const actions = new Set(entries.map((e) => e.action));
  for (const a of ['sign-in', 'sign-in-failed', 'sign-out', 'list', 'view', 'chunks', 'refused']) assert.ok(actions.has(a as never), a);
  assert.equal(verifyAuditChain(defaultSodium(), Buffer.from(r.json.signer, 'base64'), entries), null);
  const chunkLines = entries.filter((e) => e.action === 'chunks' && e.account === ACCOUNTS.auditor.name);
  assert.equal(chunkLines.length, 1, 'chunk fetches are logged once per recording per sign-in');
  assert.ok(entries.some((e) => e.action === 'refused' && e.account === ACCOUNTS.auditor.name && e.recording));
  const text = JSON.stringify(entries);
  for (const a of Object.values(ACCOUNTS)) assert.ok(!text.includes(a.password), 'no password in the audit log');
  // Tampering is found.
  const forged = entries.map((e, i) => (i === 1 ? { ...e, account: 'someone-else' } : e));
  assert.match(verifyAuditChain(defaultSodium(), Buffer.from(r.json.signer, 'base64'), forged) ?? '', /entry 1/);
});

// Last: it blocks the loopback address every client here signs in from.
test('failed sign-ins from one address are rate limited, even a right password while blocked', async () => {
  const bad = client();
  const codes: number[] = [];
  for (let i = 0; i < 6; i++) codes.push(await bad.signIn({ name: ACCOUNTS.admin.name, password: 'wrong' }));
  // maxFailures is 5; the successful sign-ins before cleared earlier failures.
  assert.deepEqual(codes, [401, 401, 401, 401, 401, 429]);
  assert.equal(await bad.signIn(ACCOUNTS.admin), 429);
});
