/**
 * The framer's runs of skipped rows (framer.ts, `skipsRun`/`skippedRun`):
 * rows a sink refuses past its cap are stepped over in a tight loop and
 * counted in one call, with the events the one-by-one path gives.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cutPoints, cuts, hex, splitAt } from '../../wire/test-support.js';
import { PacketFramer, writePacket, type PacketSink } from './framer.js';
import type { Event } from './framer-test-support.js';

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
