/**
 * Tamper evidence and bad input in the web console, in a real headless
 * Chromium against a real gateway whose store was altered on disk as
 * someone who can write only the data directory could: a byte flipped in a
 * chunk, a chunk file cut mid-record, checkpoints re-signed with a key of
 * their own, a recording cut short at a signed checkpoint, a recording
 * deleted after it was listed; and a key file that is not one. The page
 * says what is wrong in words, and goes on working.
 */
import assert from 'node:assert/strict';
import { open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, signInToConsole, type Browser } from '../fixtures/browser.js';
import { ACCOUNTS, ConsoleClient, startConsoleGateway, type ConsoleGateway } from '../fixtures/console-gateway.js';
import { PASSPHRASE, type GatewayHome } from '../fixtures/gateway-env.js';
import type { Step } from '../fixtures/record-session.js';
import { TamperedHome } from '../fixtures/tamper.js';

const MARKER = 'RG-INTEGRITY-MARKER-5d1e';
/** Three tty chunks: two full ones (64 KiB, then 128 KiB: a busy stream's chunks grow) and the rest. */
const steps: Step[] = [
  { op: 'terminal', cols: 80, rows: 24 },
  { op: 'output', text: `alice@web:~$ echo ${MARKER}\r\n${MARKER}\r\n` },
  { op: 'event', event: { type: 'command', command: `echo ${MARKER}` } },
  { op: 'repeat', times: 4, steps: [{ op: 'output', text: `${'log line of the session '.repeat(3)}\r\n`.repeat(800) }] },
  { op: 'output', text: 'alice@web:~$ exit\r\n' },
];
const TTY = 2;

let gw: ConsoleGateway;
let browser: Browser;
const ids: Record<string, string> = {};

async function recordAs(home: GatewayHome, target: string, extra: Step[] = [], user = 'alice'): Promise<void> {
  ids[target] = await home.record({ who: { user, target, protocol: 'ssh', clientAddress: '127.0.0.1' }, steps: [...steps, ...extra] });
}

function chunkFile(home: GatewayHome, target: string, stream = TTY): string {
  return join(home.recordingDir(ids[target]!), `${stream}.chunks`);
}

/** Flips one byte inside the ciphertext of chunk `index`. */
async function flipByte(path: string, index: number): Promise<void> {
  const bytes = await readFile(path);
  let at = 0;
  for (let i = 0; i < index; i++) at += 4 + bytes.readUInt32BE(at);
  const fh = await open(path, 'r+');
  try {
    const spot = at + 4 + 100;
    await fh.write(Buffer.from([bytes[spot]! ^ 0x01]), 0, 1, spot);
  } finally {
    await fh.close();
  }
}

