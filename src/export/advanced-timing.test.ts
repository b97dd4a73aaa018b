import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatWrites, contentCases, pseudoRandomBytes, type Write } from '../../test/fixtures/export/content.js';
import { needScriptreplay, scriptreplay } from '../../test/fixtures/export/scriptreplay.js';
import { AdvancedTimingWriter } from './advanced-timing.js';
import type { Track } from './source.js';
import { TypescriptWriter } from './typescript.js';

const meta = { startedAt: '2024-05-01T10:00:00Z' };
const track: Track = { channel: 0, term: 'xterm', cols: 80, rows: 24 };
const names = { timing: 'r.timing', output: 'r.tys', input: 'r.in.tys' };

type Entry =
  | { kind: 'o' | 'i'; t: number; data: Uint8Array }
  | { kind: 'r'; t: number; cols: number; rows: number };

interface Logs {
  timing: string;
  out: Buffer;
  in: Buffer;
}

function advanced(entries: Entry[], endedAt = '2024-05-01T10:00:30Z'): Logs {
  const w = new AdvancedTimingWriter(meta, track, names);
  let timing = w.header();
  const out: Uint8Array[] = [w.logHeader()];
  const input: Uint8Array[] = [w.logHeader()];
  for (const e of entries) {
    if (e.kind === 'r') {
      timing += w.resize(e.t, e.cols, e.rows);
    } else {
      const r = e.kind === 'o' ? w.output(e.t, e.data) : w.input(e.t, e.data);
      timing += r.timing;
      (e.kind === 'o' ? out : input).push(r.log);
    }
  }
  timing += w.trailer(endedAt);
  out.push(w.logTrailer(endedAt, 'complete'));
  input.push(w.logTrailer(endedAt, 'complete'));
  return { timing, out: Buffer.concat(out), in: Buffer.concat(input) };
}

