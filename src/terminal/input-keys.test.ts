import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeyKind, KeyReader, type Key } from './input-keys.js';

const encoder = new TextEncoder();

function keys(chunks: (string | Uint8Array)[]): { kind: KeyKind; bytes: string }[] {
  const reader = new KeyReader();
  const out: Key[] = [];
  chunks.forEach((c, t) => reader.push(t, typeof c === 'string' ? encoder.encode(c) : c, (k) => out.push(k)));
  reader.flush((k) => out.push(k));
  return out.map((k) => ({ kind: k.kind, bytes: Buffer.concat(k.parts.map((p) => p.bytes)).toString('latin1') }));
}

const P = KeyKind.Print;
const C = KeyKind.Control;

describe('KeyReader', () => {
  test('splits typing into printable characters, controls and key sequences', () => {
    assert.deepEqual(keys(['aé\x1b[A\x1bOP\x1b[1;5C\x1bb\x1b[M !"\t\x7f\x03\r\n\x1b\x1b[200~x\x1b[201~']), [
      { kind: P, bytes: 'a' },
      { kind: P, bytes: 'Ã©' },
      { kind: C, bytes: '\x1b[A' },
      { kind: C, bytes: '\x1bOP' },
      { kind: C, bytes: '\x1b[1;5C' },
      { kind: C, bytes: '\x1bb' },
      { kind: KeyKind.Report, bytes: '\x1b[M !"' },
      { kind: C, bytes: '\t' },
      { kind: C, bytes: '\x7f' },
      { kind: KeyKind.Abort, bytes: '\x03' },
      { kind: KeyKind.Enter, bytes: '\r' },
      { kind: KeyKind.Enter, bytes: '\n' },
      { kind: C, bytes: '\x1b' },
      { kind: C, bytes: '\x1b[200~' },
      { kind: P, bytes: 'x' },
      { kind: C, bytes: '\x1b[201~' },
    ]);
  });

  test("the terminal's own answers and mouse reports are reports, not keys that edit a line", () => {
    const kinds = keys(['\x1b[2;1R\x1b[?62;22c\x1b[>41;380;0c\x1b[0n\x1b[I\x1b[O\x1b[?2004;1$y\x1b[<0;12;7M\x1b[<0;12;7m\x1b[D\x1b[3~']).map((k) => k.kind);
    assert.deepEqual(kinds, [...Array(9).fill(KeyKind.Report), C, C]);
  });

  test("a terminal's string answers are reports when whole in one chunk; Alt+P then typing stays keys", () => {
    assert.deepEqual(keys(['\x1b[>84;0;0c\x1bP>|tmux 3.3a\x1b\\\x1b]11;rgb:0000/0000/0000\x07x']), [
      { kind: KeyKind.Report, bytes: '\x1b[>84;0;0c' },
      { kind: KeyKind.Report, bytes: '\x1bP>|tmux 3.3a\x1b\\' },
      { kind: KeyKind.Report, bytes: '\x1b]11;rgb:0000/0000/0000\x07' },
      { kind: P, bytes: 'x' },
    ]);
    assert.deepEqual(keys(['\x1bP', 'secret\r']).map((k) => k.kind), [C, P, P, P, P, P, P, KeyKind.Enter]);
    assert.deepEqual(keys(['\x1b]secret\r']).map((k) => k.kind), [C, P, P, P, P, P, P, KeyKind.Enter]);
  });

  test('a key split across chunks is one key, each part with its chunk time', () => {
    const reader = new KeyReader();
    const out: Key[] = [];
    reader.push(5, Uint8Array.of(0x1b, 0x5b), (k) => out.push(k));
    reader.push(9, Uint8Array.of(0x42), (k) => out.push(k));
    assert.deepEqual(out, [{ kind: C, cp: 0, parts: [{ t: 5, bytes: Uint8Array.of(0x1b, 0x5b) }, { t: 9, bytes: Uint8Array.of(0x42) }] }]);
  });

  test('every split gives the same keys', () => {
    const sample = encoder.encode('ls é€🎉\x1b[A\x1b[1;5D\x1bOQ\x1bx\x1b[M!!!\r\x03');
    const whole = keys([sample]);
    for (let k = 1; k < sample.length; k++) assert.deepEqual(keys([sample.subarray(0, k), sample.subarray(k)]), whole, `split at ${k}`);
  });

  test('broken UTF-8 is printable, so it is masked when not echoed', () => {
    assert.deepEqual(keys([Uint8Array.of(0xff, 0xc3, 0x41, 0xe2, 0x82)]), [
      { kind: P, bytes: '\xff' },
      { kind: P, bytes: '\xc3' },
      { kind: P, bytes: 'A' },
      { kind: P, bytes: '\xe2\x82' },
    ]);
  });

  test('an overlong key sequence is cut at 64 bytes', () => {
    const long = `\x1b[${'1;'.repeat(100)}m`;
    const k = keys([long]);
    assert.equal(k[0]!.bytes.length, 64);
    assert.equal(k.map((x) => x.bytes).join(''), long);
  });
});
