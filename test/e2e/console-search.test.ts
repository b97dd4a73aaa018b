/**
 * Search and download in the console page, in a real headless Chromium
 * against a real gateway: a PostgreSQL session run with the real psql
 * through the gateway to a real PostgreSQL, and SSH sessions made through
 * the gateway's recorder in the same home, searched in the page, a hit
 * opening the player at its moment, a search cancelled midway, and the zip
 * the page builds compared file by file with what `recgate recordings
 * export` writes for the same recording. The query never crosses the wire;
 * the audit log holds one line per search (with the count only) and one per
 * download.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, type Browser } from '../fixtures/browser.js';
import { ACCOUNTS, ConsoleClient, consoleSection } from '../fixtures/console-gateway.js';
import { freePort, type GatewayHome } from '../fixtures/gateway-env.js';
import { PgGateway } from '../fixtures/pg-gateway.js';
import { signInAndUnlock, statusText } from '../fixtures/console-page.js';
import type { Step } from '../fixtures/record-session.js';
import { readZip } from '../fixtures/zip.js';

const COMMAND = 'deploy --tag RG-SEARCH-CMD-7d1f';
const QUERY = "SELECT 'RG-SEARCH-Q-42aa' AS ref, 6 * 7 AS answer";
const EARLY = 'EARLY-SCREEN-5b0e';
const AT_COMMAND = 'AT-COMMAND-SCREEN-91c3';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const ssh: Step[] = [
  { op: 'terminal', cols: 80, rows: 24 },
  { op: 'output', text: `alice@web01:~$ echo ${EARLY}\r\n${EARLY}\r\n` },
  { op: 'sleep', ms: 5000 },
  // The screen is cleared when the command runs: a player opened at the command never shows EARLY.
  { op: 'input', text: `${COMMAND}\r` },
  { op: 'output', text: `\x1b[2J\x1b[Halice@web01:~$ ${COMMAND}\r\n${AT_COMMAND}\r\n` },
  { op: 'event', event: { type: 'command', command: COMMAND } },
  { op: 'sleep', ms: 300 },
  { op: 'resize', cols: 100, rows: 30 },
  { op: 'output', text: 'alice@web01:~$ exit\r\nlogout\r\n' },
];

let gw: { base: string; home: GatewayHome };
let pg: PgGateway;
let browser: Browser;
const ids: Record<'ssh' | 'postgres' | 'filler1' | 'filler2', string> = { ssh: '', postgres: '', filler1: '', filler2: '' };

before(async () => {
  const port = await freePort();
  pg = await PgGateway.start({ console: `127.0.0.1:${port}`, top: consoleSection().join('\n') });
  gw = { base: `http://127.0.0.1:${port}`, home: pg.home };
  const { home } = pg;
  ids.ssh = await home.record({ who: { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' }, keystrokes: true, steps: ssh });
  for (const name of ['filler1', 'filler2'] as const) {
    ids[name] = await home.record({
      who: { user: 'alice', target: 'web02', protocol: 'ssh', clientAddress: '127.0.0.1' },
      steps: [{ op: 'terminal', cols: 80, rows: 24 }, { op: 'output', text: 'nothing to see\r\n' }, { op: 'event', event: { type: 'command', command: 'uptime' } }],
    });
  }
  const count = (await pg.recordings()).length;
  const r = await pg.psql(['-c', QUERY]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /RG-SEARCH-Q-42aa/);
  ids.postgres = (await pg.endedRecording(count)).id;
  browser = await launchBrowser({ downloads: true });
  await signInAndUnlock(browser.page, gw.base, gw.home.key('officer'));
});
after(async () => {
  await browser?.close();
  await pg?.stop();
});

async function search(text: string): Promise<void> {
  const { page } = browser;
  await page.fill('#search input[name=q]', text);
  await page.click('#search button[type=submit]');
}

async function finished(): Promise<string> {
  const { page } = browser;
  await page.waitForFunction(() => /hits? in \d+ recording|Cancelled|Stopped/.test(document.querySelector('#search-progress')?.textContent ?? ''), undefined, { timeout: 60_000 });
  return (await page.textContent('#search-progress')) ?? '';
}

test('search finds a command in an SSH recording and a query in a PostgreSQL recording; the query stays in the page', async () => {
  const { page } = browser;
  const before = browser.exchanges.length;
  await search('rg-search-cmd-7D1F');
  assert.match(await finished(), /^1 hit in 4 recordings/);
  const hits = await page.locator('#search-hits li').allTextContents();
  assert.equal(hits.length, 1, hits.join('\n'));
  assert.match(hits[0]!, /alice@web01 \(ssh\)/);
  assert.ok(hits[0]!.includes(`command: command=${COMMAND}`), hits[0]);
  assert.equal(await page.getAttribute('#search-hits button', 'data-id'), ids.ssh);

  await search('RG-SEARCH-Q-42aa');
  assert.match(await finished(), /^1 hit in 4 recordings/);
  const pgHits = await page.locator('#search-hits li').allTextContents();
  assert.equal(pgHits.length, 1, pgHits.join('\n'));
  assert.match(pgHits[0]!, /alice@pg01 \(postgres\)/);
  assert.ok(pgHits[0]!.includes('RG-SEARCH-Q-42aa'), pgHits[0]);
  assert.equal(await page.getAttribute('#search-hits button', 'data-id'), ids.postgres);

  const eventsStreams = await eventsStreamIds();
  // Responses still being read after 10 s are checked as far as captured (their requests in full).
  const exchanges = (await Promise.race([browser.settled(), sleep(10_000).then(() => browser.exchanges)])).slice(before);
  assert.ok(exchanges.length > 8, `${exchanges.length} requests`);
  assert.ok(exchanges.some((e) => e.url.includes(`/api/recordings/${ids.postgres}/streams/`)), 'the events were fetched as chunks');
  for (const ex of exchanges) {
    const wire = Buffer.concat([Buffer.from(`${ex.url}\n${JSON.stringify(ex.requestHeaders)}\n`), ex.requestBody, ex.responseBody ?? Buffer.alloc(0)]);
    for (const secret of ['RG-SEARCH-Q-42aa', 'rg-search-cmd-7D1F', 'RG-SEARCH-CMD-7d1f']) assert.ok(!wire.includes(Buffer.from(secret)), `${ex.method} ${ex.url} carries the query`);
    // Only the events stream of each recording is read: never its terminal output.
    const m = /\/recordings\/([^/]+)\/streams\/(\d+)\/chunks\//.exec(ex.url);
    if (m) assert.equal(Number(m[2]), eventsStreams.get(m[1]!), `${ex.url}: a search reads the events stream only`);
  }
  const audit = await auditLog();
  const searches = audit.filter((e) => e.action === 'search');
  assert.deepEqual(searches.map((e) => e.detail), ['search over 4 recordings', 'search over 4 recordings']);
  assert.ok(!JSON.stringify(audit).includes('42aa'), 'the query is not in the audit log');
});

test('a hit opens the player at its moment', async () => {
  const { page } = browser;
  await search(COMMAND);
  await finished();
  await page.click(`#search-hits button[data-id="${ids.ssh}"]`);
  const seen: string[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = (await page.isVisible('#player-view')) ? ((await page.textContent('#player')) ?? '') : '';
    if (text !== '') seen.push(text);
    if (text.includes(AT_COMMAND)) break;
    assert.ok(Date.now() < deadline, `the player never showed the command's screen: ${await statusText(page)}`);
    await sleep(50);
  }
  assert.ok(!seen.some((t) => t.includes(EARLY)), 'the player started before the command (showed the screen cleared at it)');
  await page.click('#back');
});

test('cancel stops a search: no recording is read after it', async () => {
  const { page } = browser;
  // Each chunk answer is held back a while, so the search is still under way when cancelled.
  await page.route('**/chunks/**', async (route) => {
    await sleep(700);
    await route.continue().catch(() => undefined);
  });
  try {
    await search('uptime');
    await page.waitForFunction(() => /^[1-3] of 4 recordings$/.test(document.querySelector('#search-progress')?.textContent ?? ''), undefined, { timeout: 30_000 });
    assert.equal(await page.isVisible('#search-cancel'), true);
    await page.click('#search-cancel');
    const text = await finished();
    const m = /^Cancelled after (\d) of 4 recordings/.exec(text);
    assert.ok(m, text);
    assert.ok(Number(m[1]) < 4, text);
    const countAtCancel = browser.exchanges.filter((e) => e.url.includes('/chunks/')).length;
    await sleep(3000);
    assert.equal(browser.exchanges.filter((e) => e.url.includes('/chunks/')).length, countAtCancel, 'chunks fetched after the cancel');
    assert.equal(await page.isVisible('#search-cancel'), false);
  } finally {
    await page.unroute('**/chunks/**');
  }
});

for (const which of ['ssh', 'postgres'] as const) {
  test(`the ${which} zip made in the page holds the files the CLI export writes, byte for byte; the download is audited`, async () => {
    const { page } = browser;
    await page.click('#back').catch(() => undefined);
    await page.click('#filters button[type=submit]');
    await page.click(`#rows button[data-id="${ids[which]}"]`);
    await page.waitForSelector('#player-view:not([hidden]) #downloads .download-zip', { timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#downloads .download-zip')]);
    assert.equal(download.suggestedFilename(), `${ids[which]}.zip`);
    const pageZip = join(gw.home.dir, `page-${which}.zip`);
    await download.saveAs(pageZip);
    const cliZip = join(gw.home.dir, `cli-${which}.zip`);
    const r = await gw.home.cli(['recordings', 'export', ids[which], '--key', gw.home.key('officer'), '--out', cliZip]);
    assert.equal(r.code, 0, r.stderr);
    const [mine, theirs] = [await readZip(pageZip), await readZip(cliZip)];
    assert.deepEqual([...mine.keys()].sort(), [...theirs.keys()].sort());
    assert.ok(mine.size >= (which === 'ssh' ? 6 : 4), [...mine.keys()].join(', '));
    for (const [name, bytes] of theirs) assert.ok(mine.get(name)!.equals(bytes), `${name} differs`);
    const downloads = (await auditLog()).filter((e) => e.action === 'download' && e.recording === ids[which]);
    assert.equal(downloads.length, 1);
    assert.equal(downloads[0]!.account, ACCOUNTS.auditor.name);
    await page.click('#back');
  });
}

/** Each recording's events stream id, from its manifest. */
async function eventsStreamIds(): Promise<Map<string, number>> {
  const admin = new ConsoleClient(gw.base);
  assert.equal(await admin.signIn(ACCOUNTS.admin), 200);
  const out = new Map<string, number>();
  for (const id of Object.values(ids)) {
    const r = await admin.request('GET', `/api/recordings/${id}`);
    out.set(id, (r.json.manifest.streams as { id: number; name: string }[]).find((s) => s.name === 'events')!.id);
  }
  return out;
}

async function auditLog(): Promise<{ action: string; account: string; recording?: string; detail?: string }[]> {
  const admin = new ConsoleClient(gw.base);
  assert.equal(await admin.signIn(ACCOUNTS.admin), 200);
  const r = await admin.request('GET', '/api/audit');
  assert.equal(r.status, 200);
  return r.json.entries;
}