before(async () => {
  gw = await startConsoleGateway(async (home) => {
    for (const target of ['web-good', 'web-flip', 'web-flip0', 'web-cut', 'web-forged', 'web-gone']) await recordAs(home, target);
    // A checkpoint falls inside this one (every 10 s), so it can be cut back to it.
    await recordAs(home, 'web-short', [{ op: 'sleep', ms: 10_500 }, { op: 'output', text: 'after the checkpoint\r\n' }]);
    await recordAs(home, 'web-bob', [], 'bob');
    const store = TamperedHome.at(home.dir);
    await flipByte(chunkFile(home, 'web-flip'), 1);
    await flipByte(chunkFile(home, 'web-flip0'), 0);
    await truncate(chunkFile(home, 'web-cut'), (await stat(chunkFile(home, 'web-cut'))).size - 10);
    await store.forge(ids['web-forged']!, 'alice', false);
    await store.cutShort(ids['web-short']!);
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

async function status(): Promise<string> {
  return (await browser.page.textContent('#status')) ?? '';
}

async function play(target: string): Promise<void> {
  const { page } = browser;
  if (await page.isVisible('#back')) await page.click('#back');
  await page.fill('#filters input[name=target]', target);
  await page.click('#filters button[type=submit]');
  await page.waitForFunction((t) => {
    const rows = [...document.querySelectorAll('#rows tr')];
    return rows.length === 1 && rows[0]!.children[2]?.textContent === t;
  }, target);
  await page.click('#rows button');
}

/** Plays `target` and waits for the page's verdict on it. */
async function verdict(target: string): Promise<{ state: string; text: string }> {
  await play(target);
  const { page } = browser;
  await page.waitForFunction(() => {
    const state = document.querySelector<HTMLElement>('#integrity')?.dataset.state;
    return state !== undefined && state !== 'checking' && !document.querySelector('#player-view')?.hasAttribute('hidden');
  }, undefined, { timeout: 60_000 });
  return page.evaluate(() => {
    const el = document.querySelector<HTMLElement>('#integrity')!;
    return { state: el.dataset.state ?? '', text: el.textContent ?? '' };
  });
}

test('a malformed key file is refused in words and the key stays closed', async () => {
  const { page } = browser;
  await signInToConsole(page, gw.base, ACCOUNTS.auditor);
  const bad = join(gw.home.dir, 'not-a-key.key');
  const good = await readFile(gw.home.key('officer'), 'utf8');
  for (const [content, expected] of [
    ['this is not a key file\n', /not-a-key\.key/],
    [good.slice(0, Math.floor(good.length / 2)), /truncated/],
  ] as const) {
    await writeFile(bad, content);
    await page.setInputFiles('#unlock input[name=key]', bad);
    await page.fill('#unlock input[name=passphrase]', PASSPHRASE);
    await page.click('#unlock button[type=submit]');
    await page.waitForFunction(() => (document.querySelector('#status')?.textContent ?? '').length > 0 && !document.querySelector('#status')?.textContent?.includes('Opening'), undefined, { timeout: 30_000 });
    assert.match(await status(), expected);
    assert.equal(await page.isVisible('#unlock'), true);
    assert.equal(await page.isVisible('#recordings'), false);
  }
  await page.setInputFiles('#unlock input[name=key]', gw.home.key('officer'));
  await page.fill('#unlock input[name=passphrase]', PASSPHRASE);
  await page.click('#unlock button[type=submit]');
  await page.waitForSelector('#rows button', { timeout: 30_000 });
});

test('an untouched recording plays and is verified against the gateway key the console trusts', async () => {
  const v = await verdict('web-good');
  assert.equal(v.state, 'verified', v.text);
  assert.match(v.text, /^verified: signed by gateway/);
  await browser.page.waitForFunction((m) => document.querySelector('#player')?.textContent?.includes(m) ?? false, MARKER, { timeout: 30_000 });
  const title = (await browser.page.getAttribute('#integrity', 'title')) ?? '';
  const line = (await readFile(`${gw.home.signingKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  assert.ok(title.includes(line), `the key believed is shown: ${title}`);
});

test('a flipped byte in a chunk, a cut chunk file and re-signed checkpoints each show as tampered, with the reason', async () => {
  const flip = await verdict('web-flip');
  assert.equal(flip.state, 'tampered', flip.text);
  assert.match(flip.text, /^tampered: stream tty chunk 1: ciphertext does not match its signed digest/);

  const cut = await verdict('web-cut');
  assert.equal(cut.state, 'tampered', cut.text);
  assert.match(cut.text, /^tampered: stream tty chunk 2: chunk 2 missing: checkpoints cover 3 chunks, the store holds 2 \(truncated or dropped\)/);

  const forged = await verdict('web-forged');
  assert.equal(forged.state, 'tampered', forged.text);
  assert.match(forged.text, /^tampered: signer \S+ is not trusted/);
});

test('a recording that ends at a signed checkpoint without the final one shows as cut short', async () => {
  const v = await verdict('web-short');
  assert.equal(v.state, 'cut-short', v.text);
  assert.match(v.text, /^cut short: no final signed checkpoint \(interrupted\), signed up to .+ by gateway/);
});

test('a first chunk that does not open, and a recording gone since it was listed, are told in the page', async () => {
  const { page } = browser;
  await play('web-flip0');
  await page.waitForFunction(() => document.querySelector('#status')?.textContent?.includes('authentication failed') ?? false, undefined, { timeout: 30_000 });
  assert.match(await status(), new RegExp(`recording ${ids['web-flip0']}: stream tty chunk 0: authentication failed`));

  await page.fill('#filters input[name=target]', 'web-gone');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 1 && document.querySelector('#rows tr')?.children[2]?.textContent === 'web-gone');
  await TamperedHome.at(gw.home.dir).deleteRecording(ids['web-gone']!);
  await page.click('#rows button');
  await page.waitForFunction(() => document.querySelector('#status')?.textContent?.includes('no recording') ?? false, undefined, { timeout: 30_000 });
  assert.equal(await status(), `no recording ${ids['web-gone']}`);

  // The page goes on: the good recording still plays and verifies.
  assert.equal((await verdict('web-good')).state, 'verified');
  const errors = browser.messages.filter((m) => /pageerror|Content Security Policy/i.test(m));
  assert.deepEqual(errors, []);
});

test('the trusted keys and the chunks of a stream are served only to who may see them', async () => {
  const client = new ConsoleClient(gw.base);
  assert.equal((await client.request('GET', '/api/signers')).status, 401);
  assert.equal((await client.request('GET', `/api/recordings/${ids['web-good']}/streams/${TTY}/chunks`)).status, 401);
  assert.equal(await client.signIn(ACCOUNTS.auditor), 200);
  const signers = await client.request('GET', '/api/signers');
  assert.deepEqual(signers.json.signers.map((k: { name: string }) => k.name), ['gateway']);
  // The auditor sees alice's recordings only: bob's chunks are refused, alice's come whole, as stored.
  assert.equal((await client.request('GET', `/api/recordings/${ids['web-bob']}/streams/${TTY}/chunks`)).status, 403);
  const whole = await client.request('GET', `/api/recordings/${ids['web-good']}/streams/${TTY}/chunks`);
  assert.equal(whole.status, 200);
  assert.deepEqual(whole.bytes, await readFile(join(gw.home.recordingDir(ids['web-good']!), `${TTY}.chunks`)));
});
