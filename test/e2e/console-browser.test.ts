/**
 * The web console in a real headless Chromium against a real gateway: sign
 * in, open the auditor's key file with its passphrase, play an SSH recording
 * and see what the session showed. Every request and response is captured:
 * none holds the recorded text, the passphrase or the private key, and none
 * leaves the console's origin.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decryptKeyFile } from '../../src/seal/keys.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { launchBrowser, signInToConsole, type Browser } from '../fixtures/browser.js';
import { ACCOUNTS, startConsoleGateway, type ConsoleGateway } from '../fixtures/console-gateway.js';
import { PASSPHRASE } from '../fixtures/gateway-env.js';
import type { Step } from '../fixtures/record-session.js';

const MARKER = 'RG-BROWSER-MARKER-a41c';
const WRONG_PASSPHRASE = 'not the passphrase 9c2e';
const steps: Step[] = [
  { op: 'terminal', cols: 80, rows: 24 },
  { op: 'output', text: '\x1b[1;32malice@web01\x1b[0m:~$ ' },
  { op: 'sleep', ms: 50 },
  { op: 'output', text: `echo ${MARKER}\r\n${MARKER}\r\n` },
  { op: 'event', event: { type: 'command', command: `echo ${MARKER}` } },
  { op: 'output', text: '\x1b]0;title\x07\x1b]52;c;Zm9v\x07alice@web01:~$ exit\r\nlogout\r\n' },
];

/** Every regular file below `dir`, with its bytes. */
async function filesUnder(dir: string): Promise<{ name: string; bytes: Buffer }[]> {
  const out: { name: string; bytes: Buffer }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push({ name: path, bytes: await readFile(path) });
  }
  return out;
}

let gw: ConsoleGateway;
let browser: Browser;

before(async () => {
  gw = await startConsoleGateway(async (home) => {
    await home.record({ who: { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' }, steps });
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

test('an auditor signs in, unlocks the key in the page and plays an SSH recording; nothing secret crosses the wire', async () => {
  const { page } = browser;
  await signInToConsole(page, gw.base, ACCOUNTS.auditor);
  // A wrong passphrase is told in the page, and the key stays closed.
  await page.setInputFiles('#unlock input[name=key]', gw.home.key('officer'));
  await page.fill('#unlock input[name=passphrase]', WRONG_PASSPHRASE);
  await page.click('#unlock button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#status')?.textContent?.includes('wrong passphrase') ?? false, undefined, { timeout: 30_000 });
  assert.equal(await page.isVisible('#unlock'), true);
  await page.setInputFiles('#unlock input[name=key]', gw.home.key('officer'));
  await page.fill('#unlock input[name=passphrase]', PASSPHRASE);
  await page.click('#unlock button[type=submit]');
  await page.waitForSelector('#rows button', { timeout: 30_000 });
  // The list says who, where from, how long, how big and in what state.
  const cells = await page.locator('#rows tr').first().locator('td').allTextContents();
  assert.deepEqual(cells.slice(1, 5), ['alice', 'web01', 'ssh', '127.0.0.1'], cells.join(' | '));
  assert.match(cells[6]!, /^\d+(\.\d)? (B|KiB)$/, cells.join(' | '));
  assert.equal(cells[7], 'complete');
  await page.click('#rows button');
  await page.waitForFunction((m) => document.querySelector('#player')?.textContent?.includes(m) ?? false, MARKER, { timeout: 30_000 });
  const events = await page.locator('#events button').allTextContents();
  assert.ok(events.some((e) => e.includes(`command: echo ${MARKER}`)), events.join('\n'));
  // Jump to the command and change speed: the player keeps showing the session.
  await page.click('#events button');
  await page.selectOption('#speed', '2');
  await page.waitForFunction((m) => document.querySelector('#player')?.textContent?.includes(m) ?? false, MARKER, { timeout: 30_000 });

  // Lock forgets the key: playing again asks for the key file.
  await page.click('#back');
  await page.click('#lock');
  await page.waitForSelector('#unlock:not([hidden])');

  const exchanges = await browser.settled();
  assert.ok(exchanges.length > 5);
  const s = defaultSodium();
  const pair = decryptKeyFile(s, await readFile(gw.home.key('officer'), 'utf8'), PASSPHRASE, 'officer.key');
  const secrets = [
    MARKER,
    PASSPHRASE,
    WRONG_PASSPHRASE,
    Buffer.from(pair.secretKey).toString('base64'),
    Buffer.from(pair.secretKey).toString('hex'),
    (JSON.parse(await readFile(gw.home.key('officer'), 'utf8')) as { sealed: string }).sealed,
  ];
  for (const ex of exchanges) {
    assert.ok(ex.url.startsWith(gw.base + '/'), `request to another origin: ${ex.url}`);
    const wire = Buffer.concat([
      Buffer.from(`${ex.method} ${ex.url}\n${JSON.stringify(ex.requestHeaders)}\n${JSON.stringify(ex.responseHeaders ?? {})}\n`),
      ex.requestBody,
      ex.responseBody ?? Buffer.alloc(0),
    ]);
    for (const secret of secrets) assert.ok(!wire.includes(Buffer.from(secret)), `${ex.method} ${ex.url} carries a secret`);
    assert.ok(!wire.includes(Buffer.from(pair.secretKey)), `${ex.url} carries the raw private key`);
  }
  assert.ok(exchanges.some((ex) => ex.url.includes('/chunks/')), 'chunks were fetched as ciphertext');
  // Nor does anything the server side keeps: its log and every file under the gateway's home.
  // The server's side is its log, its config and its data directory (the test's home also
  // holds the auditor's key file and the script of the recorded session, which are not).
  const home = await filesUnder(gw.home.dir);
  const kept = [
    { name: 'the gateway log', bytes: Buffer.from(gw.daemon.log()) },
    ...home.filter((f) => f.name.startsWith(join(gw.home.dir, 'data') + '/') || f.name.endsWith('.yaml')),
  ];
  assert.ok(kept.some((f) => f.name.endsWith('console-audit.jsonl')), 'the console audit log is among the files checked');
  for (const f of kept) {
    for (const secret of secrets) assert.ok(!f.bytes.includes(Buffer.from(secret)), `${f.name} holds a secret`);
    assert.ok(!f.bytes.includes(Buffer.from(pair.secretKey)), `${f.name} holds the raw private key`);
  }
  const violations = browser.messages.filter((m) => /Content Security Policy|pageerror/i.test(m));
  assert.deepEqual(violations, []);
});
