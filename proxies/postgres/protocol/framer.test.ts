import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { assertSameHoweverCut, cutPoints, cuts, pushCutAnywhere, splitAt } from '../../wire/test-support.js';
import { MAX_MESSAGE_LENGTH, MessageFramer, frameStartupPacket, type FrameSink, type FramerOptions } from './framer.js';
import { encodeStartupMessage } from './startup.js';
import { MessageWriter, type Side } from './wire.js';

type Event = ['message', string, string, number, boolean] | ['skipped', string, number];
type Wants = (type: number, bodyLength: number) => boolean;

const all: Wants = () => true;

/** A sink that records every callback, types as characters and bodies as hex. */
function recorder(wants: Wants = all) {
  const events: Event[] = [];
  const asked: [string, number][] = [];
  const sink: FrameSink = {
    wants(type, bodyLength) {
      asked.push([String.fromCharCode(type), bodyLength]);
      return wants(type, bodyLength);
    },
    message(type, body, totalLength, truncated) {
      events.push(['message', String.fromCharCode(type), body.toString('hex'), totalLength, truncated]);
    },
    skipped(type, bodyLength) {
      events.push(['skipped', String.fromCharCode(type), bodyLength]);
    },
  };
  return { sink, events, asked };
}

function message(type: string, body: string | Uint8Array = '', side: Side = 'frontend'): Buffer {
  return new MessageWriter(side).bytes(typeof body === 'string' ? Buffer.from(body) : body).finish(type.charCodeAt(0));
}

/** A raw header with any length field. */
function header(type: number, length: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = type;
  b.writeUInt32BE(length >>> 0, 1);
  return b;
}

function feed(chunks: Buffer[], wants: Wants = all, options: FramerOptions = { side: 'frontend' }): Event[] {
  const framer = new MessageFramer(options);
  const { sink, events } = recorder(wants);
  for (const c of chunks) framer.push(c, sink);
  assert.ok(framer.idle, 'stream ends on a message boundary');
  return events;
}

const stream = Buffer.concat([
  message('Q', 'select 1\0'),
  message('P', 'stmt\0select $1\0\0\x01\0\0\0\x17'),
  message('S'),
  message('d', Buffer.alloc(40, 7)),
  message('H'),
  message('X'),
]);

/** Sequences of well-formed frontend messages, as a client might send them. */
const frontendMessages = fc.array(
  fc.record({ type: fc.constantFrom(...'BCdcfDEHFPpQSX'), body: fc.uint8Array({ maxLength: 60 }) }),
  { maxLength: 12 },
);

/** What a sink that keeps `maxBuffered` bytes of a body sees for `ms`, as `wants` picks. */
function expectedEvents(ms: { type: string; body: Uint8Array }[], wants: Wants, maxBuffered: number): Event[] {
  return ms.map((m) =>
    wants(m.type.charCodeAt(0), m.body.length)
      ? ['message', m.type, Buffer.from(m.body.subarray(0, maxBuffered)).toString('hex'), m.body.length, m.body.length > maxBuffered]
      : ['skipped', m.type, m.body.length],
  );
}

