/**
 * Makes the console benchmark's recordings through the gateway's own
 * recording path (config, signing key, store, Gateway.startRecording, the
 * Recorder and RecordSealer), on a virtual clock: an hour of session is
 * recorded in seconds, yet frame times, flushes (chunk boundaries) and
 * signed checkpoints fall where an hour of real time would put them.
 *
 *   node console-recorder.js CONFIG busy|long
 *
 * busy: --mb MiB of terminal output (log lines) over 10 minutes.
 * long: one hour, a clock line every second and a marked command every
 *       5 minutes (`seek-MM`, its output `RG-SEEK-MM`).
 * Both start with the output `RG-BENCH-START`. Prints `id <recording id>`.
 */
import { mock } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { ensureSigningKey } from '../src/daemon/gateway-keys.js';
import { Gateway } from '../src/daemon/gateway.js';
import { silentLogger } from '../src/log.js';
import type { Recorder } from '../src/recording/recorder.js';
import { defaultSodium } from '../src/seal/sodium.js';
import { openStore } from '../src/store/index.js';

const [configPath, kind, mbText] = process.argv.slice(2);
if (!configPath || (kind !== 'busy' && kind !== 'long')) throw new Error('usage: console-recorder.js CONFIG busy|long [MiB]');

// The virtual clock: Date, timers and performance.now() move only when `advance` says.
let virtualMs = 0;
const origin = performance.now();
performance.now = () => origin + virtualMs;
mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: Date.UTC(2026, 0, 5, 9) });
function advance(ms: number): void {
  virtualMs += ms;
  mock.timers.tick(ms);
}

const config = loadConfig(configPath);
const log = silentLogger();
const sodium = defaultSodium();
const signer = await ensureSigningKey(sodium, config.gateway.signingKey, log);
const store = openStore(config, log);
const gateway = new Gateway(config, log, sodium, store, signer);
const recorder = await gateway.startRecording({ user: 'bench', target: kind === 'busy' ? 'busy01' : 'long01', protocol: 'ssh', clientAddress: '127.0.0.1' });
process.stdout.write(`id ${recorder.id}\n`);
recorder.terminal(0, { term: 'xterm-256color', cols: 120, rows: 40 });

async function write(r: Recorder, text: string): Promise<void> {
  if (!r.outputText(text)) await new Promise((resolve) => r.once('drain', resolve));
}

await write(recorder, 'RG-BENCH-START\r\n');
if (kind === 'busy') {
  const total = Number(mbText ?? 100) * 1024 * 1024;
  const seconds = 600;
  const perSecond = Math.ceil(total / seconds);
  let written = 0;
  let line = 0;
  for (let s = 0; written < total; s++) {
    advance(1000);
    let batch = '';
    while (batch.length < perSecond) {
      batch += `${String(line).padStart(9, '0')} ${new Date(Date.now() + batch.length).toISOString()} GET /api/v1/items?page=${line % 977} 200 ${(line * 7919) % 100_000}us\r\n`;
      line++;
    }
    for (let at = 0; at < batch.length; at += 16 * 1024) await write(recorder, batch.slice(at, at + 16 * 1024));
    written += batch.length;
  }
} else {
  for (let s = 1; s <= 3600; s++) {
    advance(1000);
    const mm = String(Math.floor(s / 60)).padStart(2, '0');
    if (s % 300 === 0) {
      recorder.event({ type: 'command', command: `seek-${mm}` });
      await write(recorder, `$ seek-${mm}\r\nRG-SEEK-${mm}\r\n`);
    } else {
      await write(recorder, `\x1b[2K\r${mm}:${String(s % 60).padStart(2, '0')} load ${(s % 17) / 10} mem ${1000 + (s % 300)}M\r\n`);
    }
  }
}
advance(500);
const result = await recorder.end('closed');
mock.timers.reset();
await store.close();
process.stdout.write(`ended ${result.ok}\n`);
