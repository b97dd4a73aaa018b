/**
 * What the console benchmark measures in a real headless Chromium against a
 * real gateway: the time from pressing Play to the first frame of a
 * recording on screen, from a seek (an event in the list) to the player
 * showing that moment, and how fast libsodium's wasm build opens chunks in
 * a page next to sodium-native in the gateway.
 */
import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { defaultSodium } from '../src/seal/sodium.js';
import { StreamCipher } from '../src/seal/stream.js';
import { signInToConsole } from '../test/fixtures/browser.js';
import { ACCOUNTS } from '../test/fixtures/console-gateway.js';
import { PASSPHRASE } from '../test/fixtures/gateway-env.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Signs in as the officer and opens the key file in the page. */
export async function signInAndUnlock(page: Page, base: string, keyFile: string): Promise<void> {
  await signInToConsole(page, base, ACCOUNTS.officer);
  await page.setInputFiles('#unlock input[name=key]', keyFile);
  await page.fill('#unlock input[name=passphrase]', PASSPHRASE);
  await page.click('#unlock button[type=submit]');
  await page.waitForSelector('#rows button', { timeout: 60_000 });
}

/**
 * Clicks `selector` in the page and resolves with the milliseconds until
 * #player shows `text`, timed in the page (no driver round trips counted).
 */
export async function clickUntilShown(page: Page, selector: string, text: string, timeoutMs: number): Promise<number> {
  return page.evaluate(
    ({ selector, text, timeoutMs }) =>
      new Promise<number>((resolve, reject) => {
        const player = document.getElementById('player')!;
        const status = document.getElementById('status')!;
        const start = performance.now();
        const check = (): boolean => {
          if (!player.textContent?.includes(text)) return false;
          observer.disconnect();
          clearTimeout(timer);
          resolve(performance.now() - start);
          return true;
        };
        const observer = new MutationObserver(() => void check());
        observer.observe(document.body, { subtree: true, childList: true, characterData: true });
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`"${text}" not shown within ${timeoutMs} ms (status: ${status.textContent ?? ''})`));
        }, timeoutMs);
        (document.querySelector(selector) as HTMLElement).click();
      }),
    { selector, text, timeoutMs },
  );
}

/** Filters the list to one target and waits for its row. */
export async function showTarget(page: Page, target: string): Promise<void> {
  await page.click('#back').catch(() => undefined);
  await page.fill('#filters input[name=target]', target);
  await page.click('#filters button[type=submit]');
  await page.waitForFunction((t) => {
    const rows = [...document.querySelectorAll('#rows tr')];
    return rows.length > 0 && rows.every((tr) => tr.children[2]?.textContent === t);
  }, target);
}

export interface Throughput {
  wasm: number;
  native: number;
}

/**
 * MB/s opening `mb` MiB of 64 KiB chunks, in a page (libsodium wasm, as the
 * console's page loads it) and here (sodium-native, as the gateway does).
 * The plaintext is a fill pattern: the cipher's speed does not depend on it.
 */
export async function decryptThroughput(page: Page, mb: number): Promise<Throughput> {
  const bundle = buildSync({
    stdin: {
      contents: `
        import { wasmSodium } from './src/seal/sodium-wasm.js';
        import { StreamCipher } from './src/seal/stream.js';
        globalThis.openChunks = async (mb) => {
          const s = await wasmSodium();
          const key = s.randomBytes(32);
          const prefix = s.randomBytes(16);
          const ad = new TextEncoder().encode('bench');
          const seal = new StreamCipher(s, key.slice(), prefix, ad);
          const open = new StreamCipher(s, key, prefix, ad);
          const chunks = [];
          for (let i = 0; i < mb * 16; i++) chunks.push(seal.seal(i, false, new Uint8Array(65536).fill(i & 255)));
          const start = performance.now();
          chunks.forEach((c, i) => { if (!open.open(i, c)) throw new Error('chunk did not open'); });
          return (mb * 1.048576) / ((performance.now() - start) / 1000);
        };`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'error',
  });
  await page.goto('about:blank');
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  const wasm = await page.evaluate((n) => (globalThis as unknown as { openChunks(n: number): Promise<number> }).openChunks(n), mb);

  const s = defaultSodium();
  const key = s.randomBytes(32);
  const prefix = s.randomBytes(16);
  const ad = new TextEncoder().encode('bench');
  const seal = new StreamCipher(s, key.slice(), prefix, ad);
  const open = new StreamCipher(s, key, prefix, ad);
  const chunks = Array.from({ length: mb * 16 }, (_, i) => seal.seal(i, false, new Uint8Array(65536).fill(i & 255)));
  const start = performance.now();
  chunks.forEach((c, i) => {
    if (!open.open(i, c)) throw new Error('chunk did not open');
  });
  const native = (mb * 1.048576) / ((performance.now() - start) / 1000);
  return { wasm, native };
}
