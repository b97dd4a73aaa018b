/**
 * Live sessions in the web console, end to end: a real gateway in front of a
 * real sshd, real `ssh` clients, and the console page in a real headless
 * Chromium. An officer watches a running session as it happens (decrypted in
 * the page, at most two seconds behind the person's screen), sends the person
 * a message and terminates the session with one. The API refuses what an
 * account may not do, each refusal an audit line; and with console.tls the
 * console speaks HTTPS with the gateway's certificate and a Secure cookie.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hashPassword } from '../../src/auth/passwords.js';
import type { AuditEntry } from '../../src/console/audit.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { launchBrowser, type Browser } from '../fixtures/browser.js';
import { ACCOUNTS, ConsoleClient, consoleSection } from '../fixtures/console-gateway.js';
import { freePort, PASSPHRASE } from '../fixtures/gateway-env.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';
import { Tmux } from '../fixtures/tmux.js';
import { readZip } from '../fixtures/zip.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** An auditor of web01: may list its live sessions, never watch, message or terminate them. */
const WENDY = { name: 'wendy', password: 'wendy-sign-in-pw-51d0', role: 'auditor' } as const;

let g: SshGateway;
let base: string;
let browser: Browser | undefined;
const clients: ConsoleClient[] = [];
const client = (): ConsoleClient => {
  const c = new ConsoleClient(base);
  clients.push(c);
  return c;
};

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const wendy = `    - { name: ${WENDY.name}, password: "${hashPassword(defaultSodium(), WENDY.password)}", role: auditor, recipient: officer, targets: [web01] }`;
  // audrey audits only the target `other`.
  g = await SshGateway.start({ console: `127.0.0.1:${port}`, top: [...consoleSection('targets: [other]'), wendy].join('\n') });
});
after(async () => {
  await browser?.close();
  await g?.stop();
});

async function liveIds(c: ConsoleClient): Promise<string[]> {
  const r = await c.request('GET', '/api/live');
  assert.equal(r.status, 200);
  return (r.json.sessions as { id: string }[]).map((s) => s.id);
}

async function waitForLive(c: ConsoleClient, count: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const ids = await liveIds(c);
    if (ids.length === count) return ids;
    await sleep(50);
  }
  throw new Error(`never ${count} live sessions`);
}

