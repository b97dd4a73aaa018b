/**
 * A recording's whole life through the real CLI: recorded by the gateway's
 * code path in its own process, listed, exported, replayed with util-linux
 * scriptreplay, played, searched.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TerminalOutputFilter } from '../../src/terminal/output-filter.js';
import { GatewayHome, run } from '../fixtures/gateway-env.js';
import type { Step } from '../fixtures/record-session.js';
import { readZip } from '../fixtures/zip.js';

const MARKER = 'RG-MARKER-7f3a9c1e';
const utf8 = Buffer.from('héllo wörld ✓\r\n', 'utf8');
const steps: Step[] = [
  { op: 'terminal', cols: 80, rows: 24, term: 'xterm-256color' },
  { op: 'output', text: 'Last login: Mon Nov 23 10:00:00 2026\r\n' },
  { op: 'output', text: '\x1b[1;32malice@web01\x1b[0m:~$ ' },
  { op: 'sleep', ms: 120 },
  ...[...`echo ${MARKER}\r`].map((ch): Step => ({ op: 'input', text: ch })),
  { op: 'output', text: `echo ${MARKER}\r\n${MARKER}\r\n` },
  { op: 'event', event: { type: 'command', command: `echo ${MARKER}` } },
  { op: 'sleep', ms: 150 },
  { op: 'output', base64: utf8.subarray(0, 2).toString('base64') },
  { op: 'output', base64: utf8.subarray(2).toString('base64') },
  { op: 'resize', cols: 120, rows: 40 },
  { op: 'output', base64: Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64') },
  { op: 'output', text: 'x'.repeat(200_000) + '\r\n' },
  { op: 'output', text: '\x1b[1;32malice@web01\x1b[0m:~$ exit\r\nlogout\r\n' },
];
const expectedOutput = Buffer.concat(
  steps.flatMap((s) => (s.op === 'output' ? [s.base64 !== undefined ? Buffer.from(s.base64, 'base64') : Buffer.from(s.text!, 'utf8')] : [])),
);

let home: GatewayHome;
let id: string;
let files: Map<string, Buffer>;

before(async () => {
  home = await GatewayHome.create();
  id = await home.record({ steps });
  const out = join(home.dir, 'export.zip');
  const r = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  files = await readZip(out);
});
after(() => home.remove());

test('recordings list --json shows the recording with its clear metadata', async () => {
  const r = await home.cli(['recordings', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.equal(rows.length, 1);
  const row = rows[0]!;
  for (const key of ['id', 'user', 'target', 'protocol', 'startedAt', 'endedAt', 'status', 'bytes']) assert.ok(key in row, key);
  assert.equal(row.id, id);
  assert.equal(row.user, 'alice');
  assert.equal(row.target, 'web01');
  assert.equal(row.protocol, 'ssh');
  assert.equal(row.status, 'complete');
  assert.ok((row.bytes as number) > expectedOutput.length / 2);
  const filtered = await home.cli(['recordings', 'list', '--json', '--user', 'bob']);
  assert.deepEqual(JSON.parse(filtered.stdout), []);
  const table = await home.cli(['recordings', 'list']);
  assert.match(table.stdout, new RegExp(`${id}\\s+alice\\s+web01\\s+ssh`));
});

test('the export zip holds the typescript, timing, asciicast and events', () => {
  for (const name of [`${id}.tys`, `${id}.tm`, `${id}.cast`, `${id}.events.jsonl`]) assert.ok(files.has(name), `${name} in ${[...files.keys()]}`);
});

test('scriptreplay replays the exported typescript to exactly the recorded bytes', async () => {
  await writeFile(join(home.dir, 'out.tm'), files.get(`${id}.tm`)!);
  await writeFile(join(home.dir, 'out.tys'), files.get(`${id}.tys`)!);
  const r = await run('scriptreplay', ['--maxdelay', '0.0001', '-t', join(home.dir, 'out.tm'), join(home.dir, 'out.tys')]);
  assert.equal(r.code, 0, r.stderr);
  // scriptreplay ends every replay with one newline of its own.
  const replayed = r.stdoutBytes.subarray(0, -1);
  assert.equal(r.stdoutBytes.at(-1), 0x0a);
  assert.ok(replayed.equals(expectedOutput), `replayed ${replayed.length} bytes, recorded ${expectedOutput.length}`);
});

test('the asciicast parses, carries the output, the resize and times matching the timing file', () => {
  const lines = files.get(`${id}.cast`)!.toString('utf8').trimEnd().split('\n');
  const header = JSON.parse(lines[0]!) as { version: number; width: number; height: number };
  assert.equal(header.version, 2);
  assert.equal(header.width, 80);
  assert.equal(header.height, 24);
  const events = lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
  const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
  assert.equal(output, new TextDecoder().decode(expectedOutput));
  assert.deepEqual(events.filter((e) => e[1] === 'r').map((e) => e[2]), ['120x40']);
  // Each output event time equals the running sum of the classic timing delays.
  const delays = files.get(`${id}.tm`)!.toString('utf8').trimEnd().split('\n').map((l) => Number(l.split(' ')[0]));
  const outTimes = events.filter((e) => e[1] === 'o').map((e) => e[0]);
  let sum = 0;
  const tmTimes = delays.map((d) => (sum += d));
  assert.equal(outTimes.length, tmTimes.length);
  outTimes.forEach((t, i) => assert.ok(Math.abs(t - tmTimes[i]!) < 0.002, `event ${i}: cast ${t} vs timing ${tmTimes[i]}`));
  for (let i = 1; i < outTimes.length; i++) assert.ok(outTimes[i]! >= outTimes[i - 1]!);
  assert.ok(outTimes.at(-1)! >= 0.25, 'the sleeps between outputs show in the times');
});

test('the events file has the command, the terminal, the resize and the end', () => {
  const events = files.get(`${id}.events.jsonl`)!.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const types = events.map((e) => e.type);
  assert.deepEqual(types.filter((t) => t !== 'resize').slice(0, 2), ['terminal', 'command']);
  assert.equal(events.find((e) => e.type === 'command')!.command, `echo ${MARKER}`);
  assert.ok(events.some((e) => e.type === 'resize' && e.cols === 120 && e.rows === 40));
  assert.deepEqual(events.at(-1)!.type, 'end');
  assert.equal(events.at(-1)!.reason, 'closed');
  for (const e of events) assert.equal(typeof e.t, 'number');
});

test('the keystrokes are exported as the input log of the advanced timing', () => {
  const input = [...files.entries()].find(([name]) => name.startsWith(id) && /\bin\b|input/.test(name));
  assert.ok(input, `an input log in ${[...files.keys()]}`);
  assert.ok(input[1].toString('utf8').includes(`echo ${MARKER}\r`));
});

test('the marker typed and shown in the session appears nowhere in the data directory in clear', async () => {
  const needles = [MARKER, 'Last login', 'héllo'].map((s) => Buffer.from(s, 'utf8'));
  const walk = async (dir: string): Promise<string[]> => {
    const out: string[] = [];
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      out.push(...(e.isDirectory() ? await walk(p) : [p]));
    }
    return out;
  };
  const all = await walk(home.dataDir);
  assert.ok(all.some((p) => p.endsWith('.chunks')));
  for (const path of all) {
    const content = await readFile(path);
    for (const needle of needles) assert.equal(content.indexOf(needle), -1, `${needle} in clear in ${path}`);
  }
});

test('recordings play writes the recorded output at the chosen speed', async () => {
  const r = await home.cli(['recordings', 'play', id, '--key', home.key('backup'), '--speed', '50', '--skip-idle', '0.01', '--raw']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdoutBytes.equals(expectedOutput));
  // Without --raw the same output passes the terminal filter, frame by frame.
  const filtered = await home.cli(['recordings', 'play', id, '--key', home.key('backup'), '--speed', '50', '--skip-idle', '0.01']);
  assert.equal(filtered.code, 0, filtered.stderr);
  const filter = new TerminalOutputFilter();
  const expected = Buffer.concat([
    ...steps.flatMap((s) => (s.op === 'output' ? [filter.push(s.base64 !== undefined ? Buffer.from(s.base64, 'base64') : Buffer.from(s.text!, 'utf8'))] : [])),
    filter.end(),
  ]);
  assert.ok(filtered.stdoutBytes.equals(expected));
  for (const text of ['Last login', '\x1b[1;32malice@web01\x1b[0m:~$ ', `${MARKER}\r\n`, 'héllo wörld ✓\r\n', 'x'.repeat(200_000), 'logout\r\n']) {
    assert.ok(filtered.stdoutBytes.includes(Buffer.from(text, 'utf8')), JSON.stringify(text.slice(0, 40)));
  }
});

test('recordings search decrypts locally and prints id, offset and the matching line', async () => {
  const r = await home.cli(['recordings', 'search', MARKER, '--key', home.key('officer')]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.length >= 2, r.stdout);
  for (const line of lines) assert.match(line, new RegExp(`^${id}  \\+0:00:00\\.\\d{3}  \\S+  .*${MARKER}`));
  assert.ok(lines.some((l) => l.includes('event:command')));
  assert.ok(lines.some((l) => /\btty\b/.test(l) && l.endsWith(MARKER)));
  const none = await home.cli(['recordings', 'search', 'no-such-text-anywhere', '--key', home.key('officer')]);
  assert.equal(none.stdout, '');
  assert.equal(none.code, 1, 'no match is exit 1, as grep');
  const broken = await home.cli(['recordings', 'search', MARKER, '--key', join(home.dir, 'no-such.key')]);
  assert.equal(broken.code, 2, 'an error is exit 2, as grep');
  assert.match(broken.stderr, /^recgate: .*no-such\.key/);
});
