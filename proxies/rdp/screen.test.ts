import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScreenPlayer } from '../../src/graphics/player.js';
import { RecordType } from '../../src/graphics/records.js';
import { capture } from './codec/test-captures.js';
import { walkCapture } from './codec/walker.js';
import type { Envelope } from './codec/envelope.js';
import { InputObserver } from './input.js';
import { joined, screenRecords } from './screen.js';

for (const name of ['xfreerdp-shadow-tls-restricted.txt', 'xfreerdp-xrdp-tls-restricted.txt'] as const) {
  test(`the screen records of ${name} give the desktop size and draw every bitmap without error`, () => {
    const { envelopes } = walkCapture(capture(name));
    const records = envelopes.flatMap(screenRecords);
    const size = records.find((r) => r.type === RecordType.DesktopSize);
    assert.ok(size, 'a desktop size from the Demand Active');
    const bitmaps = records.filter((r) => r.type === RecordType.Bitmap);
    assert.ok(bitmaps.length > 0, 'bitmap records');
    const player = new ScreenPlayer();
    for (const r of records) player.apply(r);
    assert.ok(player.sized);
    // Something other than the initial black was drawn.
    assert.ok(player.fb.pixels.some((v, i) => i % 4 !== 3 && v !== 0), 'pixels drawn');
    assert.deepEqual(envelopes.filter((e) => e.dir === 'c2s').flatMap(screenRecords), [], 'client PDUs draw nothing');
  });
}

const fast = (events: { flags: number; event: unknown }[]): Envelope =>
  ({ dir: 'c2s', kind: 'fastpath', label: 'fastpath-input', fastpath: { input: { header: 0, separateCount: false, lengthWidth: 1, events }, contents: [], labels: [] } }) as Envelope;
const key = (code: number, release = false): { flags: number; event: unknown } => ({ flags: release ? 1 : 0, event: { type: 'scancode', flags: 0, keyCode: code } });

test('input: scan codes become key events and a typed line, a button press a click, a move a pointer position', () => {
  const seen = new InputObserver(true).observe(
    fast([key(0x23), key(0x23, true), key(0x17), key(0x1c), { flags: 0, event: { type: 'mouse', pointerFlags: 0x0800, x: 5, y: 6 } }, { flags: 0, event: { type: 'mouse', pointerFlags: 0x9000, x: 7, y: 8 } }, { flags: 0, event: { type: 'mouse', pointerFlags: 0x1000, x: 7, y: 8 } }]),
  );
  assert.deepEqual(seen.events, [
    { type: 'key', text: 'h' },
    { type: 'key', text: 'i' },
    { type: 'key', key: 'Enter' },
    { type: 'typed', text: 'hi', endedBy: 'Enter' },
    { type: 'click', button: 'left', x: 7, y: 8 },
  ]);
  assert.deepEqual(seen.screen, [{ type: RecordType.PointerPosition, x: 5, y: 6 }]);
});

test('input: without keystroke recording the text is masked, named keys are kept, and what is left is flushed at the end', () => {
  const observer = new InputObserver(false);
  const seen = observer.observe(fast([key(0x19), key(0x1e), key(0x1f), key(0x0f), key(0x1f)]));
  assert.deepEqual(seen.events, [
    { type: 'key', text: '*' },
    { type: 'key', text: '*' },
    { type: 'key', text: '*' },
    { type: 'key', key: 'Tab' },
    { type: 'typed', text: '***', endedBy: 'Tab' },
    { type: 'key', text: '*' },
  ]);
  assert.deepEqual(observer.flush(), { type: 'typed', text: '*', endedBy: null });
  assert.equal(observer.flush(), null);
});

test('a compression header and the stream after it become one record field: a view when adjacent, a copy when not, the same bytes', () => {
  const pdu = Buffer.from('00112233445566778899aabbcc', 'hex');
  const header = pdu.subarray(2, 10);
  const data = pdu.subarray(10);
  const view = joined(header, data);
  const apart = joined(header, Buffer.from('aabbcc', 'hex'));
  // Same memory but not adjacent: copied, in the order given.
  const swapped = joined(pdu.subarray(10), pdu.subarray(0, 2));
  assert.equal(view.toString('hex'), '2233445566778899aabbcc');
  assert.equal(apart.toString('hex'), '2233445566778899aabbcc');
  assert.equal(swapped.toString('hex'), 'aabbcc0011');
  pdu.fill(0);
  assert.equal(view.toString('hex'), '0000000000000000000000', 'a view of the PDU, no copy');
  assert.equal(apart.toString('hex'), '2233445566778899aabbcc', 'copied');
  assert.equal(swapped.toString('hex'), 'aabbcc0011', 'copied');
});