/** Output writes with keystrokes and resizes woven between them, in time order. */
function session(writes: Write[], seed: number): { entries: Entry[]; input: Uint8Array } {
  const keys = pseudoRandomBytes(writes.length * 2 + 4, seed);
  const extra: Entry[] = [];
  writes.forEach((w, i) => {
    if (i % 2 === 0) extra.push({ kind: 'i', t: w.t, data: keys.subarray(2 * i, 2 * i + 1 + (i % 2)) });
    if (i % 5 === 1) extra.push({ kind: 'r', t: w.t, cols: 80 + i, rows: 24 + (i % 9) });
  });
  extra.push({ kind: 'i', t: (writes.at(-1)?.t ?? 0) + 5, data: keys.subarray(-3) });
  const outputs: Entry[] = writes.map((w) => ({ kind: 'o', t: w.t, data: w.data }));
  const entries = [...extra, ...outputs].sort((a, b) => a.t - b.t);
  const input = Buffer.concat(entries.flatMap((e) => (e.kind === 'i' ? [e.data] : [])));
  return { entries, input };
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('AdvancedTimingWriter', () => {
  test('header entries are the ones script writes, all with delay 0', () => {
    assert.equal(
      new AdvancedTimingWriter(meta, track, names).header(),
      'H 0.000000 START_TIME 2024-05-01 10:00:00+00:00\n' +
        'H 0.000000 TERM xterm\n' +
        'H 0.000000 COLUMNS 80\n' +
        'H 0.000000 LINES 24\n' +
        'H 0.000000 TIMING_LOG r.timing\n' +
        'H 0.000000 OUTPUT_LOG r.tys\n' +
        'H 0.000000 INPUT_LOG r.in.tys\n',
    );
  });

  test('I, O and S entries are interleaved with delays since the previous entry of any kind', () => {
    const { timing } = advanced([
      { kind: 'o', t: 100, data: bytes('$ ') },
      { kind: 'i', t: 1100, data: bytes('l') },
      { kind: 'o', t: 1101, data: bytes('l') },
      { kind: 'r', t: 2000, cols: 132, rows: 50 },
      { kind: 'i', t: 2000, data: new Uint8Array(0) },
      { kind: 'o', t: 2500, data: new Uint8Array(300) },
    ]);
    const body = timing.split('\n').filter((l) => !l.startsWith('H ')).join('\n');
    assert.equal(body, 'O 0.100000 2\nI 1.000000 1\nO 0.001000 1\nS 0.899000 SIGWINCH ROWS=50 COLS=132\nO 0.500000 300\n');
    assert.ok(timing.endsWith('H 0.000000 DURATION 30.000000\n'));
  });

  test('the logs open with the typescript header line and the output log is the .tys', () => {
    const writes = contentCases[0]!.writes;
    const { entries } = session(writes, 3);
    const logs = advanced(entries);
    const ts = new TypescriptWriter(meta, track);
    const tys = Buffer.concat([ts.header(), ...writes.map((w) => ts.output(w.t, w.data).tys), ts.trailer('2024-05-01T10:00:30Z', 'complete')]);
    assert.deepEqual(logs.out, tys);
    assert.ok(logs.in.toString('latin1').startsWith('Script started on 2024-05-01 10:00:00+00:00 [TERM="xterm" COLUMNS="80" LINES="24"]\n'));
  });

  test('without an end time the duration is the time of the last entry', () => {
    const w = new AdvancedTimingWriter(meta, track, names);
    w.input(1234, bytes('x'));
    assert.equal(w.trailer(), 'H 0.000000 DURATION 1.234000\n');
  });

  test('file names with control characters stay on one H line', () => {
    const w = new AdvancedTimingWriter(meta, track, { timing: 'a\nb.timing', output: 'o.tys' });
    assert.ok(w.header().includes('H 0.000000 TIMING_LOG a?b.timing\n'));
    assert.ok(!w.header().includes('INPUT_LOG'));
  });
});

describe('scriptreplay with --log-timing reproduces the advanced export', () => {
  for (const [i, c] of contentCases.entries()) {
    test(`output: ${c.name}`, async (t) => {
      if (!needScriptreplay(t)) return;
      const logs = advanced(session(c.writes, i + 1).entries);
      const files = { 'r.timing': logs.timing, 'r.tys': logs.out, 'r.in.tys': logs.in };
      const replayed = await scriptreplay(files, ['--log-timing', 'r.timing', '--log-out', 'r.tys', '--log-in', 'r.in.tys']);
      assert.deepEqual(replayed, Buffer.concat([concatWrites(c.writes), Buffer.from('\n')]));
    });
  }

  test('keystrokes: --stream in replays the input log exactly', async (t) => {
    if (!needScriptreplay(t)) return;
    const { entries, input } = session(contentCases[4]!.writes, 11);
    const logs = advanced(entries);
    const files = { 'r.timing': logs.timing, 'r.tys': logs.out, 'r.in.tys': logs.in };
    const args = ['-T', 'r.timing', '-O', 'r.tys', '-I', 'r.in.tys', '--stream', 'in', '--cr-mode', 'never'];
    assert.deepEqual(await scriptreplay(files, args), Buffer.concat([input, Buffer.from('\n')]));
  });

  test('output replays from the timing and the .tys alone', async (t) => {
    if (!needScriptreplay(t)) return;
    const writes = contentCases[2]!.writes;
    const logs = advanced(session(writes, 5).entries);
    const replayed = await scriptreplay({ 'r.timing': logs.timing, 'r.tys': logs.out }, ['-T', 'r.timing', '-O', 'r.tys']);
    assert.deepEqual(replayed, Buffer.concat([concatWrites(writes), Buffer.from('\n')]));
  });

  test('--summary reads the header entries and --stream signal shows the resizes', async (t) => {
    if (!needScriptreplay(t)) return;
    const logs = advanced([
      { kind: 'o', t: 10, data: bytes('x') },
      { kind: 'r', t: 20, cols: 100, rows: 30 },
    ]);
    const files = { 'r.timing': logs.timing, 'r.tys': logs.out };
    const summary = (await scriptreplay(files, ['-T', 'r.timing', '-O', 'r.tys', '--summary'])).toString();
    for (const line of ['START_TIME:  2024-05-01 10:00:00+00:00', 'TERM:  xterm', 'COLUMNS:  80', 'LINES:  24', 'DURATION:  30.000000']) {
      assert.ok(summary.includes(line), `summary lacks ${JSON.stringify(line)}:\n${summary}`);
    }
    const signals = (await scriptreplay(files, ['-T', 'r.timing', '-O', 'r.tys', '--stream', 'signal'])).toString();
    // scriptreplay keeps the space before the value, as it does for script's own S entries
    assert.equal(signals, 'SIGWINCH  ROWS=30 COLS=100\n\n');
  });
});
