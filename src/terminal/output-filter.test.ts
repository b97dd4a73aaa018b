import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TerminalOutputFilter, type OutputFilterOptions } from './output-filter.js';
import { outputProblems } from './output-check.js';

/** A test string as bytes: `\xNN` escapes are single bytes (latin1), so invalid UTF-8 and raw C1 can be written. */
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function filterChunks(chunks: Uint8Array[], options?: OutputFilterOptions): Buffer {
  const f = new TerminalOutputFilter(options);
  return Buffer.concat([...chunks.map((c) => f.push(c)), f.flush()]);
}

const whole = (input: Uint8Array, options?: OutputFilterOptions): Buffer => filterChunks([input], options);

// [what, input, output]
const KEPT: [string, string][] = [
  ['text and the C0 controls that draw', 'plain text\r\n\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f'],
  ['SGR colours, 256 and true colour, reset', '\x1b[1;31;48;5;17m\x1b[38:2::255:0:0m\x1b[38;2;1;2;3mX\x1b[m\x1b[0m'],
  ['cursor movement', '\x1b[H\x1b[10;20H\x1b[3A\x1b[2B\x1b[C\x1b[D\x1b[2E\x1b[F\x1b[5G\x1b[2;3f\x1b[7d\x1b[2`\x1b[a\x1b[e\x1b[I\x1b[Z'],
  ['erase in display and line, selective erase', '\x1b[J\x1b[0J\x1b[1J\x1b[2J\x1b[K\x1b[1K\x1b[2K\x1b[3X\x1b[?2J\x1b[?1K'],
  ['scroll regions, scrolling, index, reverse index', '\x1b[5;20r\x1b[2S\x1b[T\x1bD\x1bM\x1bE\x1b[r'],
  ['insert and delete', '\x1b[4@\x1b[2P\x1b[3L\x1b[M\x1b[4h\x1b[4l\x1b[2\'}\x1b[\'~'],
  ['DEC modes: alternate screen, cursor, bracketed paste, cursor keys, wrap', '\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b[?1h\x1b[?7l\x1b[?47h\x1b[?1047l\x1b[?2026h\x1b[?12h\x1b[?6h'],
  ['keypad modes', '\x1b=\x1b>'],
  ['cursor save and restore', '\x1b7\x1b8\x1b[s\x1b[u\x1b[?1048h'],
  ['character sets and line sizes', '\x1b(0lqk\x1b(B\x1b)0\x0e\x0f\x1b#8\x1b#6\x1b(%5\x1bn\x1bN'],
  ['cursor style, soft reset, tab stops, repeat', '\x1b[5 q\x1b[!p\x1bH\x1b[3g\x1b[0g\x1b[5b'],
];

