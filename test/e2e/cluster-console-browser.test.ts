/**
 * The console page of node B watching a live SSH session on node A (two
 * `recgate start` nodes sharing a real PostgreSQL store) in a real headless
 * Chromium: the page lists the session with its node, shows what the person
 * types within two seconds (the chunks read from the shared store, decrypted
 * in the page), and terminates it with a message the person sees.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, type Browser } from '../fixtures/browser.js';
import { GatewayCluster } from '../fixtures/cluster.js';
import { ACCOUNTS } from '../fixtures/console-gateway.js';
import { PASSPHRASE } from '../fixtures/gateway-env.js';
import { Tmux } from '../fixtures/tmux.js';

let cluster: GatewayCluster;
let browser: Browser | undefined;
let term: Tmux | undefined;

before(async () => {
  cluster = await GatewayCluster.start(['node-a', 'node-b'], { heartbeatInterval: '300ms', heartbeatTimeout: '3s', consoleOn: ['node-b'] });
});
after(async () => {
  await browser?.close();
  await term?.stop();
  await cluster?.stop();
});

test("node B's console page follows node A's session live and terminates it", async () => {
  term = await Tmux.start(['ssh', ...cluster.sshArgs('node-a')], 100, 30);
  await term.waitFor(/:~[#$]/, 20_000);
  const base = cluster.node('node-b').console!;
  browser = await launchBrowser();
  const { page } = browser;
  await page.goto(base + '/');
  await page.fill('#sign-in input[name=name]', ACCOUNTS.officer.name);
  await page.fill('#sign-in input[name=password]', ACCOUNTS.officer.password);
  await page.click('#sign-in button[type=submit]');
  await page.setInputFiles('#unlock input[name=key]', cluster.home.key('officer'));
  await page.fill('#unlock input[name=passphrase]', PASSPHRASE);
  await page.click('#unlock button[type=submit]');
  await page.waitForSelector('#recordings:not([hidden])', { timeout: 30_000 });
  await page.click('#nav-live');
  await page.waitForSelector('#live-rows button[data-id]', { timeout: 15_000 });
  const row = await page.textContent('#live-rows tr');
  assert.match(row ?? '', /alice.*web01.*ssh.*node-a/s);
  await page.click('#live-rows button[data-id]');
  await page.waitForFunction(() => /:~[#$]/.test(document.querySelector('#live-player')?.textContent ?? ''), undefined, { timeout: 30_000 });

  const onScreen = (async () => {
    await term!.type('echo RG-NODE-$((6*7))-b2');
    await term!.waitFor(/^RG-NODE-42-b2$/m);
    return performance.now();
  })();
  await page.waitForFunction(() => document.querySelector('#live-player')?.textContent?.includes('RG-NODE-42-b2') ?? false, undefined, { timeout: 30_000, polling: 20 });
  const behind = performance.now() - (await onScreen);
  console.log(`live view on node B: ${Math.round(behind)} ms behind the client's screen on node A`);
  assert.ok(behind <= 2000, `the page was ${Math.round(behind)} ms behind the client's screen`);

  await page.fill('#live-terminate input[name=message]', 'Closed from node B RG-END-3d');
  await page.click('#live-terminate button[type=submit]');
  await term.waitFor(/Closed from node B RG-END-3d/);
  await page.waitForFunction(() => document.querySelector('#live-state')?.textContent?.includes('ended (terminated)') ?? false, undefined, { timeout: 15_000 });
});
