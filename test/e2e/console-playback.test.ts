/**
 * The terminal player's timeline in a real headless Chromium: a real `ssh`
 * client through the gateway to a real sshd (typed in a tmux pane), and real
 * psql through a PostgreSQL gateway. The auditor sees what was typed, plays
 * faster, skips the inactivity, seeks with a click on the progress bar, and
 * finds the recording's commands and queries as markers on it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ocrPng } from '../fixtures/ocr.js';
import { launchBrowser, type Browser } from '../fixtures/browser.js';
import { consoleSection } from '../fixtures/console-gateway.js';
import { signInAndUnlock } from '../fixtures/console-page.js';
import { freePort } from '../fixtures/gateway-env.js';
import { PgGateway } from '../fixtures/pg-gateway.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';
import { Tmux } from '../fixtures/tmux.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The pause in the SSH session, with nothing on screen (ms); the player shortens pauses to 2 s. */
const IDLE_MS = 6000;
const MARKER = 'RG-PLAY-42-b3';

let ssh: SshGateway;
let pg: PgGateway;
let browser: Browser;
const bases = { ssh: '', pg: '' };
const ids = { ssh: '', pg: '' };

async function sshSession(): Promise<string> {
  const term = await Tmux.start(['ssh', ...ssh.sshArgs()], 80, 24);
  try {
    await term.waitFor(/:~[#$]/);
    await term.type('echo RG-PLAY-$((6*7))-b3');
    await term.waitFor(/^RG-PLAY-42-b3$/m);
    await sleep(IDLE_MS);
    await term.resize(100, 30);
    await sleep(300);
    await term.type('seq 1 3; echo RG-AFTER-$((2*21))');
    await term.waitFor(/^RG-AFTER-42$/m);
    await term.type('exit');
    for (let i = 0; i < 100 && (await term.command()) === 'ssh'; i++) await sleep(50);
  } finally {
    await term.stop();
  }
  for (let i = 0; i < 100; i++) {
    const rec = (await ssh.recordings()).find((r) => r.status === 'complete');
    if (rec) return rec.id;
    await sleep(100);
  }
  throw new Error(`the SSH recording never completed: ${JSON.stringify(await ssh.recordings())}`);
}

before(async () => {
  const [sshPort, pgPort] = await Promise.all([freePort(), freePort()]);
  bases.ssh = `http://127.0.0.1:${sshPort}`;
  bases.pg = `http://127.0.0.1:${pgPort}`;
  // Both are kept as they come up, so that `after` stops the one that did when the other did not.
  const started = await Promise.allSettled([
    SshGateway.start({ console: `127.0.0.1:${sshPort}`, top: consoleSection().join('\n') }).then((g) => (ssh = g)),
    PgGateway.start({ console: `127.0.0.1:${pgPort}`, top: consoleSection().join('\n') }).then((g) => (pg = g)),
  ]);
  for (const r of started) if (r.status === 'rejected') throw r.reason;
  ids.ssh = await sshSession();
  const count = (await pg.recordings()).length;
  const r = await pg.psql(['-c', "SELECT 'RG-PLAY-Q' || 6*7 AS first", '-c', 'SELECT pg_sleep(3)', '-c', "SELECT 'RG-PLAY-LAST' AS last"]);
  assert.equal(r.code, 0, r.stderr);
  ids.pg = (await pg.endedRecording(count)).id;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await Promise.all([ssh?.stop(), pg?.stop()]);
});

/** The page's player: its time and length (s), the number of times it was mounted. */
const playerTime = (page: Page): Promise<{ current: number; duration: number }> =>
  page.evaluate(async () => {
    const p = (window as unknown as { ttyPlayer: { getCurrentTime(): number; getDuration(): number } }).ttyPlayer;
    return { current: await p.getCurrentTime(), duration: await p.getDuration() };
  });

/** Changes a control and waits for the player it mounts anew. */
async function remountWith(page: Page, change: () => Promise<unknown>): Promise<void> {
  await page.evaluate(() => Object.assign(window, { previousPlayer: (window as unknown as { ttyPlayer: unknown }).ttyPlayer }));
  await change();
  await page.waitForFunction(() => {
    const w = window as unknown as { ttyPlayer: unknown; previousPlayer: unknown };
    return w.ttyPlayer !== w.previousPlayer;
  }, undefined, { timeout: 30_000 });
}

/** Wall time (ms) from the start to the end of the recording at the player's speed. */
const playThrough = (page: Page): Promise<number> =>
  page.evaluate(async () => {
    const p = (window as unknown as { ttyPlayer: { seek(t: number): Promise<void>; play(): Promise<void>; pause(): Promise<void>; addEventListener(e: string, f: () => void): void } }).ttyPlayer;
    await p.pause();
    await p.seek(0);
    const ended = new Promise<number>((resolve) => p.addEventListener('ended', () => resolve(performance.now())));
    const t0 = performance.now();
    await p.play();
    return (await ended) - t0;
  });

/** Whether the player's screen, once drawn (within 10 s), holds every text of `shown` and none of `hidden`. */
const screenShows = (page: Page, shown: string[], hidden: string[]): Promise<boolean> =>
  page
    .waitForFunction(([yes, no]) => {
      const text = document.querySelector('#player')?.textContent ?? '';
      return yes!.every((t) => text.includes(t)) && !no!.some((t) => text.includes(t));
    }, [shown, hidden], { timeout: 10_000 })
    .then(() => true, () => false);

/** The progress bar's markers: left (% of the bar) and tooltip text. */
const markers = (page: Page): Promise<{ left: number; text: string }[]> =>
  page.$$eval('#player .ap-marker-container', (els) => els.map((e) => ({ left: Number.parseFloat((e as HTMLElement).style.left), text: e.textContent ?? '' })));

test('a real SSH session: what was typed is on screen, faster speeds take less time, skipping inactivity shortens the pause, a click on the bar seeks there', async () => {
  const { page } = browser;
  await signInAndUnlock(page, bases.ssh, ssh.home.key('officer'));
  await page.click(`#rows button[data-id="${ids.ssh}"]`);
  await page.waitForFunction((m) => document.querySelector('#player')?.textContent?.includes(m) ?? false, MARKER, { timeout: 30_000 });
  await page.evaluate(() => (window as unknown as { ttyPlayer: { pause(): Promise<void> } }).ttyPlayer.pause());
  const shown = await page.locator('#player').screenshot();
  await page.evaluate(() => (window as unknown as { ttyPlayer: { seek(t: number): Promise<void> } }).ttyPlayer.seek(0));
  await page.waitForFunction((m) => !(document.querySelector('#player')?.textContent?.includes(m) ?? true), MARKER);
  const start = await page.locator('#player').screenshot();
  assert.equal(shown.subarray(1, 4).toString(), 'PNG');
  assert.notDeepEqual(shown, start, 'the screen with the typed line differs from the one at the start');
  // Read off the picture as a person would: the typed line's output is there, and not at the start.
  // (Spaces are ignored: tesseract splits a word at a dash now and then.)
  const read = async (png: Buffer): Promise<string> => (await ocrPng(png, { lightOnDark: true })).replace(/\s+/g, '');
  const seen = await read(shown);
  assert.ok(seen.includes(MARKER), `the screenshot reads: ${seen}`);
  assert.ok(!(await read(start)).includes(MARKER), 'the screenshot at the start shows no marker');

  const { duration } = await playerTime(page);
  assert.ok(duration * 1000 > IDLE_MS, `the recording lasts ${duration} s, more than its pause`);
  const atOne = await playThrough(page);
  await remountWith(page, () => page.selectOption('#speed', '4'));
  const atFour = await playThrough(page);
  console.log(`playing ${duration.toFixed(2)} s: ${Math.round(atOne)} ms at 1x, ${Math.round(atFour)} ms at 4x`);
  assert.ok(atOne >= duration * 1000 * 0.95, `at 1x the player took ${atOne} ms for ${duration} s`);
  assert.ok(atFour < atOne / 2.5, `at 4x the player took ${atFour} ms, at 1x ${atOne} ms`);

  await remountWith(page, () => page.check('#skip-idle'));
  const skipped = (await playerTime(page)).duration;
  console.log(`skipping inactivity: ${duration.toFixed(2)} s play in ${skipped.toFixed(2)} s`);
  assert.ok(duration - skipped >= (IDLE_MS - 2000) / 1000 - 0.5, `skipping took ${duration} s down to ${skipped} s`);
  assert.ok(skipped >= 2, 'the pause still plays for the limit');
  // Played through with pauses skipped, the typed lines before and after the pause are all on screen.
  await playThrough(page);
  assert.ok(await screenShows(page, [MARKER, 'RG-AFTER-42'], []), (await page.textContent('#player')) ?? '');

  // The window's resize, after the pause, is a marker on the shortened timeline: a click on it shows the screen of then.
  const marks = await markers(page);
  const resize = marks.findIndex((m) => m.text.includes('resize'));
  assert.ok(resize >= 0, `no resize marker: ${JSON.stringify(marks)}`);
  await page.locator('#player .ap-marker-container').nth(resize).click({ force: true });
  const markedAt = (marks[resize]!.left / 100) * skipped;
  let atResize = await playerTime(page);
  for (let i = 0; i < 100 && Math.abs(atResize.current - markedAt) >= 0.05; i++) {
    await sleep(100);
    atResize = await playerTime(page);
  }
  assert.ok(Math.abs(atResize.current - markedAt) < 0.05, `the resize marker at ${marks[resize]!.left}% seeked to ${atResize.current} s of ${skipped} s`);
  // The screen is redrawn once the frames up to the resize are fed again: it shows the typed line, not the last command's output.
  assert.ok(await screenShows(page, [MARKER], ['RG-AFTER-42']), `the screen at the resize is the one before the last command: ${(await page.textContent('#player')) ?? ''}`);

  // A click at 70% of the progress bar seeks to 70% of the (shortened) playback.
  await page.evaluate(() => (window as unknown as { ttyPlayer: { pause(): Promise<void> } }).ttyPlayer.pause());
  await page.hover('#player');
  const bar = await page.locator('#player .ap-bar').boundingBox();
  assert.ok(bar && bar.width > 50, 'the progress bar is laid out');
  await page.locator('#player .ap-bar').click({ position: { x: bar.width * 0.7, y: bar.height / 2 } });
  let seeked = await playerTime(page);
  for (let i = 0; i < 100 && Math.abs(seeked.current - 0.7 * skipped) >= 0.03 * skipped; i++) {
    await sleep(100);
    seeked = await playerTime(page);
  }
  console.log(`click at 70%: the player at ${seeked.current.toFixed(2)} s of ${seeked.duration.toFixed(2)} s`);
  assert.ok(Math.abs(seeked.current - 0.7 * skipped) < 0.03 * skipped, `the click at 70% seeked to ${seeked.current} s of ${skipped} s`);
  await page.uncheck('#skip-idle');
});

test('a real psql session: it plays, and its queries are markers on the progress bar at their times and in the events list', async () => {
  const { page } = browser;
  await signInAndUnlock(page, bases.pg, pg.home.key('officer'));
  await page.click(`#rows button[data-id="${ids.pg}"]`);
  await page.waitForFunction(() => document.querySelector('#player')?.textContent?.includes('RG-PLAY-LAST') ?? false, undefined, { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelectorAll('#events button').length >= 3, undefined, { timeout: 30_000 });
  const events = (await page.locator('#events button').allTextContents()).map((text) => ({ t: Number.parseFloat(text), text }));
  const queries = events.filter((e) => e.text.includes('query: SELECT'));
  assert.equal(queries.filter((e) => /RG-PLAY-Q|pg_sleep\(3\)|RG-PLAY-LAST/.test(e.text)).length, 3, events.map((e) => e.text).join('\n'));
  const last = queries.find((e) => e.text.includes('RG-PLAY-LAST'))!;
  const first = queries.find((e) => e.text.includes('RG-PLAY-Q'))!;
  assert.ok(last.t - first.t >= 2.9, `the last query came ${last.t - first.t} s after the first`);
  const { duration } = await playerTime(page);
  const marks = await markers(page);
  assert.ok(marks.length >= queries.length, `${marks.length} markers for ${queries.length} queries`);
  for (const q of queries) {
    const query = q.text.slice(q.text.indexOf('query: '));
    const mark = marks.find((m) => m.text.includes(query.slice(0, 40)));
    assert.ok(mark, `no marker for ${query}: ${JSON.stringify(marks)}`);
    // The list shows times to a tenth of a second: the marker is at the time shown, give or take its rounding.
    const markedAt = (mark.left / 100) * duration;
    assert.ok(Math.abs(markedAt - q.t) <= 0.06, `${query} marked at ${mark.left}% (${markedAt} s of ${duration} s), listed at ${q.t} s`);
  }
  const firstMark = marks.find((m) => m.text.includes('RG-PLAY-Q'))!;
  const lastMark = marks.find((m) => m.text.includes('RG-PLAY-LAST'))!;
  assert.ok(lastMark.left - firstMark.left >= (2.9 / duration) * 100 - 1, 'the markers are as far apart as the queries');
  // The result tables, laid out in the page from the values the recording keeps ('RG-PLAY-Q42' is only in a result).
  await page.evaluate(async () => {
    const p = (window as unknown as { ttyPlayer: { seek(t: number): Promise<void>; getDuration(): Promise<number> } }).ttyPlayer;
    await p.seek(Math.max(0, (await p.getDuration()) - 0.05));
  });
  assert.ok(await screenShows(page, ['RG-PLAY-Q42', '(1 row)', 'RG-PLAY-LAST'], []), 'the results of the queries are on the screen');
});
