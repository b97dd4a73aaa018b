import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { assertSameHoweverCut, cutPoints, cuts, hex, pushCutAnywhere, splitAt } from '../../wire/test-support.js';
import { MAX_PACKET_PAYLOAD, PacketFramer, packetCount, writePacket, type PacketFramerOptions, type PacketSink } from './framer.js';
import { all, feed, recorder, type Event, type Wants } from './framer-test-support.js';

// A greeting, a login OK and a short result set, as a MariaDB server sent them.
const greeting = hex(
  '0a352e352e352d31302e31312e31392d4d6172696144422d302b64656231327531002300000' +
    '07e6663405362723500fef72d0200ff81150000000000001d000000527d3d58254a282830553f79006d7973716c5f6e61746976655f70617373776f726400',
);
const stream = Buffer.concat([
  writePacket(greeting, 0),
  writePacket(hex('00000002400000000701050474657374'), 2),
  writePacket(hex('01'), 1),
  writePacket(Buffer.from('\x03def\x00\x00\x00\x01a\x00\x0c\x3f\x00\x01\x00\x00\x00\x03\x81\x00\x00\x00\x00', 'latin1'), 2),
  writePacket(hex('0131'), 3),
  writePacket(hex(''), 4),
  writePacket(hex('fb'), 5),
  writePacket(hex('fe000002000000'), 6),
]);

/** Sequences of one-packet messages with any sequence ids. */
const onePacketMessages = fc.array(fc.record({ seq: fc.nat(255), payload: fc.uint8Array({ maxLength: 60 }) }), { maxLength: 12 });

/** What a sink that keeps `maxBuffered` bytes of a payload sees for `ms`, as `wants` picks. */
function expectedEvents(ms: { seq: number; payload: Uint8Array }[], wants: Wants, maxBuffered: number): Event[] {
  return ms.map((m) => {
    const first = m.payload.length > 0 ? m.payload[0]! : -1;
    return wants(first, m.payload.length, m.seq)
      ? ['message', Buffer.from(m.payload.subarray(0, maxBuffered)).toString('hex'), m.seq, m.payload.length, m.payload.length > maxBuffered]
      : ['skipped', first, m.payload.length, m.seq];
  });
}

