import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { refuses } from '../../wire/test-support.js';
import { Reader } from './bytes.js';
import { readPerLength, writePerLength } from './asn1.js';
import { Fragmentation, FastPathReassembler, parseFastPathOutput, serializeFastPathOutput, UpdateCode } from './fastpath-output.js';
import { decodeContent } from './fastpath.js';
import { parseFastPathInput, parseSlowInput, serializeFastPathInput, serializeSlowInput, type FastPathEvent } from './input.js';
import { parseMcs, serializeMcs } from './mcs.js';
import { parseBitmapUpdate, parsePalette, parseSlowPointer, serializeBitmapUpdate, serializeSlowPointer, surfaceCommandTypes } from './updates.js';

const fpEvent: fc.Arbitrary<FastPathEvent> = fc.oneof(
  fc.record({ flags: fc.constantFrom(0, 1, 2, 3), keyCode: fc.nat(255) }).map(({ flags, keyCode }) => ({ flags, event: { type: 'scancode' as const, flags, keyCode } })),
  fc.record({ flags: fc.nat(31), code: fc.nat(0xffff) }).map(({ flags, code }) => ({ flags, event: { type: 'unicode' as const, flags, code } })),
  fc.record({ p: fc.nat(0xffff), x: fc.nat(0xffff), y: fc.nat(0xffff), ext: fc.boolean() }).map(({ p, x, y, ext }) => ({ flags: 0, event: { type: ext ? ('mouse-x' as const) : ('mouse' as const), pointerFlags: p, x, y } })),
  fc.nat(15).map((t) => ({ flags: t, event: { type: 'sync' as const, toggleFlags: t } })),
  fc.nat().map((timestamp) => ({ flags: 0, event: { type: 'qoe' as const, timestamp } })),
);

describe('input', () => {
  test('fast-path input events round-trip, up to 15 counted in the header and more in a byte of their own', () => {
    fc.assert(
      fc.property(fc.array(fpEvent, { minLength: 1, maxLength: 40 }), (events) => {
        const bytes = serializeFastPathInput({ header: 0, separateCount: false, lengthWidth: 1, events });
        const back = parseFastPathInput(bytes);
        assert.deepEqual(back.events, events);
        assert.equal(back.separateCount, events.length > 15);
        assert.deepEqual(serializeFastPathInput(back), bytes);
      }),
    );
  });

  test('xfreerdp\'s fast-path input from the capture: a key press, a sync, a key release', () => {
    const p = parseFastPathInput(Buffer.from('0c8008010f60010f', 'hex'));
    assert.deepEqual(p.events.map((e) => e.event.type), ['scancode', 'sync', 'scancode']);
    assert.equal(serializeFastPathInput(p).toString('hex'), '0c8008010f60010f');
  });

  test('slow-path input events round-trip', () => {
    const p = { pad: 0, events: [{ time: 5, event: { type: 'scancode' as const, flags: 0x8000, keyCode: 0x1e } }, { time: 6, event: { type: 'mouse' as const, pointerFlags: 0x800, x: 10, y: 20 } }, { time: 7, event: { type: 'sync' as const, toggleFlags: 2 } }] };
    assert.deepEqual(parseSlowInput(serializeSlowInput(p)), p);
    refuses(() => parseSlowInput(Buffer.from('05000000', 'hex')), /input events: needs 60 bytes/);
  });

  test('encrypted fast-path input is refused', () => {
    refuses(() => parseFastPathInput(Buffer.from('840500aabb', 'hex')), /encrypted fast-path input/);
  });
});

