import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { memorySource } from '../../test/fixtures/export/memory-source.js';
import { readZip } from '../../test/fixtures/export/read-zip.js';
import { needScriptreplay, scriptreplay } from '../../test/fixtures/export/scriptreplay.js';
import { FrameKind, type Frame } from '../recording/frames.js';
import { AdvancedTimingWriter } from './advanced-timing.js';
import { AsciicastWriter } from './asciicast.js';
import { EventsWriter } from './events.js';
import type { Track } from './source.js';
import { TypescriptWriter } from './typescript.js';
import { writeExportZip } from './zip.js';

const meta = { startedAt: '2024-05-01T10:00:00Z' };
const track: Track = { channel: 0, term: 'xterm', cols: 80, rows: 24 };
const decode = (chunks: Uint8Array[]): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(Buffer.concat(chunks));

type Step = { input: boolean; frame: Frame };

/** Bytes biased towards UTF-8 lead and continuation bytes, so characters get split. */
const bytes = fc.uint8Array({ maxLength: 24 }).chain((b) =>
  fc.constantFrom(b, Uint8Array.from(b, (x) => [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x8e, 0x89, x][x % 10]!)),
);
const time = fc.oneof(fc.nat(10_000_000), fc.constant(0), fc.double({ noNaN: false }));
const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constant(FrameKind.Data as const), t: time, data: bytes }),
  fc.record({ kind: fc.constant(FrameKind.Resize as const), t: time, cols: fc.nat(65535), rows: fc.nat(65535) }),
  fc.record({ kind: fc.constant(FrameKind.Screen as const), t: time, data: bytes }),
);
const steps = fc.array(fc.record({ input: fc.boolean(), frame }), { maxLength: 60 });
const sortedSteps = fc
  .array(fc.record({ input: fc.boolean(), frame: fc.record({ kind: fc.constant(FrameKind.Data as const), t: fc.nat(100_000), data: bytes }) }), { maxLength: 40 })
  .map((s) => s.sort((a, b) => a.frame.t - b.frame.t) as Step[]);

function dataOf(s: Step[], input: boolean): Uint8Array[] {
  return s.flatMap((x) => (x.input === input && x.frame.kind === FrameKind.Data ? [x.frame.data] : []));
}

function cast(s: Step[]): string {
  const w = new AsciicastWriter(meta, track);
  let text = w.header();
  for (const { input, frame: f } of s) {
    if (f.kind === FrameKind.Data) text += input ? w.input(f.t, f.data) : w.output(f.t, f.data);
    else if (f.kind === FrameKind.Resize && !input) text += w.resize(f.t, f.cols, f.rows);
  }
  return text + w.end();
}

function classic(s: Step[]): { tys: Buffer; tm: string } {
  const w = new TypescriptWriter(meta, track);
  const parts = dataOf(s, false).map((d, i) => w.output(i * 3, d));
  return { tys: Buffer.concat([w.header(), ...parts.map((p) => p.tys), w.trailer()]), tm: parts.map((p) => p.tm).join('') };
}

function advanced(s: Step[]): { timing: string; out: Buffer; in: Buffer } {
  const w = new AdvancedTimingWriter(meta, track, { timing: 'r.timing', output: 'r.tys', input: 'r.in.tys' });
  let timing = w.header();
  const logs = { out: [w.logHeader()], in: [w.logHeader()] };
  for (const { input, frame: f } of s) {
    if (f.kind === FrameKind.Resize) timing += w.resize(f.t, f.cols, f.rows);
    if (f.kind !== FrameKind.Data) continue;
    const r = input ? w.input(f.t, f.data) : w.output(f.t, f.data);
    timing += r.timing;
    logs[input ? 'in' : 'out'].push(r.log);
  }
  timing += w.trailer();
  return { timing, out: Buffer.concat([...logs.out, w.logTrailer()]), in: Buffer.concat([...logs.in, w.logTrailer()]) };
}