async function recordedEvents(id: string): Promise<Record<string, unknown>[]> {
  const out = join(g.home.dir, `${id}.zip`);
  const r = await g.home.cli(['recordings', 'export', id, '--key', g.home.key('officer'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  return (await readZip(out)).get(`${id}.events.jsonl`)!.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('rights: signed out is 401; auditors may not watch, message or terminate, nor see another target; each refusal is audited; a cross-site POST is refused', async () => {
  const ssh: ChildProcess = spawn('ssh', [...g.sshArgs(), 'sleep 120'], { stdio: 'ignore' });
  try {
    const officer = client();
    assert.equal(await officer.signIn(ACCOUNTS.officer), 200);
    const [id] = await waitForLive(officer, 1);
    const paths = [`/api/live/${id}`, `/api/live/${id}/updates?since=0`];
    const posts = [`/api/live/${id}/message`, `/api/live/${id}/terminate`];

    const anonymous = client();
    assert.equal((await anonymous.request('GET', '/api/live')).status, 401);
    for (const p of paths) assert.equal((await anonymous.request('GET', p)).status, 401, p);
    for (const p of posts) assert.equal((await anonymous.request('POST', p, { text: 'x', message: 'x' })).status, 401, p);

    // An auditor of another target does not see the session, and is refused it everywhere.
    const audrey = client();
    assert.equal(await audrey.signIn(ACCOUNTS.auditor), 200);
    assert.deepEqual(await liveIds(audrey), []);
    assert.equal((await audrey.request('GET', `/api/recordings/${id}`)).status, 403);
    assert.equal((await audrey.request('GET', `/api/recordings/${id}/streams/1/chunks/0`)).status, 403);
    for (const p of paths) assert.equal((await audrey.request('GET', p)).status, 403, p);
    assert.equal((await audrey.request('POST', posts[0]!, { text: 'hello' })).status, 403);
    assert.equal((await audrey.request('POST', posts[1]!, { message: 'bye' })).status, 403);

    // An auditor of this target lists it, and may still not act on it.
    const wendy = client();
    assert.equal(await wendy.signIn(WENDY), 200);
    const listed = await wendy.request('GET', '/api/live');
    assert.deepEqual(listed.json.sessions.map((s: { id: string }) => s.id), [id]);
    assert.equal(listed.json.canAct, false);
    for (const p of paths) assert.equal((await wendy.request('GET', p)).status, 403, p);
    assert.equal((await wendy.request('POST', posts[0]!, { text: 'hello' })).status, 403);
    assert.equal((await wendy.request('POST', posts[1]!, { message: 'bye' })).status, 403);

    // The officer's own POSTs from another origin, or without the CSRF token, are refused.
    assert.equal((await officer.request('POST', posts[1]!, { message: 'forged' }, { origin: 'http://evil.example' })).status, 403);
    assert.equal((await officer.request('POST', posts[0]!, { text: 'forged' }, { 'x-recgate-csrf': 'not-the-token' })).status, 403);
    assert.equal((await officer.request('POST', posts[0]!, { text: 7 })).status, 400);
    assert.equal((await officer.request('GET', '/api/audit')).status, 403, 'only admins read the audit log');
    assert.deepEqual(await liveIds(officer), [id], 'every refused terminate left the session running');
    assert.equal((await officer.request('GET', paths[0]!)).status, 200);

    const admin = client();
    assert.equal(await admin.signIn(ACCOUNTS.admin), 200);
    assert.deepEqual(await liveIds(admin), [id]);
    const audit = await admin.request('GET', '/api/audit');
    assert.equal(audit.status, 200);
    const entries = audit.json.entries as AuditEntry[];
    const refused = (account: string) => entries.filter((e) => e.action === 'refused' && e.account === account && e.recording === id);
    assert.equal(refused(ACCOUNTS.auditor.name).length, 6, 'recording, chunk, watch, updates, message, terminate');
    assert.equal(refused(WENDY.name).length, 4, 'watch, updates, message, terminate');
    assert.ok(refused(WENDY.name).every((e) => /may not (watch|message|terminate) live sessions/.test(e.detail ?? '')));
    const crossSite = entries.filter((e) => e.action === 'refused' && e.account === ACCOUNTS.officer.name && /cross-site/.test(e.detail ?? ''));
    assert.equal(crossSite.length, 2);
    assert.ok(entries.some((e) => e.action === 'watch' && e.account === ACCOUNTS.officer.name && e.recording === id));
    assert.ok(entries.some((e) => e.action === 'live-list' && e.account === WENDY.name));
  } finally {
    ssh.kill('SIGTERM');
    await new Promise((r) => ssh.once('close', r));
  }
});

test('an officer watches a running SSH session in the page within two seconds of the screen, messages the person and terminates the session', async () => {
  const watcher = client();
  await watcher.signIn(ACCOUNTS.admin);
  await waitForLive(watcher, 0);
  const term = await Tmux.start(['ssh', ...g.sshArgs()], 100, 30);
  try {
    await term.waitFor(/:~[#$]/);
    const [id] = await waitForLive(watcher, 1);
    browser = await launchBrowser();
    const { page } = browser;
    await page.goto(base + '/');
    await page.fill('#sign-in input[name=name]', ACCOUNTS.officer.name);
    await page.fill('#sign-in input[name=password]', ACCOUNTS.officer.password);
    await page.click('#sign-in button[type=submit]');
    await page.setInputFiles('#unlock input[name=key]', g.home.key('officer'));
    await page.fill('#unlock input[name=passphrase]', PASSPHRASE);
    await page.click('#unlock button[type=submit]');
    await page.waitForSelector('#recordings:not([hidden])', { timeout: 30_000 });
    await page.click('#nav-live');
    await page.click(`#live-rows button[data-id="${id}"]`);
    // What the session showed before the page opened it: the prompt.
    await page.waitForFunction(() => /:~[#$]/.test(document.querySelector('#live-player')?.textContent ?? ''), undefined, { timeout: 30_000 });

    // Typed after the page opened it; its output exists only once the shell ran it.
    const marker = 'RG-LIVE-42-c7';
    const onScreen = (async () => {
      await term.type('echo RG-LIVE-$((6*7))-c7');
      await term.waitFor(/^RG-LIVE-42-c7$/m);
      return performance.now();
    })();
    const t0 = performance.now();
    await page.waitForFunction((m) => document.querySelector('#live-player')?.textContent?.includes(m) ?? false, marker, { timeout: 30_000, polling: 20 });
    const inPage = performance.now();
    const screenAt = await onScreen;
    const behind = inPage - screenAt;
    console.log(`live view: the marker showed in the page ${Math.round(inPage - t0)} ms after it was typed, ${Math.round(behind)} ms after the client's screen`);
    assert.ok(behind <= 2000, `the page was ${Math.round(behind)} ms behind the client's screen`);

    await page.fill('#live-message input[name=text]', 'Please save your work\x1b[2J RG-MSG-5e');
    await page.click('#live-message button[type=submit]');
    await term.waitFor(/Please save your work \[2J RG-MSG-5e/);
    await page.waitForFunction(() => document.querySelector('#live-state')?.textContent?.includes('RG-MSG-5e') ?? false);

    await page.fill('#live-terminate input[name=message]', 'Closing for maintenance RG-END-9a');
    await page.click('#live-terminate button[type=submit]');
    await term.waitFor(/Closing for maintenance RG-END-9a/);
    for (let i = 0; i < 100 && (await term.command()) === 'ssh'; i++) await sleep(50);
    assert.notEqual(await term.command(), 'ssh', 'the ssh client exited');
    await page.waitForFunction(() => document.querySelector('#live-state')?.textContent?.includes('ended (terminated)') ?? false, undefined, { timeout: 15_000 });

    let rec: { status: string; endReason: string | null } | undefined;
    for (let i = 0; i < 100 && rec?.status !== 'complete'; i++) {
      rec = (await g.recordings()).find((r) => r.id === id);
      if (rec?.status !== 'complete') await sleep(100);
    }
    assert.equal(rec?.status, 'complete');
    assert.equal(rec?.endReason, 'terminated');
    const events = await recordedEvents(id!);
    assert.ok(events.some((e) => e.type === 'message' && e.message === 'Please save your work [2J RG-MSG-5e' && e.by === `console:${ACCOUNTS.officer.name}`));
    assert.ok(events.some((e) => e.type === 'terminate' && e.message === 'Closing for maintenance RG-END-9a' && e.by === `console:${ACCOUNTS.officer.name}`));
    assert.equal(events.at(-1)!.reason, 'terminated');

    // What the session showed crossed the wire only as ciphertext.
    const exchanges = await browser.settled();
    assert.ok(exchanges.some((ex) => ex.url.includes('/updates?since=')), 'the page long-polled');
    for (const ex of exchanges) {
      assert.ok(ex.url.startsWith(base + '/'), `request to another origin: ${ex.url}`);
      if (/\/(chunks|updates)/.test(ex.url)) assert.ok(!(ex.responseBody ?? Buffer.alloc(0)).includes(marker), `${ex.url} carries the session's text`);
    }
    assert.deepEqual(browser.messages.filter((m) => /Content Security Policy|pageerror/i.test(m)), []);
    const audit = (await watcher.request('GET', '/api/audit')).json.entries as AuditEntry[];
    for (const action of ['watch', 'message', 'terminate']) {
      assert.ok(audit.some((e) => e.action === action && e.account === ACCOUNTS.officer.name && e.recording === id), action);
    }

    // An admin reads the console's audit log in the page; an officer has no such view.
    assert.equal(await page.isVisible('#nav-audit'), false);
    await page.click('#sign-out');
    await page.fill('#sign-in input[name=name]', ACCOUNTS.admin.name);
    await page.fill('#sign-in input[name=password]', ACCOUNTS.admin.password);
    await page.click('#sign-in button[type=submit]');
    await page.click('#nav-audit');
    await page.waitForSelector('#audit-log:not([hidden]) #audit-rows tr');
    const rows = await page.locator('#audit-rows tr').allTextContents();
    assert.ok(rows.some((r) => r.includes(ACCOUNTS.officer.name) && r.includes('terminate') && r.includes(id!) && r.includes('RG-END-9a')), rows.slice(0, 5).join('\n'));
  } finally {
    await term.stop();
  }
});

test('with console.tls the console serves HTTPS with the gateway certificate and a Secure cookie', async () => {
  const port = await freePort();
  const tls = await SshGateway.start({ console: `127.0.0.1:${port}`, top: consoleSection('users: [alice]', ['  tls: true']).join('\n') });
  try {
    const certPem = await readFile(join(tls.home.dir, 'data', 'tls', 'gateway.crt'));
    const origin = `https://127.0.0.1:${port}`;
    const body = JSON.stringify({ name: ACCOUNTS.officer.name, password: ACCOUNTS.officer.password });
    const answer = await new Promise<{ status: number; cookie: string; peer: Buffer }>((resolve, reject) => {
      const req = httpsRequest(
        `${origin}/api/session`,
        { method: 'POST', ca: certPem, headers: { origin, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().raw;
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? ''), peer }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.peer, new X509Certificate(certPem).raw, 'the gateway certificate');
    assert.match(answer.cookie, /; Secure/i);
    assert.match(answer.cookie, /HttpOnly/i);
    // Plain HTTP on that port is not served.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  } finally {
    await tls.stop();
  }
});
