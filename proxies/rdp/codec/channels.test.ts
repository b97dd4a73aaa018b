import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { refuses } from '../../wire/test-support.js';
import { ChannelFlag, ChannelReassembler, chunkMessage, parseChannelChunk, serializeChannelChunk } from './channels.js';
import { CB_RESPONSE_OK, CF_UNICODETEXT, ClipboardTracker, ClipMsg, parseFormatList, serializeClipPdu, serializeFormatList } from './cliprdr.js';
import { parseDisplayControl, resizeRequest, serializeDisplayControl } from './display-control.js';
import { walkCapture } from './walker.js';
import { capture } from './test-captures.js';

const clip = (msgType: number, data: Buffer, msgFlags = 0) => serializeClipPdu({ msgType, msgFlags, data });
const u32 = (v: number) => Buffer.from(Uint32Array.of(v).buffer);

describe('virtual channel chunks', () => {
  test('a message cut into chunks comes back whole, whatever the chunk size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 1600 }), (data, size) => {
        const message = Buffer.from(data);
        const chunks = chunkMessage(message, size, ChannelFlag.SHOW_PROTOCOL);
        assert.equal(chunks.length, Math.max(1, Math.ceil(message.length / size)));
        const r = new ChannelReassembler();
        const results = chunks.map((c) => r.push(1004, parseChannelChunk(serializeChannelChunk(c))));
        assert.ok(results.slice(0, -1).every((x) => x === null));
        assert.deepEqual(results.at(-1)?.data, message);
        assert.ok(results.at(-1)!.flags & ChannelFlag.SHOW_PROTOCOL);
      }),
      { numRuns: 200 },
    );
  });

  test('chunks of two channels interleave without mixing', () => {
    const r = new ChannelReassembler();
    const a = chunkMessage(Buffer.alloc(3000, 1), 1600);
    const b = chunkMessage(Buffer.alloc(2000, 2), 1600);
    assert.equal(r.push(1, a[0]!), null);
    assert.equal(r.push(2, b[0]!), null);
    assert.deepEqual(r.push(2, b[1]!)?.data, Buffer.alloc(2000, 2));
    assert.deepEqual(r.push(1, a[1]!)?.data, Buffer.alloc(3000, 1));
  });

  test('a message over the bound, a chunk without its first, chunks longer than announced are refused', () => {
    refuses(() => new ChannelReassembler(1000).push(1, { length: 1001, flags: ChannelFlag.FIRST, data: Buffer.alloc(10) }), /more than 1000/);
    refuses(() => new ChannelReassembler().push(1, { length: 10, flags: ChannelFlag.LAST, data: Buffer.alloc(10) }), /without its first/);
    const r = new ChannelReassembler();
    r.push(1, { length: 10, flags: ChannelFlag.FIRST, data: Buffer.alloc(8) });
    refuses(() => r.push(1, { length: 10, flags: 0, data: Buffer.alloc(8) }), /longer than the message/);
  });

  test('the real captures carry whole cliprdr messages', () => {
    const msgs = walkCapture(capture('xfreerdp-xrdp-tls.txt')).envelopes.filter((e) => e.channel?.name === 'cliprdr' && e.channel.message);
    assert.ok(msgs.length >= 2);
    const types = msgs.map((e) => e.channel!.message!.data.readUInt16LE(0));
    assert.ok(types.includes(ClipMsg.CLIP_CAPS) || types.includes(ClipMsg.MONITOR_READY));
  });
});

describe('clipboard', () => {
  const caps = Buffer.concat([Buffer.from('01000000', 'hex'), Buffer.from('01000c00', 'hex'), u32(2), u32(0x2)]);

  test('long format names are read and written', () => {
    const list = [{ id: CF_UNICODETEXT, name: '' }, { id: 0xc004, name: 'FileGroupDescriptorW' }];
    assert.deepEqual(parseFormatList(serializeFormatList(list, true), true), list);
    assert.deepEqual(parseFormatList(serializeFormatList(list.slice(0, 1), false), false), list.slice(0, 1));
  });

  test('text pasted on the target from the person\'s clipboard, and the other way', () => {
    const t = new ClipboardTracker();
    assert.equal(t.push('server', clip(ClipMsg.CLIP_CAPS, caps)), null);
    assert.equal(t.push('client', clip(ClipMsg.CLIP_CAPS, caps)), null);
    t.push('client', clip(ClipMsg.FORMAT_LIST, serializeFormatList([{ id: CF_UNICODETEXT, name: '' }], true)));
    assert.deepEqual(t.offered.client, [{ id: CF_UNICODETEXT, name: '' }]);
    t.push('server', clip(ClipMsg.FORMAT_DATA_REQUEST, u32(CF_UNICODETEXT)));
    assert.deepEqual(t.push('client', clip(ClipMsg.FORMAT_DATA_RESPONSE, Buffer.from('ls -la /etc\0', 'utf16le'), CB_RESPONSE_OK)), { from: 'client', text: 'ls -la /etc' });
    t.push('client', clip(ClipMsg.FORMAT_DATA_REQUEST, u32(CF_UNICODETEXT)));
    assert.deepEqual(t.push('server', clip(ClipMsg.FORMAT_DATA_RESPONSE, Buffer.from('secret.txt\0', 'utf16le'), CB_RESPONSE_OK)), { from: 'server', text: 'secret.txt' });
  });

  test('a failed response or another format yields no text', () => {
    const t = new ClipboardTracker();
    t.push('server', clip(ClipMsg.FORMAT_DATA_REQUEST, u32(CF_UNICODETEXT)));
    assert.equal(t.push('client', clip(ClipMsg.FORMAT_DATA_RESPONSE, Buffer.alloc(0), 2)), null);
    t.push('server', clip(ClipMsg.FORMAT_DATA_REQUEST, u32(8)));
    assert.equal(t.push('client', clip(ClipMsg.FORMAT_DATA_RESPONSE, Buffer.alloc(40), CB_RESPONSE_OK)), null);
  });

  test('fuzz: any message fails only with a ProtocolError', () => {
    fc.assert(
      fc.property(fc.constantFrom('client' as const, 'server' as const), fc.integer({ min: 1, max: 11 }), fc.uint8Array({ maxLength: 80 }), (side, type, data) => {
        try {
          new ClipboardTracker().push(side, clip(type, Buffer.from(data)));
        } catch (err) {
          assert.equal((err as Error).name, 'ProtocolError');
        }
      }),
    );
  });
});

describe('display control', () => {
  test('a resize request round-trips; impossible sizes are refused', () => {
    const req = resizeRequest(1280, 720);
    const bytes = serializeDisplayControl(req);
    assert.equal(bytes.length, 8 + 8 + 40);
    assert.deepEqual(parseDisplayControl(bytes), req);
    refuses(() => resizeRequest(1281, 720), /1281x720/);
    refuses(() => parseDisplayControl(Buffer.concat([u32(2), u32(16), u32(40), u32(1)])), /needs 4 bytes/);
  });
});
