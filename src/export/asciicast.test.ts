import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatWrites, contentCases } from '../../test/fixtures/export/content.js';
import { AsciicastWriter } from './asciicast.js';
import type { Track } from './source.js';

const meta = { startedAt: '2024-05-01T10:00:00.750Z' };
const track: Track = { channel: 0, term: 'xterm-256color', cols: 100, rows: 30 };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const decodeAll = (b: Uint8Array): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);

type Event = [number, string, string];

function parse(cast: string): { header: Record<string, unknown>; events: Event[] } {
  assert.ok(cast.endsWith('\n'));
  const lines = cast.slice(0, -1).split('\n');
  const header = JSON.parse(lines[0]!) as Record<string, unknown>;
  return { header, events: lines.slice(1).map((l) => JSON.parse(l) as Event) };
}

function castOf(writes: { t: number; data: Uint8Array }[]): string {
  const w = new AsciicastWriter(meta, track, { title: 'alice@web01' });
  return w.header() + writes.map((x) => w.output(x.t, x.data)).join('') + w.end();
}

describe('AsciicastWriter', () => {
  test('header line carries version 2, size, start time in seconds, TERM and title', () => {
    const { header } = parse(new AsciicastWriter(meta, track, { title: 'alice@web01' }).header());
    assert.deepEqual(header, {
      version: 2,
      width: 100,
      height: 30,
      timestamp: 1714557600,
      env: { TERM: 'xterm-256color' },
      title: 'alice@web01',
    });
  });

  test('without a title or terminal type the header has neither', () => {
    const { header } = parse(new AsciicastWriter(meta, { channel: 0, cols: 80, rows: 24 }).header());
    assert.deepEqual(header, { version: 2, width: 80, height: 24, timestamp: 1714557600, env: {} });
  });

  for (const c of contentCases) {
    test(`every line is JSON, times are t/1000 and "o" text is the UTF-8 decoding: ${c.name}`, () => {
      const { events } = parse(castOf(c.writes));
      assert.equal(events.map((e) => e[2]).join(''), decodeAll(concatWrites(c.writes)));
      const times = new Set(c.writes.map((w) => w.t / 1000));
      for (const [time, code] of events) {
        assert.equal(code, 'o');
        assert.ok(times.has(time), `time ${time} is not a frame time`);
      }
    });
  }

  test('a character split across frames appears whole in the frame that completes it', () => {
    const euro = bytes('€'); // e2 82 ac
    const w = new AsciicastWriter(meta, track);
    assert.equal(w.output(1000, Uint8Array.of(0x61, euro[0]!)), '[1,"o","a"]\n');
    assert.equal(w.output(1250, euro.subarray(1, 2)), '');
    assert.equal(w.output(1500, Uint8Array.of(euro[2]!, 0x62)), '[1.5,"o","€b"]\n');
  });

  test('invalid bytes become U+FFFD and a dangling partial character is flushed at the end', () => {
    const w = new AsciicastWriter(meta, track);
    assert.equal(w.output(5, Uint8Array.of(0xff, 0x41, 0xc3)), '[0.005,"o","\uFFFDA"]\n');
    assert.equal(w.end(), '[0.005,"o","\uFFFD"]\n');
  });

  test('input and output keep separate partial characters', () => {
    const e = bytes('é'); // c3 a9
    const w = new AsciicastWriter(meta, track);
    const lines = [
      w.output(10, e.subarray(0, 1)),
      w.input(20, e.subarray(0, 1)),
      w.output(30, e.subarray(1)),
      w.input(40, e.subarray(1)),
    ].join('');
    assert.equal(lines, '[0.03,"o","é"]\n[0.04,"i","é"]\n');
  });

  test('a resize is an "r" event with COLSxROWS', () => {
    const w = new AsciicastWriter(meta, track);
    assert.deepEqual(JSON.parse(w.resize(2345, 132, 43)), [2.345, 'r', '132x43']);
  });

  test('control characters survive as JSON escapes', () => {
    const w = new AsciicastWriter(meta, track);
    const line = w.output(1, bytes('\x1b[31m"\\\x00\n'));
    assert.deepEqual(JSON.parse(line), [0.001, 'o', '\x1b[31m"\\\x00\n']);
  });

  test('times never decrease even if frames do', () => {
    const w = new AsciicastWriter(meta, track);
    const times = [w.output(900, bytes('a')), w.input(300, bytes('b')), w.resize(100, 1, 1)].map(
      (l) => (JSON.parse(l) as Event)[0],
    );
    assert.deepEqual(times, [0.9, 0.9, 0.9]);
  });
});