const DROPPED: [string, string, string][] = [
  ['OSC 52 clipboard ended by BEL', 'a\x1b]52;c;ZXZpbA==\x07b', 'ab'],
  ['OSC 52 clipboard ended by ST', 'a\x1b]52;c;ZXZpbA==\x1b\\b', 'ab'],
  ['OSC 52 clipboard query', 'a\x1b]52;c;?\x07b', 'ab'],
  ['OSC 0, 1, 2 titles', 'a\x1b]0;t\x07\x1b]1;t\x07\x1b]2;t\x1b\\b', 'ab'],
  ['OSC colour queries and sets', '\x1b]4;1;?\x07\x1b]10;?\x07\x1b]11;rgb:0/0/0\x07\x1b]12;?\x07\x1b]104\x07\x1b]112\x07x', 'x'],
  ['OSC 8 hyperlink, its text kept', '\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\', 'link'],
  ['OSC 9 and 777 notifications', '\x1b]9;hi\x07\x1b]777;notify;a;b\x07z', 'z'],
  ['DCS DECRQSS', '\x1bP$qm\x1b\\x', 'x'],
  ['DCS sixel', '\x1bPq#0;2;0;0;0#0!10~-\x1b\\x', 'x'],
  ['DCS tmux passthrough', '\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\x', 'x'],
  ['DCS XTGETTCAP', '\x1bP+q544e\x1b\\x', 'x'],
  ['SOS, PM, APC', '\x1bXsos\x1b\\\x1b^pm\x1b\\\x1b_Ga=T;AAAA\x1b\\x', 'x'],
  ['ENQ, NUL, DEL and other C0', '\x05\x00\x01\x7f\x11\x13\x1cx', 'x'],
  ['DSR', '\x1b[5n\x1b[6n\x1b[?6n\x1b[?15n\x1b[>0nx', 'x'],
  ['DA, secondary and tertiary DA', '\x1b[c\x1b[0c\x1b[>c\x1b[>0c\x1b[=cx', 'x'],
  ['DECREQTPARM', '\x1b[1xy', 'y'],
  ['DECRQM', '\x1b[?2004$p\x1b[4$py', 'y'],
  ['XTVERSION', '\x1b[>q\x1b[>0qy', 'y'],
  ['kitty keyboard queries and pushes', '\x1b[?u\x1b[>1u\x1b[<u\x1b[=1;1uy', 'y'],
  ['window manipulation and reports', '\x1b[8;100;300t\x1b[21t\x1b[22;0t\x1b[3;0;0t\x1b[14ty', 'y'],
  ['DECID', '\x1bZy', 'y'],
  ['mouse and focus reporting', '\x1b[?9h\x1b[?1000h\x1b[?1001h\x1b[?1002h\x1b[?1003h\x1b[?1004h\x1b[?1005h\x1b[?1006h\x1b[?1015h\x1b[?1016h\x1b[?1007hy', 'y'],
  ['a mode list loses its mouse modes', '\x1b[?1049;1000;25h\x1b[?1006;2004l', '\x1b[?1049;25h\x1b[?2004l'],
  ['keyboard action and echo modes', '\x1b[2h\x1b[12l\x1b[4;2h', '\x1b[4h'],
  ['RIS', 'a\x1bcb', 'ab'],
  ['erasing the saved lines', 'a\x1b[3J\x1b[?3Jb', 'ab'],
  ['printer, LEDs, key modifiers, checksums, pointer', '\x1b[5i\x1b[4i\x1b[?5i\x1b[1q\x1b[>4;1m\x1b[1;1;1;1;1;1*y\x1b[>2p\x1b[#|x', 'x'],
  ['leaving UTF-8, 8-bit controls', '\x1b%@x\x1b%Gy\x1b Gz', 'xyz'],
  ['a repeat that would spin the terminal', 'a\x1b[999999b', 'a'],
  ['UTF-8 encoded C1 CSI, OSC, DCS with what they introduce', 'a\xc2\x9b6nb\xc2\x9d0;t\xc2\x9cc\xc2\x90qd\xc2\x9ce', 'abce'],
  ['an 8-bit SGR is dropped too', 'a\xc2\x9b31mb', 'ab'],
  ['raw C1 bytes (invalid UTF-8) are dropped alone, the text after them shown', 'a\x9b6nb\x9d0;t\x9cc\x90q', 'a6nb0;tcq'],
  ['C1 controls that act alone', '\x84\x85\x8d\xc2\x85\xc2\x84x', 'x'],
  ['CAN and SUB abort a sequence', '\x1b[31\x18m\x1b]0;t\x1ax', 'mx'],
  ['ESC inside a string starts a new sequence', '\x1b]0;t\x1b[1mX', '\x1b[1mX'],
  ['C0 inside a sequence is executed before it', '\x1b[1;\n2m', '\n\x1b[1;2m'],
  ['a private marker after parameters', '\x1b[1?hx', 'x'],
  ['a CSI longer than the cap', `\x1b[${'1'.repeat(1000)}mX`, 'X'],
];

test('sequences that draw pass unchanged', () => {
  for (const [what, input] of KEPT) assert.equal(text(whole(bytes(input))), input, what);
});

test('sequences that act on the auditor\'s terminal are dropped', () => {
  for (const [what, input, output] of DROPPED) assert.equal(text(whole(bytes(input))), output, what);
});

test('UTF-8 passes intact, invalid bytes unchanged, C1 bytes never', () => {
  const intl = utf8('héllo wörld ✓ 日本 😀 ✛ Ŝ ⛀\r\n');
  assert.ok(whole(intl).equals(intl));
  assert.equal(text(whole(bytes('\xff\xfe\xc0\xaf\xe2\x28\xa1\xed\xa0\x80'))), '\xff\xfe\xc0\xaf\xe2\x28\xa1\xed\xa0');
  // A character cut short: its lead byte passes, a C1-range continuation byte does not.
  assert.equal(text(whole(bytes('\xe2\x9b1mz'))), '\xe21mz');
  assert.equal(text(whole(bytes('\xe2\x9c'))), '\xe2');
  // Inside a sequence a non-ASCII character ends it and is shown.
  assert.ok(whole(utf8('\x1b[1é')).equals(utf8('é')));
});

test('every input split at every byte boundary gives what it gives whole', () => {
  const inputs = [...KEPT.map(([, i]) => bytes(i)), ...DROPPED.map(([, i]) => bytes(i)), utf8('héllo ✓ 😀\x1b]2;tïtle\x07 ok\u009b6n')];
  for (const input of inputs) {
    const expected = whole(input);
    for (let k = 0; k <= input.length; k++) {
      assert.ok(filterChunks([input.subarray(0, k), input.subarray(k)]).equals(expected), `${JSON.stringify(text(input))} split at ${k}`);
    }
    const oneByOne = filterChunks([...input].map((b) => Uint8Array.of(b)));
    assert.ok(oneByOne.equals(expected), `${JSON.stringify(text(input))} byte by byte`);
  }
});

test('memory is bounded: a huge CSI and an unterminated string hold nothing', () => {
  const f = new TerminalOutputFilter({ maxSequence: 64, maxString: 1000 });
  assert.equal(f.push(bytes('\x1b[')).length, 0);
  for (let i = 0; i < 100; i++) {
    assert.equal(f.push(bytes('1;'.repeat(5000))).length, 0);
    assert.ok(f.pending <= 64);
  }
  assert.equal(text(f.push(bytes('mok'))), 'ok');
  assert.equal(text(f.push(bytes('\x1b]'))), '');
  assert.equal(text(f.push(bytes('A'.repeat(1000)))), '');
  assert.equal(f.pending, 0);
  // The byte past maxString is the last one dropped; parsing starts over in ground.
  assert.equal(text(f.push(bytes('A\r\nvisible'))), '\r\nvisible');
});

test('the restore undoes what the recording left changed, and only that', () => {
  const restoreAfter = (input: string): string => {
    const f = new TerminalOutputFilter();
    f.push(bytes(input));
    return text(f.end());
  };
  assert.equal(restoreAfter('\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b=\x1b[1;31mX'), '\x1b[?1049l\x1b[?25h\x1b[?2004l\x1b>\x1b[0m');
  assert.equal(restoreAfter('\x1b[?1049h\x1b[1m\x1b[?1049l\x1b[0m'), '');
  assert.equal(restoreAfter('plain'), '');
  assert.equal(restoreAfter('\x1b[?1000h\x1b[?1004h\x1b]0;t\x07'), '', 'nothing dropped needs undoing');
  assert.equal(restoreAfter('\x1b[1;20r'), '\x1b7\x1b[r\x1b8');
  assert.equal(restoreAfter('\x1b[?1049h\x1b[1;20r'), '\x1b[r\x1b[?1049l');
  assert.equal(restoreAfter('\x1b[?6h\x1b[2;5r'), '\x1b[?6l\x1b[r');
  assert.equal(restoreAfter('\x1b[?2026h\x1b[?1h\x1b[?7l\x1b[4h\x1b(0\x1b[2 q'), '\x1b[?2026l\x1b[?7h\x1b[?1l\x1b[4l\x0f\x1b(B\x1b)B\x1b[0 q');
  assert.equal(restoreAfter('\x1b[?25l\x1b[31m\x1b[!p'), '');
  const f = new TerminalOutputFilter();
  f.push(bytes('\x1b[?1049h\x1b[31'));
  assert.equal(text(f.end()), '\x1b[?1049l', 'an unfinished sequence is dropped');
  assert.equal(text(f.end()), '', 'restored once');
});

// Random output: whole sequences of every kind, fragments, C1 in both forms, UTF-8 and raw bytes.
const num = fc.oneof(fc.integer({ min: 0, max: 2100 }), fc.constantFrom(1, 2, 3, 5, 6, 9, 12, 25, 1000, 1003, 1004, 1006, 1049, 2004)).map(String);
const piece: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }).map(utf8),
  fc.uint8Array({ maxLength: 12 }),
  fc.array(num, { maxLength: 4 }).map((p) => bytes(`\x1b[${p.join(';')}m`)),
  fc.tuple(fc.constantFrom('', '?', '>', '<', '='), fc.array(num, { maxLength: 3 }), fc.constantFrom('', ' ', '$', '!', '"', "'", '*', '#'), fc.integer({ min: 0x40, max: 0x7e })).map(
    ([m, p, i, f]) => bytes(`\x1b[${m}${p.join(';')}${i}${String.fromCharCode(f)}`),
  ),
  fc.tuple(fc.constantFrom('', '?'), fc.array(num, { minLength: 1, maxLength: 4 }), fc.constantFrom('h', 'l')).map(([m, p, f]) => bytes(`\x1b[${m}${p.join(';')}${f}`)),
  fc.tuple(fc.constantFrom(']', 'P', 'X', '^', '_', '\x9d', '\x90', '\x9f', '\xc2\x9d', '\xc2\x90'), fc.string({ maxLength: 20 }), fc.constantFrom('\x07', '\x1b\\', '\x9c', '\xc2\x9c', '')).map(
    ([o, body, end]) => bytes(`${o.length === 1 && o < '\x80' ? '\x1b' : ''}${o}${body}${end}`),
  ),
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => bytes(`\x1b${String.fromCharCode(c)}`)),
  fc.integer({ min: 0, max: 0x1f }).map((c) => Uint8Array.of(c)),
  fc.tuple(fc.integer({ min: 0x80, max: 0x9f }), fc.boolean()).map(([c, raw]) => (raw ? Uint8Array.of(c) : Uint8Array.of(0xc2, c))),
);
const stream = fc.tuple(fc.array(piece, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 6 }));