describe('PacketFramer', () => {
  test('hands over each message with its payload, sequence id and length', () => {
    const events = feed([stream]);
    assert.equal(events.length, 8);
    assert.deepEqual(events[0], ['message', greeting.toString('hex'), 0, greeting.length, false]);
    assert.deepEqual(events[4], ['message', '0131', 3, 2, false]);
    assert.deepEqual(events[5], ['message', '', 4, 0, false]);
    assert.deepEqual(events[7], ['message', 'fe000002000000', 6, 7, false]);
  });

  test('asks once per message with the first byte (-1 when empty), the length and the sequence id', () => {
    const framer = new PacketFramer({ side: 'server' });
    const { sink, asked, events } = recorder(() => false);
    for (const c of splitAt(stream, [1, 2, 3, 4, 5, 6, 7, 30, 31, 100])) framer.push(c, sink);
    assert.deepEqual(asked, [
      [0x0a, greeting.length, 0],
      [0x00, 16, 2],
      [0x01, 1, 1],
      [0x03, 23, 2],
      [0x01, 2, 3],
      [-1, 0, 4],
      [0xfb, 1, 5],
      [0xfe, 7, 6],
    ]);
    assert.deepEqual(events[5], ['skipped', -1, 0, 4]);
    assert.deepEqual(events[7], ['skipped', 0xfe, 7, 6]);
  });

  test('gives the same messages however the stream is cut in two', () => {
    assertSameHoweverCut(stream, (chunks) => feed(chunks));
  });

  test('gives the same messages however the stream is cut in three', () => {
    assertSameHoweverCut(stream.subarray(greeting.length + 4), (chunks) => feed(chunks), { inThree: true });
  });

  test('gives the same messages fed one byte at a time, wanted or not', () => {
    const bytes = [...stream].map((b) => Buffer.of(b));
    assert.deepEqual(feed(bytes), feed([stream]));
    const onlyRows: Wants = (b) => b === 0x01;
    assert.deepEqual(feed(bytes, onlyRows), feed([stream], onlyRows));
  });

  test('a payload inside one chunk is a view of that chunk, not a copy', () => {
    const chunk = Buffer.concat([writePacket(Buffer.from('\x03select 1'), 0), writePacket(hex('0e'), 0)]);
    const payloads: Buffer[] = [];
    new PacketFramer({ side: 'client' }).push(chunk, { wants: all, message: (p) => payloads.push(p) });
    assert.equal(payloads[0]!.buffer, chunk.buffer);
    assert.equal(payloads[0]!.byteOffset, chunk.byteOffset + 4);
    assert.equal(payloads[1]!.byteOffset, chunk.byteOffset + 17);
  });

  test('a payload split across chunks is assembled', () => {
    const payload = Buffer.from('\x03select * from information_schema.tables where table_name = ?');
    const events = feed(splitAt(writePacket(payload, 0), [2, 10, 20, 30]));
    assert.deepEqual(events, [['message', payload.toString('hex'), 0, payload.length, false]]);
  });

  test('cuts a wanted payload longer than maxBuffered and flags it, however the stream is cut', () => {
    const m = Buffer.concat([writePacket(Buffer.from('0123456789abcdefghij'), 0), writePacket(Buffer.from('01234567'), 1), writePacket(hex(''), 2)]);
    const options: PacketFramerOptions = { side: 'server', maxBuffered: 8 };
    const expected: Event[] = [
      ['message', Buffer.from('01234567').toString('hex'), 0, 20, true],
      ['message', Buffer.from('01234567').toString('hex'), 1, 8, false],
      ['message', '', 2, 0, false],
    ];
    assertSameHoweverCut(m, (chunks) => feed(chunks, all, options), { expected });
  });

  test('refuses a message longer than maxLength, and stays failed', () => {
    const framer = new PacketFramer({ side: 'client', maxLength: 100 });
    framer.push(writePacket(Buffer.alloc(100, 3), 0), recorder().sink);
    let first: unknown;
    try {
      framer.push(writePacket(Buffer.alloc(101, 3), 0), recorder().sink);
    } catch (err) {
      first = err;
    }
    assert.ok(first instanceof ProtocolError);
    assert.equal(first.message, 'mysql/client: message of more than 100 bytes exceeds the limit');
    assert.throws(() => framer.push(writePacket(hex('0e'), 0), recorder().sink), (err: unknown) => err === first);
  });

  test('a sink that throws keeps the framing: the chunk is finished, then the first error thrown', () => {
    const framer = new PacketFramer({ side: 'client' });
    const seen: string[] = [];
    const sink: PacketSink = {
      wants(firstByte) {
        if (firstByte === 0x16) throw new Error('wants failed');
        return true;
      },
      message(payload) {
        seen.push(payload[0]!.toString(16));
        if (payload[0] === 0x03) throw new Error('message failed');
      },
      skipped(firstByte) {
        seen.push(`skipped ${firstByte.toString(16)}`);
      },
    };
    const chunk = Buffer.concat([writePacket(hex('0378'), 0), writePacket(hex('1678'), 0), writePacket(hex('0e'), 0)]);
    assert.throws(() => framer.push(chunk.subarray(0, 8), sink), /message failed/);
    assert.throws(() => framer.push(chunk.subarray(8), sink), /wants failed/);
    framer.push(writePacket(hex('01'), 0), sink);
    assert.deepEqual(seen, ['3', 'skipped 16', 'e', '1']);
  });

  test('idle and bytesToBoundary find every message boundary and no other', () => {
    const ends = new Set<number>([0]);
    const probe = new PacketFramer({ side: 'server' });
    let at = 0;
    const sink: PacketSink = { wants: () => false, message: () => {}, skipped: () => void ends.add(at) };
    // Where each message ends, found one byte at a time.
    for (; at < stream.length; ) {
      at++;
      probe.push(stream.subarray(at - 1, at), sink);
    }
    for (const wants of [all, () => false]) {
      const framer = new PacketFramer({ side: 'server' });
      const { sink: s } = recorder(wants);
      const idleAt: number[] = [];
      let pos = 0;
      while (pos < stream.length) {
        if (framer.idle) idleAt.push(pos);
        const step = framer.bytesToBoundary();
        assert.ok(framer.idle ? step === 0 : step > 0);
        const n = Math.max(step, 1);
        framer.push(stream.subarray(pos, pos + n), s);
        pos += n;
      }
      assert.ok(framer.idle);
      idleAt.push(pos);
      assert.deepEqual(idleAt, [...ends].sort((a, b) => a - b));
    }
  });

  test('lastSequenceId is the sequence id of the last packet header read', () => {
    const framer = new PacketFramer({ side: 'server' });
    assert.equal(framer.lastSequenceId, -1);
    framer.push(writePacket(hex('0000000200'), 7), recorder().sink);
    assert.equal(framer.lastSequenceId, 7);
  });

  test('writePacket splits at 0xFFFFFF, ends a multiple of it with an empty packet and wraps sequence ids', () => {
    assert.deepEqual(writePacket(hex(''), 3), hex('00000003'));
    assert.deepEqual(writePacket(hex('0e'), 255), hex('010000ff0e'));
    const exact = writePacket(Buffer.alloc(MAX_PACKET_PAYLOAD, 1), 255);
    assert.equal(exact.length, MAX_PACKET_PAYLOAD + 8);
    assert.deepEqual(exact.subarray(0, 4), hex('ffffffff'));
    assert.deepEqual(exact.subarray(MAX_PACKET_PAYLOAD + 4), hex('00000000'));
    const over = writePacket(Buffer.alloc(MAX_PACKET_PAYLOAD + 2, 1), 9);
    assert.deepEqual(over.subarray(MAX_PACKET_PAYLOAD + 4), hex('0200000a0101'));
    assert.deepEqual([0, 1, MAX_PACKET_PAYLOAD - 1, MAX_PACKET_PAYLOAD, 2 * MAX_PACKET_PAYLOAD + 1].map(packetCount), [1, 1, 1, 2, 3]);
  });
});