describe('fuzz: arbitrary frame sequences', () => {
  test('the cast is JSON lines with non-decreasing times and the exact UTF-8 decoding per stream', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const lines = cast(s).split('\n');
        assert.equal(lines.pop(), '');
        assert.equal((JSON.parse(lines.shift()!) as { version: number }).version, 2);
        const events = lines.map((l) => JSON.parse(l) as [number, string, string]);
        let last = 0;
        for (const [t, code, text] of events) {
          assert.ok(Number.isFinite(t) && t >= last && ['o', 'i', 'r'].includes(code) && typeof text === 'string');
          last = t;
        }
        const joined = (code: string): string => events.filter((e) => e[1] === code).map((e) => e[2]).join('');
        assert.equal(joined('o'), decode(dataOf(s, false)));
        assert.equal(joined('i'), decode(dataOf(s, true)));
      }),
      { numRuns: 500 },
    );
  });

  test('classic and advanced timing entries are well formed and count every byte once', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const { tm } = classic(s);
        const total = (chunks: Uint8Array[]): number => chunks.reduce((n, c) => n + c.length, 0);
        const tmLines = tm.split('\n').slice(0, -1);
        tmLines.forEach((l) => assert.match(l, /^\d+\.\d{6} [1-9]\d*$/));
        assert.equal(tmLines.reduce((n, l) => n + Number(l.split(' ')[1]), 0), total(dataOf(s, false)));
        const entries = advanced(s).timing.split('\n').slice(0, -1);
        entries.forEach((l) => assert.match(l, /^(?:[IO] \d+\.\d{6} [1-9]\d*|S \d+\.\d{6} SIGWINCH ROWS=\d+ COLS=\d+|H 0\.000000 [A-Z_]+ .*)$/));
        const sum = (k: string): number => entries.filter((l) => l[0] === k).reduce((n, l) => n + Number(l.split(' ')[2]), 0);
        assert.equal(sum('O'), total(dataOf(s, false)));
        assert.equal(sum('I'), total(dataOf(s, true)));
      }),
      { numRuns: 500 },
    );
  });

  test('events of any JSON shape become one line each with t and time first', () => {
    const w = new EventsWriter(meta);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), time, (fields, type, t) => {
        const line = w.event(t, { ...fields, type });
        assert.equal(line.indexOf('\n'), line.length - 1);
        assert.match(line, /^\{"t":[^,]+,"time":(?:null|"[^"]+")[,}]/);
        const parsed = JSON.parse(line) as { t: number; time: unknown };
        assert.deepEqual(parsed, JSON.parse(JSON.stringify({ ...fields, type, t: parsed.t, time: parsed.time })));
      }),
      { numRuns: 300 },
    );
  });

  test('scriptreplay reproduces random output and keystrokes exactly', async (t) => {
    if (!needScriptreplay(t)) return;
    await fc.assert(
      fc.asyncProperty(sortedSteps, async (s) => {
        const nl = Buffer.from('\n');
        const c = classic(s);
        assert.deepEqual(await scriptreplay({ 'r.tys': c.tys, 'r.tm': c.tm }, ['-t', 'r.tm', 'r.tys']), Buffer.concat([...dataOf(s, false), nl]));
        const a = advanced(s);
        const files = { 'r.timing': a.timing, 'r.tys': a.out, 'r.in.tys': a.in };
        const base = ['-T', 'r.timing', '-O', 'r.tys', '-I', 'r.in.tys'];
        assert.deepEqual(await scriptreplay(files, base), Buffer.concat([...dataOf(s, false), nl]));
        assert.deepEqual(await scriptreplay(files, [...base, '--stream', 'in', '--cr-mode', 'never']), Buffer.concat([...dataOf(s, true), nl]));
      }),
      { numRuns: 25 },
    );
  });
});

describe('fuzz: writeExportZip', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recgate-fuzz-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('any frames on the tty and input streams export without error and the cast stays JSON lines', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(steps, async (s) => {
        const tty = s.filter((x) => !x.input).map((x) => x.frame);
        const input = s.filter((x) => x.input).map((x) => x.frame);
        const path = join(dir, `f${n++}.zip`);
        await writeExportZip(memorySource({ tty, input }, [{ ...track, ttyStream: 'tty', inputStream: 'input' }]), path, 'f');
        const zip = await readZip(path);
        const lines = zip.files.get('f.cast')!.toString('utf8').split('\n');
        assert.equal(lines.pop(), '');
        lines.forEach((l) => JSON.parse(l));
      }),
      { numRuns: 30 },
    );
  });
});