function splitAt(input: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (input.length === 0 ? 0 : c % (input.length + 1))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(input.subarray(last, p));
    last = p;
  }
  chunks.push(input.subarray(last));
  return chunks;
}

test('fuzz: never throws, chunking changes nothing, nothing forbidden passes, output never grows', () => {
  const options = { maxSequence: 32, maxString: 64 };
  const check = (input: Buffer, cuts: number[]): void => {
    const expected = whole(input, options);
    const f = new TerminalOutputFilter(options);
    let total = 0;
    for (const chunk of splitAt(input, cuts)) {
      const out = f.push(chunk);
      total += out.length;
      assert.deepEqual(outputProblems(out), [], `output of a chunk of ${JSON.stringify(text(input))}`);
      assert.ok(f.pending <= 32 + 4);
    }
    const rest = f.flush();
    total += rest.length;
    assert.ok(total <= input.length, 'output longer than input');
    assert.equal(total, expected.length);
    assert.deepEqual(outputProblems(expected), []);
    assert.ok(whole(expected, options).equals(expected), 'filtering twice changes nothing more');
  };
  fc.assert(fc.property(stream, ([pieces, cuts]) => check(Buffer.concat(pieces), cuts)), { numRuns: 2000 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 6 }), (b, cuts) => check(Buffer.from(b), cuts)), { numRuns: 2000 });
});