describe('PacketFramer with messages of several packets', () => {
  // Built once: 0xFFFFFF + 5 bytes (two packets), then a small message.
  const big = Buffer.alloc(MAX_PACKET_PAYLOAD + 5);
  for (let i = 0; i < big.length; i += 4093) big[i] = i & 0xff;
  big[0] = 0xfc;
  const two = Buffer.concat([writePacket(big, 1), writePacket(hex('fe00000200'), 3)]);
  const boundary = MAX_PACKET_PAYLOAD + 4;
  const interesting = [0, 3, 5, boundary - 1, boundary, boundary + 2, boundary + 4, boundary + 5, two.length - 3];

  test('assembles the packets of a message when the buffer allows, wherever the stream is cut', () => {
    for (const cut of interesting) {
      const framer = new PacketFramer({ side: 'server', maxBuffered: 32 * 1024 * 1024 });
      const got: [Buffer, boolean, number, number][] = [];
      const sink: PacketSink = { wants: all, message: (p, t, seq, total) => got.push([p, t, seq, total]) };
      for (const c of [two.subarray(0, cut), two.subarray(cut)]) framer.push(c, sink);
      assert.equal(got.length, 2, `cut at ${cut}`);
      assert.ok(got[0]![0].equals(big), `cut at ${cut}`);
      assert.deepEqual(got[0]!.slice(1), [false, 1, big.length]);
      assert.deepEqual(got[1]![0], hex('fe00000200'));
      assert.deepEqual(got[1]!.slice(1), [false, 3, 5]);
      assert.equal(framer.lastSequenceId, 3);
    }
  });

  test('asks with the first packet length, and truncates to maxBuffered by default', () => {
    for (const cut of interesting) {
      const framer = new PacketFramer({ side: 'server' });
      const { sink, events, asked } = recorder();
      for (const c of [two.subarray(0, cut), two.subarray(cut)]) framer.push(c, sink);
      assert.deepEqual(asked, [
        [0xfc, MAX_PACKET_PAYLOAD, 1],
        [0xfe, 5, 3],
      ]);
      assert.equal(events[0]![0], 'message');
      assert.equal(events[0]![1].length, 2 * 1024 * 1024);
      assert.ok(Buffer.from(events[0]![1] as string, 'hex').equals(big.subarray(0, 1024 * 1024)));
      assert.deepEqual(events[0]!.slice(2), [1, big.length, true]);
    }
  });

  test('steps over an unwanted message of several packets; bytesToBoundary never crosses its end', () => {
    const framer = new PacketFramer({ side: 'server' });
    const { sink, events } = recorder(() => false);
    let pos = 0;
    let idleCount = 0;
    while (pos < two.length) {
      if (framer.idle) idleCount++;
      const n = Math.max(framer.bytesToBoundary(), 1);
      framer.push(two.subarray(pos, pos + n), sink);
      pos += n;
    }
    assert.equal(idleCount, 2);
    assert.deepEqual(events, [
      ['skipped', 0xfc, big.length, 1],
      ['skipped', 0xfe, 5, 3],
    ]);
  });

  test('a message of exactly 0xFFFFFF bytes ends with an empty packet', () => {
    const exact = Buffer.alloc(MAX_PACKET_PAYLOAD, 0x61);
    const framer = new PacketFramer({ side: 'client', maxBuffered: 0 });
    const { sink, events } = recorder();
    const packets = writePacket(exact, 0);
    framer.push(packets.subarray(0, packets.length - 4), sink);
    assert.deepEqual(events, []);
    assert.ok(!framer.idle);
    framer.push(packets.subarray(packets.length - 4), sink);
    assert.deepEqual(events, [['message', '', 0, MAX_PACKET_PAYLOAD, true]]);
    assert.ok(framer.idle);
  });

  test('refuses a continuation packet out of sequence', () => {
    const bad = Buffer.from(two.subarray(0, boundary + 4));
    bad[boundary + 3] = 9;
    assert.throws(() => new PacketFramer({ side: 'server' }).push(bad, recorder().sink), {
      message: 'mysql/server: packet 2 of a multi-packet message has sequence id 9; expected 2',
    });
  });
});