describe('MessageFramer', () => {
  test('hands over each wanted message with its type, body and length', () => {
    const events = feed([stream]);
    assert.deepEqual(
      events.map((e) => e.slice(0, 2)),
      [
        ['message', 'Q'],
        ['message', 'P'],
        ['message', 'S'],
        ['message', 'd'],
        ['message', 'H'],
        ['message', 'X'],
      ],
    );
    assert.deepEqual(events[0], ['message', 'Q', Buffer.from('select 1\0').toString('hex'), 9, false]);
    assert.deepEqual(events[2], ['message', 'S', '', 0, false]);
  });

  test('asks once per message, with the body length', () => {
    const framer = new MessageFramer({ side: 'frontend' });
    const { sink, asked } = recorder(() => false);
    for (const c of splitAt(stream, [1, 2, 3, 4, 5, 6, 7, 30, 31])) framer.push(c, sink);
    assert.deepEqual(asked, [
      ['Q', 9],
      ['P', 21],
      ['S', 0],
      ['d', 40],
      ['H', 0],
      ['X', 0],
    ]);
  });

  test('gives the same messages however the stream is cut in two', () => {
    assertSameHoweverCut(stream, (chunks) => feed(chunks));
  });

  test('gives the same messages however the stream is cut in three', () => {
    assertSameHoweverCut(stream.subarray(0, 40), (chunks) => feed(chunks), { inThree: true });
  });

  test('gives the same messages fed one byte at a time, wanted or not', () => {
    const bytes = [...stream].map((b) => Buffer.of(b));
    assert.deepEqual(feed(bytes), feed([stream]));
    const onlyCopy: Wants = (t) => t === 0x64;
    assert.deepEqual(feed(bytes, onlyCopy), feed([stream], onlyCopy));
  });

  test('a body inside one chunk is a view of that chunk, not a copy', () => {
    const chunk = Buffer.concat([message('Q', 'select 1\0'), message('S')]);
    const bodies: Buffer[] = [];
    new MessageFramer({ side: 'frontend' }).push(chunk, { wants: all, message: (_t, body) => bodies.push(body) });
    assert.equal(bodies[0]!.buffer, chunk.buffer);
    assert.equal(bodies[0]!.byteOffset, chunk.byteOffset + 5);
  });

  test('a body split across chunks is assembled', () => {
    const body = Buffer.from('select * from pg_class where relname = $1\0');
    const m = message('Q', body);
    assert.deepEqual(feed(splitAt(m, [10, 20, 30])), [['message', 'Q', body.toString('hex'), body.length, false]]);
  });

  test('steps over an unwanted body across chunks, reporting its length once', () => {
    const big = message('d', Buffer.alloc(100_000, 1));
    const all3 = Buffer.concat([message('Q', 'copy t from stdin\0'), big, message('c')]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < all3.length; i += 7000) chunks.push(all3.subarray(i, i + 7000));
    const events = feed(chunks, (t) => t !== 0x64);
    assert.deepEqual(
      events.map((e) => e.slice(0, 2)),
      [
        ['message', 'Q'],
        ['skipped', 'd'],
        ['message', 'c'],
      ],
    );
    assert.deepEqual(events[1], ['skipped', 'd', 100_000]);
  });

  test('cuts a wanted body longer than maxBuffered and flags it', () => {
    const body = Buffer.from('0123456789abcdefghij');
    const m = Buffer.concat([message('Q', body), message('Q', '01234567'), message('S')]);
    const options: FramerOptions = { side: 'frontend', maxBuffered: 8 };
    const expected: Event[] = [
      ['message', 'Q', Buffer.from('01234567').toString('hex'), 20, true],
      ['message', 'Q', Buffer.from('01234567').toString('hex'), 8, false],
      ['message', 'S', '', 0, false],
    ];
    assertSameHoweverCut(m, (chunks) => feed(chunks, all, options), { expected });
  });

  test('refuses a length field below 4', () => {
    const framer = new MessageFramer({ side: 'frontend' });
    assert.throws(
      () => framer.push(header(0x51, 3), recorder().sink),
      (err: unknown) => err instanceof ProtocolError && err.message === 'postgres/frontend: Query message length 3 is below 4',
    );
  });

  test('refuses a length field above maxLength, by default PostgreSQL’s limit', () => {
    assert.throws(() => new MessageFramer({ side: 'backend' }).push(header(0x44, MAX_MESSAGE_LENGTH + 1), recorder().sink), {
      message: `postgres/backend: DataRow message length ${MAX_MESSAGE_LENGTH + 1} exceeds the limit of ${MAX_MESSAGE_LENGTH}`,
    });
    assert.throws(() => new MessageFramer({ side: 'backend' }).push(header(0x44, 0xffff_ffff), recorder().sink), ProtocolError);
    const small = new MessageFramer({ side: 'frontend', maxLength: 100 });
    small.push(message('Q', Buffer.alloc(96)), recorder().sink);
    assert.throws(() => small.push(message('Q', Buffer.alloc(97)), recorder().sink), /Query message length 101 exceeds the limit of 100/);
  });

  test('refuses an unknown type byte from a client, not from a server', () => {
    assert.throws(() => new MessageFramer({ side: 'frontend' }).push(message('z', 'secret'), recorder().sink), {
      message: "postgres/frontend: unknown message type 0x7a 'z'",
    });
    assert.throws(() => new MessageFramer({ side: 'frontend' }).push(header(0x16, 8), recorder().sink), {
      message: 'postgres/frontend: unknown message type 0x16',
    });
    assert.deepEqual(feed([message('z', 'x', 'backend')], all, { side: 'backend' }), [['message', 'z', '78', 1, false]]);
  });

  test('after a framing error every push throws the same error', () => {
    const framer = new MessageFramer({ side: 'frontend' });
    let first: unknown;
    try {
      framer.push(header(0x51, 2), recorder().sink);
    } catch (err) {
      first = err;
    }
    assert.ok(first instanceof ProtocolError);
    assert.throws(() => framer.push(message('S'), recorder().sink), (err: unknown) => err === first);
  });

  test('a sink that throws keeps the framing: the chunk is finished, then the first error thrown', () => {
    const framer = new MessageFramer({ side: 'frontend' });
    const seen: string[] = [];
    const sink: FrameSink = {
      wants(type) {
        if (type === 0x50) throw new Error('wants failed');
        return true;
      },
      message(type) {
        seen.push(String.fromCharCode(type));
        if (type === 0x51) throw new Error('message failed');
      },
      skipped(type) {
        seen.push(`skipped ${String.fromCharCode(type)}`);
      },
    };
    const chunk = Buffer.concat([message('Q', 'x\0'), message('P', '\0x\0\0\0'), message('S')]);
    assert.throws(() => framer.push(chunk.subarray(0, 7), sink), /message failed/);
    assert.throws(() => framer.push(chunk.subarray(7), sink), /wants failed/);
    framer.push(message('X'), sink);
    assert.deepEqual(seen, ['Q', 'skipped P', 'S', 'X']);
  });

  test('idle and bytesToBoundary tell where the next message boundary is', () => {
    for (const wants of [all, () => false]) {
      const framer = new MessageFramer({ side: 'frontend' });
      const { sink } = recorder(wants);
      const m = message('Q', 'select 1\0');
      assert.ok(framer.idle);
      assert.equal(framer.bytesToBoundary(), 0);
      framer.push(m.subarray(0, 3), sink);
      assert.ok(!framer.idle);
      assert.equal(framer.bytesToBoundary(), null);
      framer.push(m.subarray(3, 8), sink);
      assert.ok(!framer.idle);
      assert.equal(framer.bytesToBoundary(), m.length - 8);
      framer.push(m.subarray(8), sink);
      assert.ok(framer.idle);
      assert.equal(framer.bytesToBoundary(), 0);
    }
  });

  test('fuzz: any bytes, cut anywhere, only ever throw ProtocolError and always finish', () => {
    // Random bytes mostly fail at the first header; damaged valid streams reach deeper.
    const damaged = fc
      .tuple(
        fc.array(fc.record({ type: fc.constantFrom(...'QPBdSDTZ'), body: fc.uint8Array({ maxLength: 80 }) }), { maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      )
      .map(([ms, flips]) => {
        const data = Buffer.concat([Buffer.alloc(0), ...ms.map((m) => message(m.type, m.body))]);
        for (const [at, byte] of flips) if (data.length > 0) data[at % data.length] = byte;
        return new Uint8Array(data);
      });
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 400 }), damaged),
        cuts,
        fc.constantFrom<Side>('frontend', 'backend'),
        fc.nat(64),
        fc.func(fc.boolean()),
        (bytes, cutsAt, side, maxBuffered, wants) => {
          const data = Buffer.from(bytes);
          const framer = new MessageFramer({ side, maxBuffered, maxLength: 300 });
          let callbacks = 0;
          const sink: FrameSink = {
            wants: (t, n) => wants(t, n),
            message: () => void callbacks++,
            skipped: () => void callbacks++,
          };
          pushCutAnywhere((c) => framer.push(c, sink), data, cutsAt);
          assert.ok(callbacks <= data.length / 5 + 1);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('fuzz: valid message sequences frame the same however they are cut', () => {
    fc.assert(
      fc.property(frontendMessages, cuts, fc.integer({ min: 0, max: 40 }), fc.func(fc.boolean()), (ms, cutsAt, maxBuffered, wants) => {
        const data = Buffer.concat(ms.map((m) => message(m.type, m.body)));
        const options: FramerOptions = { side: 'frontend', maxBuffered };
        const expected = expectedEvents(ms, wants, maxBuffered);
        assert.deepEqual(feed([data], wants, options), expected);
        assert.deepEqual(feed(splitAt(data, cutPoints(cutsAt, data.length)), wants, options), expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('MessageFramer: bodies read where they lie', () => {
  test('fuzz: a sink reading bodies in place gets every message once, the same however the stream is cut', () => {
    fc.assert(
      fc.property(frontendMessages, cuts, fc.integer({ min: 0, max: 40 }), fc.func(fc.boolean()), fc.func(fc.boolean()), (ms, cutsAt, maxBuffered, wants, inPlace) => {
        const data = Buffer.concat(ms.map((m) => message(m.type, m.body)));
        const expected = expectedEvents(ms, wants, maxBuffered);
        for (const chunks of [[data], splitAt(data, cutPoints(cutsAt, data.length))]) {
          const framer = new MessageFramer({ side: 'frontend', maxBuffered });
          const { sink, events } = recorder(wants);
          let readInPlace = 0;
          sink.messageAt = (type, bytes, start, end) => {
            const body = bytes.subarray(start, end);
            assert.ok(chunks.includes(bytes), 'offered in the chunk being pushed');
            assert.ok(end - start <= maxBuffered, 'never a body longer than maxBuffered');
            if (!inPlace(type, end - start)) return false;
            readInPlace++;
            events.push(['message', String.fromCharCode(type), body.toString('hex'), end - start, false]);
            return true;
          };
          for (const c of chunks) framer.push(c, sink);
          assert.ok(framer.idle);
          assert.deepEqual(events, expected);
          if (chunks.length === 1) {
            // An empty body has nothing to lie anywhere: it comes through message, as a shared empty Buffer.
            const whole = ms.filter((m) => m.body.length > 0 && m.body.length <= maxBuffered && wants(m.type.charCodeAt(0), m.body.length) && inPlace(m.type.charCodeAt(0), m.body.length));
            assert.equal(readInPlace, whole.length, 'every wanted body whole in the chunk is offered in place');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a sink that throws while reading in place keeps the framing, as message does', () => {
    const framer = new MessageFramer({ side: 'frontend' });
    const { sink, events } = recorder();
    sink.messageAt = (type) => {
      if (type === 0x51) throw new Error('sink fault');
      return false;
    };
    assert.throws(() => framer.push(stream, sink), /sink fault/);
    assert.ok(framer.idle);
    assert.deepEqual(
      events.map((e) => e[1]),
      ['P', 'S', 'd', 'H', 'X'],
    );
  });
});

describe('MessageFramer: runs of skipped messages', () => {
  /**
   * A sink that refuses DataRows once `cap` were taken until another type comes, as the
   * observer does past its row cap, and says so with skipsRun; events of a run are
   * expanded back into one ['skipped'] per message so they compare with the one-by-one path.
   */
  function capped(cap: number, runs: boolean) {
    let taken = 0;
    const events: Event[] = [];
    const counted: number[] = [];
    const sink: FrameSink = {
      wants: (type) => {
        if (type !== 0x44) {
          taken = 0;
          return true;
        }
        return taken++ < cap;
      },
      message: (type, body, totalLength, truncated) => void events.push(['message', String.fromCharCode(type), body.toString('hex'), totalLength, truncated]),
      skipped: (type, bodyLength) => void events.push(['skipped', String.fromCharCode(type), bodyLength]),
    };
    if (runs) {
      sink.skipsRun = (type) => type === 0x44;
      sink.skippedRun = (type, count, bytes) => {
        counted.push(count);
        // Rows of one stream here all have the same body length, so a run expands exactly.
        for (let k = 0; k < count; k++) events.push(['skipped', String.fromCharCode(type), bytes / count]);
      };
    }
    return { sink, events, counted };
  }

  const row = message('D', Buffer.alloc(11, 1), 'backend');
  const result = (rows: number): Buffer => Buffer.concat([message('T', 'cols', 'backend'), ...Array.from({ length: rows }, () => row), message('C', 'SELECT\0', 'backend')]);

  test('rows past the cap are counted in a few calls, and the events are those of the one-by-one path', () => {
    const data = Buffer.concat([result(1000), message('Z', 'I', 'backend'), result(2)]);
    const one = capped(3, false);
    new MessageFramer({ side: 'backend' }).push(data, one.sink);
    const framer = new MessageFramer({ side: 'backend' });
    const run = capped(3, true);
    framer.push(data, run.sink);
    assert.deepEqual(run.events, one.events);
    assert.ok(framer.idle);
    // The first row refused comes one by one; the 996 behind it in one run.
    assert.deepEqual(run.counted, [996]);
  });

  test('fuzz: however the stream is cut, runs give the events of the one-by-one path, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }), fc.nat(4), cuts, (sizes, cap, cutsAt) => {
        const data = Buffer.concat(sizes.map(result));
        const one = capped(cap, false);
        new MessageFramer({ side: 'backend' }).push(data, one.sink);
        const run = capped(cap, true);
        const framer = new MessageFramer({ side: 'backend' });
        for (const c of splitAt(data, cutPoints(cutsAt, data.length))) framer.push(c, run.sink);
        assert.deepEqual(run.events, one.events);
        assert.ok(framer.idle);
      }),
      { numRuns: 300 },
    );
  });

  test('a bad length inside a run is still refused, after the rows before it were counted', () => {
    const framer = new MessageFramer({ side: 'backend', maxLength: 1000 });
    const run = capped(0, true);
    assert.throws(() => framer.push(Buffer.concat([message('T', 'cols', 'backend'), row, row, row, header(0x44, 5000)]), run.sink), ProtocolError);
    assert.deepEqual(run.counted, [2]);
    assert.equal(run.events.filter((e) => e[0] === 'skipped').length, 3);
  });
});

describe('frameStartupPacket', () => {
  const packet = encodeStartupMessage({ user: 'alice', database: 'app' });

  test('waits for the length, then for the whole packet', () => {
    assert.equal(frameStartupPacket(packet.subarray(0, 3)), null);
    assert.equal(frameStartupPacket(packet.subarray(0, packet.length - 1)), null);
    const withMore = Buffer.concat([packet, message('Q', 'select 1\0')]);
    const framed = frameStartupPacket(withMore);
    assert.deepEqual(framed, packet);
    assert.equal(framed!.buffer, withMore.buffer);
  });

  test('refuses lengths PostgreSQL refuses', () => {
    const len = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    };
    assert.throws(() => frameStartupPacket(len(7)), { message: 'postgres/frontend: startup packet length 7 is outside 8..10004' });
    assert.throws(() => frameStartupPacket(len(10_005)), ProtocolError);
    assert.equal(frameStartupPacket(len(10_004)), null);
    assert.throws(() => frameStartupPacket(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])), /TLS handshake/);
  });
});
