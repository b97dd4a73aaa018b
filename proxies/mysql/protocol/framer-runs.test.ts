/**
 * The framer's runs of rows (framer.ts): rows a sink takes (`rowAt`) are
 * offered in place in a tight loop, and rows it refuses past its cap
 * (`skipsRun`/`skippedRun`) are stepped over and counted in one call;
 * either way with the events the one-by-one path gives.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cutPoints, cuts, hex, splitAt } from '../../wire/test-support.js';
import { PacketFramer, writePacket, type PacketSink } from './framer.js';
import { recorder, type Event } from './framer-test-support.js';

describe('PacketFramer: runs of skipped rows', () => {
  /**
   * A sink that refuses rows (first byte below 0xFE) once `cap` were taken, until an EOF/OK/ERR
   * packet, as the observer does past its row cap, and says so with skipsRun when `runs`; a
   * run is expanded back into one ['skipped'] per row (rows here are all `rowLength` long, with
   * sequence ids counting up to the run's last) so it compares with the one-by-one path.
   */
  function capped(cap: number, runs: boolean, rowLength: number) {
    let inRows = false;
    let taken = 0;
    let refusing = false;
    const events: Event[] = [];
    const counted: number[] = [];
    const sink: PacketSink = {
      // The column count and definitions are read; the EOF after them starts the rows, the next one ends them.
      wants: (first) => {
        if (first >= 0xfe || first === -1) {
          inRows = !inRows;
          taken = 0;
          refusing = false;
          return true;
        }
        if (!inRows) return true;
        refusing = taken++ >= cap;
        return !refusing;
      },
      message: (payload, truncated, seq, total) => void events.push(['message', payload.toString('hex'), seq, total, truncated]),
      skipped: (first, total, seq) => void events.push(['skipped', first, total, seq]),
    };
    if (runs) {
      sink.skipsRun = () => refusing;
      sink.skippedRun = (count, lastSeq, bytes) => {
        counted.push(count);
        assert.equal(bytes, count * rowLength);
        for (let k = count - 1; k >= 0; k--) events.push(['skipped', 0x05, rowLength, (lastSeq - k + 256) & 0xff]);
      };
    }
    return { sink, events, counted };
  }

  const ROW = Buffer.from('\x05hello', 'latin1');
  /** Column count, one definition, EOF, `rows` text rows and an EOF, sequence ids from 1 (past 255 they wrap). */
  function resultSet(rows: number): Buffer {
    const packets = [hex('01'), hex('0364656600000001610000'), hex('fe00000200'), ...Array.from({ length: rows }, () => ROW), hex('fe00000200')];
    return Buffer.concat(packets.map((p, k) => writePacket(p, (1 + k) & 0xff)));
  }

  test('rows past the cap are counted in one call, sequence ids wrapping, with the events of the one-by-one path', () => {
    const data = resultSet(600);
    const one = capped(2, false, ROW.length);
    new PacketFramer({ side: 'server' }).push(data, one.sink);
    const run = capped(2, true, ROW.length);
    const framer = new PacketFramer({ side: 'server' });
    framer.push(data, run.sink);
    assert.deepEqual(run.events, one.events);
    assert.deepEqual(run.counted, [597]);
    assert.equal(framer.lastSequenceId, (3 + 600 + 1) & 0xff);
    assert.ok(framer.idle);
  });

  test('fuzz: however the stream is cut, runs give the events of the one-by-one path, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(300), { minLength: 1, maxLength: 3 }), fc.nat(4), cuts, (sizes, cap, cutsAt) => {
        const data = Buffer.concat(sizes.map(resultSet));
        const one = capped(cap, false, ROW.length);
        new PacketFramer({ side: 'server' }).push(data, one.sink);
        const run = capped(cap, true, ROW.length);
        const framer = new PacketFramer({ side: 'server' });
        for (const c of splitAt(data, cutPoints(cutsAt, data.length))) framer.push(c, run.sink);
        assert.deepEqual(run.events, one.events);
        assert.ok(framer.idle);
      }),
      { numRuns: 200 },
    );
  });

  test('a row out of sequence ends the run and is asked about', () => {
    const head = resultSet(5).subarray(0, -9);
    const stray = writePacket(ROW, 42);
    const run = capped(0, true, ROW.length);
    new PacketFramer({ side: 'server' }).push(Buffer.concat([head, stray]), run.sink);
    assert.deepEqual(run.counted, [4]);
    assert.deepEqual(run.events.at(-1), ['skipped', 0x05, ROW.length, 42]);
  });
});