describe('PacketFramer fuzzing', () => {
  test('any bytes, cut anywhere, only ever throw ProtocolError and always finish', () => {
    // Packets with small lengths, some full-length headers, then flipped bytes.
    const damaged = fc
      .tuple(
        fc.array(fc.record({ seq: fc.nat(255), payload: fc.uint8Array({ maxLength: 60 }) }), { maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      )
      .map(([ps, flips]) => {
        const data = Buffer.concat([Buffer.alloc(0), ...ps.map((p) => writePacket(p.payload, p.seq))]);
        for (const [at, byte] of flips) if (data.length > 0) data[at % data.length] = byte;
        return new Uint8Array(data);
      });
    const fullHeaders = fc.array(fc.oneof(fc.constant(Uint8Array.of(0xff, 0xff, 0xff)), fc.uint8Array({ maxLength: 20 })), { maxLength: 10 }).map((parts) => {
      const total = parts.reduce((n, p) => n + p.length, 0);
      const out = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    });
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 400 }), damaged, fullHeaders),
        cuts,
        fc.nat(64),
        fc.func(fc.boolean()),
        (bytes, cutsAt, maxBuffered, wants) => {
          const data = Buffer.from(bytes);
          const framer = new PacketFramer({ side: 'client', maxBuffered, maxLength: 300 });
          let callbacks = 0;
          const sink: PacketSink = {
            wants: (b, n, s) => wants(b, n, s),
            message: () => void callbacks++,
            skipped: () => void callbacks++,
          };
          pushCutAnywhere((c) => framer.push(c, sink), data, cutsAt);
          assert.ok(callbacks <= data.length / 4 + 1);
          assert.ok(framer.bytesToBoundary() >= 0);
        },
      ),
      { numRuns: 400 },
    );
  });

  test('valid packet sequences frame the same however they are cut', () => {
    fc.assert(
      fc.property(onePacketMessages, cuts, fc.integer({ min: 0, max: 40 }), fc.func(fc.boolean()), (ms, cutsAt, maxBuffered, wants) => {
        const data = Buffer.concat(ms.map((m) => writePacket(m.payload, m.seq)));
        const options: PacketFramerOptions = { side: 'server', maxBuffered };
        const expected = expectedEvents(ms, wants, maxBuffered);
        assert.deepEqual(feed([data], wants, options), expected);
        assert.deepEqual(feed(splitAt(data, cutPoints(cutsAt, data.length)), wants, options), expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('PacketFramer: payloads read where they lie', () => {
  test('fuzz: a sink reading payloads in place gets every message once, the same however the stream is cut', () => {
    fc.assert(
      fc.property(onePacketMessages, cuts, fc.integer({ min: 0, max: 40 }), fc.func(fc.boolean()), fc.func(fc.boolean()), (ms, cutsAt, maxBuffered, wants, inPlace) => {
        const data = Buffer.concat(ms.map((m) => writePacket(m.payload, m.seq)));
        const expected = expectedEvents(ms, wants, maxBuffered);
        for (const chunks of [[data], splitAt(data, cutPoints(cutsAt, data.length))]) {
          const framer = new PacketFramer({ side: 'server', maxBuffered });
          const { sink, events } = recorder(wants);
          let readInPlace = 0;
          sink.messageAt = (bytes, start, end, seq) => {
            assert.ok(chunks.includes(bytes), 'offered in the chunk being pushed');
            assert.ok(end > start && end - start <= maxBuffered, 'never an empty payload, nor one longer than maxBuffered');
            if (!inPlace(bytes[start]!, end - start, seq)) return false;
            readInPlace++;
            events.push(['message', bytes.subarray(start, end).toString('hex'), seq, end - start, false]);
            return true;
          };
          for (const c of chunks) framer.push(c, sink);
          assert.ok(framer.idle);
          assert.deepEqual(events, expected);
          if (chunks.length === 1) {
            const whole = ms.filter((m) => m.payload.length > 0 && m.payload.length <= maxBuffered && wants(m.payload[0]!, m.payload.length, m.seq) && inPlace(m.payload[0]!, m.payload.length, m.seq));
            assert.equal(readInPlace, whole.length, 'every wanted payload whole in the chunk is offered in place');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a message of several packets is assembled, never offered in place', () => {
    const long = Buffer.alloc(MAX_PACKET_PAYLOAD + 10, 0x41);
    const { sink, events } = recorder();
    const offered: number[] = [];
    sink.messageAt = (_bytes, start, end) => {
      offered.push(end - start);
      return true;
    };
    new PacketFramer({ side: 'server', maxBuffered: long.length }).push(Buffer.concat([writePacket(long, 1), writePacket(hex('fe00000200'), 3)]), sink);
    // The EOF after it lies whole in the chunk: read in place. The long message came through message.
    assert.deepEqual(offered, [5]);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.slice(2), [1, long.length, false]);
    assert.equal(events[0]![1], long.toString('hex'));
  });

  test('a sink that throws in messageAt keeps the framing, and gets no second callback for that message', () => {
    const framer = new PacketFramer({ side: 'server' });
    const { sink, events } = recorder();
    sink.messageAt = (bytes, start) => {
      if (bytes[start] === 0xff) throw new Error('read failed');
      return false;
    };
    const chunk = Buffer.concat([writePacket(hex('01'), 1), writePacket(hex('ff1500'), 2), writePacket(hex('fe00000200'), 3)]);
    assert.throws(() => framer.push(chunk, sink), /read failed/);
    assert.ok(framer.idle);
    assert.deepEqual(events, [
      ['message', '01', 1, 1, false],
      ['message', 'fe00000200', 3, 5, false],
    ]);
  });
});
