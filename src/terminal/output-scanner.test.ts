import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ForwardBuffer, OutputScanner } from './output-scanner.js';

const encoder = new TextEncoder();

/** Scans `chunks`; returns the bytes kept for the screen, the displayed text and the line feeds. */
function scan(chunks: (string | Uint8Array)[]): { forward: string; text: string; feeds: number } {
  const forward = new ForwardBuffer();
  const scanner = new OutputScanner(forward);
  let text = '';
  let feeds = 0;
  const kept: number[] = [];
  for (const c of chunks) {
    scanner.scan(typeof c === 'string' ? encoder.encode(c) : c, {
      text: (cp) => (text += String.fromCodePoint(cp)),
      ascii: (data, from, to) => (text += Buffer.from(data.subarray(from, to)).toString('latin1')),
      lineFeed: () => feeds++,
    });
    kept.push(...forward.bytes.subarray(0, forward.length));
    forward.clear();
  }
  return { forward: Buffer.from(kept).toString('utf8'), text, feeds };
}

const SAMPLE =
  'a\x1b[1;31mb\x1b[0m\x1b]0;title\x07c\x1b]52;c;aGVsbG8=\x1b\\d\x1bPq#0;2;0;0;0~-\x1b\\e\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\f' +
  '\u009d8;;http://x\u009cg\u009b2Kh\u0090dcs\u009cé€🎉\r\n\x1b(Bi\x1bEj';

describe('OutputScanner', () => {
  test('string sequences never reach the screen; CSI, ESC and text do', () => {
    const r = scan([SAMPLE]);
    assert.equal(r.forward, 'a\x1b[1;31mb\x1b[0mcdefg\u009b2Khé€🎉\r\n\x1b(Bi\x1bEj');
    assert.equal(r.text, 'abcdefghé€🎉ij');
    assert.equal(r.feeds, 1);
  });

  test('every split of the sample gives the same result', () => {
    const bytes = encoder.encode(SAMPLE);
    const whole = scan([bytes]);
    for (let k = 1; k < bytes.length; k++) assert.deepEqual(scan([bytes.subarray(0, k), bytes.subarray(k)]), whole, `split at ${k}`);
  });

  test('an unterminated OSC of 8 MiB keeps nothing and ends at ST', () => {
    const forward = new ForwardBuffer();
    const scanner = new OutputScanner(forward);
    let text = '';
    const sink = {
      text: (cp: number) => (text += String.fromCodePoint(cp)),
      ascii: (data: Uint8Array, from: number, to: number) => (text += Buffer.from(data.subarray(from, to)).toString('latin1')),
      lineFeed: () => undefined,
    };
    scanner.scan(encoder.encode('\x1b]52;c;'), sink);
    const block = new Uint8Array(1 << 16).fill(0x41);
    for (let i = 0; i < 128; i++) scanner.scan(block, sink);
    assert.equal(forward.length, 0);
    assert.equal(text, '');
    scanner.scan(encoder.encode('\x1b\\ok'), sink);
    assert.equal(text, 'ok');
  });

  test('CAN and SUB end a string; BEL ends only OSC', () => {
    assert.equal(scan(['\x1bPx\x07y\x18z']).text, 'z');
    assert.equal(scan(['\x1b]x\x07y']).text, 'y');
    assert.equal(scan(['\x1b_x\x1ay']).text, 'y');
  });

  test('invalid UTF-8 shows as U+FFFD, split characters come out whole', () => {
    assert.equal(scan([Uint8Array.of(0xff, 0x41, 0xc3), Uint8Array.of(0x41)]).text, '\ufffdA\ufffdA');
    assert.equal(scan([Uint8Array.of(0xf0, 0x9f), Uint8Array.of(0x8e), Uint8Array.of(0x89)]).text, '🎉');
    assert.equal(scan([Uint8Array.of(0xf4, 0xbf, 0xbf, 0xbf)]).text, '\ufffd');
  });
});