describe('updates', () => {
  const rect = { destLeft: 0, destTop: 0, destRight: 63, destBottom: 63, width: 64, height: 64, bitsPerPixel: 16, flags: 1, compressionHeader: Buffer.from('0000100080000020', 'hex'), data: Buffer.from('deadbeef', 'hex') };

  test('a bitmap update with a compressed-data header and one without', () => {
    const raw = { ...rect, flags: 0x401, compressionHeader: null };
    const bytes = serializeBitmapUpdate([rect, raw]);
    assert.deepEqual(parseBitmapUpdate(bytes), [rect, raw]);
    assert.equal(bytes.readUInt16LE(4 + 16), 12, 'bitmapLength counts the header');
  });

  test('a bitmap larger than a desktop, a palette of more than 256 colours are refused', () => {
    refuses(() => parseBitmapUpdate(serializeBitmapUpdate([{ ...rect, width: 40000 }])), /40000x64 bitmap/);
    refuses(() => parsePalette(Buffer.from('020000000101000000', 'hex')), /257 colours/);
  });

  test('pointer updates: position, cached, new colour pointer', () => {
    for (const p of [
      { messageType: 3, pad: 0, pointer: { kind: 'position' as const, x: 10, y: 20 } },
      { messageType: 7, pad: 0, pointer: { kind: 'cached' as const, cacheIndex: 3 } },
      { messageType: 8, pad: 0, pointer: { kind: 'new' as const, xorBpp: 32, pointer: { cacheIndex: 0, hotX: 1, hotY: 2, width: 2, height: 2, xorMask: Buffer.alloc(16, 0xff), andMask: Buffer.alloc(4), tail: Buffer.alloc(0) } } },
    ]) assert.deepEqual(parseSlowPointer(serializeSlowPointer(p)), p);
    refuses(() => parseSlowPointer(Buffer.from('0800000020000000', 'hex')), /needs 2 bytes/);
  });

  test('fast-path fragments are put together before decoding, within a bound', () => {
    const whole = serializeBitmapUpdate([rect]);
    const parts = [whole.subarray(0, 10), whole.subarray(10, 20), whole.subarray(20)];
    const frag = [Fragmentation.FIRST, Fragmentation.NEXT, Fragmentation.LAST];
    const r = new FastPathReassembler();
    const out = parts.map((data, i) => {
      const pdu = serializeFastPathOutput({ header: 0, lengthWidth: 2, updates: [{ code: UpdateCode.BITMAP, fragmentation: frag[i]!, compression: 0, compressionFlags: null, data }] });
      return r.push(parseFastPathOutput(pdu).updates[0]!);
    });
    assert.deepEqual(out.slice(0, 2), [null, null]);
    assert.deepEqual(decodeContent(out[2]!.code, out[2]!.data), { kind: 'bitmap', rects: [rect] });
    const small = new FastPathReassembler(15);
    small.push({ code: 1, fragmentation: Fragmentation.FIRST, compression: 0, compressionFlags: null, data: Buffer.alloc(10) });
    refuses(() => small.push({ code: 1, fragmentation: Fragmentation.LAST, compression: 0, compressionFlags: null, data: Buffer.alloc(10) }), /longer than 15 bytes/);
    refuses(() => new FastPathReassembler().push({ code: 1, fragmentation: Fragmentation.NEXT, compression: 0, compressionFlags: null, data: Buffer.alloc(1) }), /without its first/);
  });

  test('surface commands are recognised by type', () => {
    const marker = Buffer.from('0400000001000000', 'hex');
    const bits = Buffer.concat([Buffer.from('0100', 'hex'), Buffer.alloc(8), Buffer.from('20000000', 'hex'), Buffer.from('40004000', 'hex'), Buffer.from('03000000', 'hex'), Buffer.from('abcdef', 'hex')]);
    assert.deepEqual(surfaceCommandTypes(Buffer.concat([marker, bits, marker])), [4, 1, 4]);
    refuses(() => surfaceCommandTypes(bits.subarray(0, 20)), /surface bits/);
    refuses(() => surfaceCommandTypes(bits.subarray(0, 24)), /bitmap data/);
  });
});

describe('MCS and PER', () => {
  test('a PER length keeps the width it came in', () => {
    for (const hex of ['14', '8014', '8123']) {
      const l = readPerLength(new Reader(Buffer.from(hex, 'hex'), 'per'));
      assert.equal(writePerLength(l.value, l.width).toString('hex'), hex);
    }
  });

  test('domain PDUs from the captures round-trip', () => {
    for (const hex of ['0401000100', '28', '2e00000b', '38000803f1', '3e00000803f103f1', '64000703ef708014' + '00'.repeat(20), '2180']) {
      assert.equal(serializeMcs(parseMcs(Buffer.from(hex, 'hex'))).toString('hex'), hex);
    }
    refuses(() => parseMcs(Buffer.from('64000703ef7005aa', 'hex')), /userData: needs 5 bytes/);
  });
});
