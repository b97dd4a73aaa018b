import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { KeystrokeRecord } from './echo-lines.js';
import { TerminalObserver } from './observer.js';

const encoder = new TextEncoder();
const MASK = 0x2a;

type Step = { kind: 'in'; data: Uint8Array } | { kind: 'out'; data: Uint8Array } | { kind: 'resize'; cols: number; rows: number };

/** Runs `steps`, `stepMs` apart, flushes, and returns every keystroke record and command. */
function run(steps: Step[], cols = 80, rows = 24, stepMs = 40): { records: KeystrokeRecord[]; commands: string[] } {
  const o = new TerminalObserver(cols, rows);
  const records: KeystrokeRecord[] = [];
  const commands: string[] = [];
  steps.forEach((s, i) => {
    const t = i * stepMs;
    if (s.kind === 'in') {
      const r = o.input(t, s.data);
      records.push(...r.records);
      commands.push(...r.commands.map((c) => c.command));
    } else if (s.kind === 'out') {
      records.push(...o.output(t, s.data));
    } else {
      o.resize(s.cols, s.rows);
    }
  });
  records.push(...o.flush(steps.length * stepMs));
  commands.push(...o.takeCommands().map((c) => c.command));
  return { records, commands };
}

const concat = (parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** Escape traffic meant to hurt: huge or cut sequences, C1 controls, split UTF-8. */
const nasty = fc.oneof(
  fc.constantFrom(
    `\x1b[${'9'.repeat(5000)}m`,
    `\x1b[${'1;'.repeat(3000)}H`,
    `\x1b]52;c;${'QUFB'.repeat(4000)}`,
    '\x1b]0;title',
    '\x1bP1$r',
    `\x1bPq${'#0;2;0;0;0~'.repeat(500)}`,
    '\x1b_apc',
    '\x1b^pm',
    '\x1bXsos',
    '\u009d0;t',
    '\u0090x',
    '\u009b31m',
    '\u009c',
    '\x1b\\',
    '\x07',
    '\x18',
    '\x1b[?1049h',
    '\x1b[?1049l',
    '\x1bc',
    '\x1b[6n\x1b[c\x1b]10;?\x07',
    '\x1b#8',
    '\x1b[99999;99999H',
    '\x1b[4294967296@',
    '\x1b[r\x1b[1;1r',
  ).map((s) => encoder.encode(s)),
  fc.constantFrom(Uint8Array.of(0x9b), Uint8Array.of(0x9d), Uint8Array.of(0xc2), Uint8Array.of(0xe2, 0x82), Uint8Array.of(0xf0, 0x9f, 0x8e)),
  fc.uint8Array({ maxLength: 40 }),
  fc.string({ maxLength: 20 }).map((s) => encoder.encode(s)),
);

const anyStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('out' as const), data: nasty }),
  fc.record({ kind: fc.constant('in' as const), data: fc.oneof(fc.uint8Array({ maxLength: 16 }), nasty) }),
  fc.record({ kind: fc.constant('resize' as const), cols: fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.constant(Number.NaN)), rows: fc.integer({ min: -5, max: 5000 }) }),
);

describe('TerminalObserver under fuzzing', () => {
  test('arbitrary interleavings never throw, and every typed byte is recorded, as typed or as *', () => {
    fc.assert(
      fc.property(fc.array(anyStep, { maxLength: 40 }), fc.integer({ min: 1, max: 300 }), (steps, cols) => {
        const { records } = run(steps, cols, 10);
        const typed = concat(steps.flatMap((s) => (s.kind === 'in' ? [s.data] : [])));
        const recorded = concat(records.map((r) => r.data));
        assert.equal(recorded.length, typed.length);
        recorded.forEach((b, i) => assert.ok(b === typed[i] || b === MASK, `byte ${i}`));
        for (let i = 1; i < records.length; i++) assert.ok(records[i]!.t >= records[i - 1]!.t, 'records in time order');
      }),
      { numRuns: 300 },
    );
  });

  test('characters of lines the target never echoes never appear in records', () => {
    // Secrets use a-m; echoed commands n-z; output text neither (escape sequences may).
    const secret = fc.string({ unit: fc.constantFrom(...'abcdefghijklm'), minLength: 1, maxLength: 12 });
    const command = fc.string({ unit: fc.constantFrom(...'nopqrstuvwxyz -'), minLength: 1, maxLength: 12 });
    const noise = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'NOPQRSTUVWXYZ0123456789:$#> \r\n'), maxLength: 30 }),
      fc.constantFrom('\x1b[1;31mNOP\x1b[0m', '\x1b]0;abc\x07', '\x1bPabc\x1b\\', '\x1b]52;c;YWJj', 'PIN: ', 'TOKEN:', '\r\n'),
    );
    const piece = fc.oneof(
      fc.record({ kind: fc.constant('secret' as const), text: secret, split: fc.boolean(), after: noise }),
      fc.record({ kind: fc.constant('command' as const), text: command, split: fc.boolean(), after: noise }),
      fc.record({ kind: fc.constant('noise' as const), text: noise, split: fc.boolean(), after: noise }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.constantFrom(1, 40, 450, 3000), (pieces, stepMs) => {
        const steps: Step[] = [];
        const out = (s: string): void => void steps.push({ kind: 'out', data: encoder.encode(s) });
        const typ = (s: string): void => void steps.push({ kind: 'in', data: encoder.encode(s) });
        for (const p of pieces) {
          if (p.kind === 'noise') out(p.text);
          else if (p.kind === 'secret') (p.split ? [...p.text] : [p.text]).forEach(typ);
          else for (const ch of p.text) (typ(ch), out(ch));
          if (p.kind !== 'noise') typ('\r');
          out(p.after);
        }
        const recorded = Buffer.concat(run(steps, 80, 24, stepMs).records.map((r) => r.data)).toString('latin1');
        assert.ok(!/[a-m]/.test(recorded), JSON.stringify(recorded));
      }),
      { numRuns: 500 },
    );
  });

  test('after hostile output, a reset terminal still yields commands', () => {
    fc.assert(
      fc.property(fc.array(nasty, { maxLength: 12 }), (garbage) => {
        const steps: Step[] = garbage.map((data) => ({ kind: 'out', data }));
        steps.push({ kind: 'out', data: encoder.encode('\x18\x1b\\\x1bc\r\n$ ') });
        for (const ch of 'uname -a') steps.push({ kind: 'in', data: encoder.encode(ch) }, { kind: 'out', data: encoder.encode(ch) });
        steps.push({ kind: 'in', data: encoder.encode('\r') });
        const { records, commands } = run(steps);
        assert.equal(Buffer.concat(records.map((r) => r.data)).toString('latin1').slice(-9), 'uname -a\r');
        assert.deepEqual(commands, ['uname -a']);
      }),
      { numRuns: 150 },
    );
  });

  test('megabytes of unterminated escape sequences pass quickly', () => {
    const o = new TerminalObserver(80, 24);
    const started = process.hrtime.bigint();
    const osc = encoder.encode(`\x1b]52;c;${'A'.repeat(1 << 20)}`);
    const csi = encoder.encode(`\x1b[${'7'.repeat(1 << 20)}`);
    const dcs = encoder.encode(`\x1bP${'q'.repeat(1 << 20)}`);
    for (let i = 0; i < 4; i++) for (const chunk of [osc, csi, dcs]) o.output(i, chunk);
    o.output(5, encoder.encode('\x1b\\$ '));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    assert.ok(seconds < 10, `took ${seconds}s`);
  });
});