describe('PacketFramer: runs of rows taken in place', () => {
  /** Rows (first byte below 0xFE) between a column count and definitions and two EOFs, sequence ids from `seq`. */
  function resultSet(rows: Buffer[], seq = 1): Buffer {
    const packets = [hex('01'), hex('0364656600000001610000'), hex('fe00000200'), ...rows, hex('fe00000200')];
    return Buffer.concat(packets.map((p, k) => writePacket(p, (seq + k) & 0xff)));
  }

  /** A recorder that takes every row it is offered, in place, unless `declines` says no to it. */
  function taker(declines: (first: number, length: number, seq: number) => boolean = () => false) {
    const r = recorder();
    let taken = 0;
    r.sink.rowAt = (bytes, start, end, seq) => {
      assert.ok(end > start && bytes[start]! < 0xfe, 'a row: not empty, not an EOF, OK or ERR');
      if (declines(bytes[start]!, end - start, seq)) return false;
      taken++;
      r.events.push(['message', bytes.subarray(start, end).toString('hex'), seq, end - start, false]);
      return true;
    };
    return { ...r, taken: () => taken };
  }

  const row = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => {
    const bytes = Buffer.from(b);
    bytes[0] = bytes[0]! % 0xfe;
    return bytes;
  });

  test('every message after a wanted one that could be a row is offered to rowAt, in order, when it lies whole in the chunk', () => {
    const rows = Array.from({ length: 300 }, (_, k) => Buffer.from(`\x05row${String(k).padStart(2, '0')}`, 'latin1'));
    const data = resultSet(rows, 250);
    const one = recorder();
    new PacketFramer({ side: 'server' }).push(data, one.sink);
    const run = taker();
    const framer = new PacketFramer({ side: 'server' });
    framer.push(data, run.sink);
    assert.deepEqual(run.events, one.events);
    // The definition follows the column count, and the rows the EOF.
    assert.equal(run.taken(), 1 + 300);
    assert.deepEqual(run.asked.map(([first]) => first), [0x01, 0xfe, 0xfe], 'wants is asked only of what cannot be a row');
    assert.equal(framer.lastSequenceId, (250 + 3 + 300) & 0xff);
    assert.ok(framer.idle);
  });

  test('fuzz: however the stream is cut and whatever the sink declines, the events of the one-by-one path', () => {
    fc.assert(
      fc.property(fc.array(fc.array(row, { maxLength: 30 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 48 }), fc.func(fc.boolean()), cuts, (sets, maxBuffered, declines, cutsAt) => {
        const data = Buffer.concat(sets.map((rows) => resultSet(rows)));
        const options = { side: 'server' as const, maxBuffered };
        const one = recorder();
        new PacketFramer(options).push(data, one.sink);
        const run = taker(declines);
        const framer = new PacketFramer(options);
        for (const c of splitAt(data, cutPoints(cutsAt, data.length))) framer.push(c, run.sink);
        assert.deepEqual(run.events, one.events);
        assert.ok(framer.idle);
      }),
      { numRuns: 300 },
    );
  });

  test('a row out of sequence, or an EOF, ends the run and is asked about', () => {
    const rows = [hex('0501'), hex('0502'), hex('0503')];
    const stray = writePacket(hex('0504'), 42);
    const run = taker();
    new PacketFramer({ side: 'server' }).push(Buffer.concat([resultSet(rows).subarray(0, -9), stray]), run.sink);
    assert.equal(run.taken(), 1 + 3);
    assert.deepEqual(run.asked.at(-1), [0x05, 2, 42]);
    assert.deepEqual(run.events.at(-1), ['message', '0504', 42, 2, false]);
  });

  test('a sink that throws in rowAt keeps the framing, and gets no second callback for that row', () => {
    const run = taker();
    const rowAt = run.sink.rowAt!;
    run.sink.rowAt = (bytes, start, end, seq) => {
      if (bytes[start] === 0x66) throw new Error('read failed');
      return rowAt(bytes, start, end, seq);
    };
    const framer = new PacketFramer({ side: 'server' });
    assert.throws(() => framer.push(resultSet([hex('0501'), hex('66'), hex('0503')]), run.sink), /read failed/);
    assert.ok(framer.idle);
    assert.deepEqual(
      run.events.map((e) => e[1]),
      ['01', '0364656600000001610000', 'fe00000200', '0501', '0503', 'fe00000200'],
    );
  });
});
