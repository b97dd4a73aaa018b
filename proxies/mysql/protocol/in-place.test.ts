/**
 * Packets read where they lie in a larger chunk (`payload[start, end)`) read as the same
 * packets do on their own: the same fields, and the same errors, whatever bytes surround them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Capability as C } from './capabilities.js';
import { decodeEof, decodeErr, decodeOk, decodeResultSetEnd, encodeEof, encodeErr, encodeOk, ServerStatus } from './packets.js';
import { binaryNull, decodeColumnCount, encodeBinaryRow, encodeColumnCount, openBinaryRow, openTextRow } from './resultset.js';
import { ColumnType } from './values.js';
import { PayloadReader } from './wire.js';

/** What `read` gives: its value, or the message of what it threw. */
function outcome(read: () => unknown): unknown {
  try {
    return { value: read() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** `payload` with `before` and `after` around it, and where it lies in that. */
function surrounded(payload: Uint8Array, before: Uint8Array, after: Uint8Array): { chunk: Buffer; start: number; end: number } {
  return { chunk: Buffer.concat([before, payload, after]), start: before.length, end: before.length + payload.length };
}

const around = fc.uint8Array({ maxLength: 12 });
const capabilities = fc.constantFrom(
  C.CLIENT_PROTOCOL_41,
  C.CLIENT_PROTOCOL_41 | C.CLIENT_DEPRECATE_EOF,
  C.CLIENT_PROTOCOL_41 | C.CLIENT_SESSION_TRACK | C.CLIENT_DEPRECATE_EOF,
  C.CLIENT_TRANSACTIONS,
  0,
);

/** Payloads of every kind the answers hold: valid ones, the same damaged, and any bytes. */
const payloads = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc
    .tuple(
      fc.record({ affectedRows: fc.nat(70_000), lastInsertId: fc.nat(), statusFlags: fc.constantFrom(0, ServerStatus.SERVER_STATUS_IN_TRANS, ServerStatus.SERVER_MORE_RESULTS_EXISTS), warnings: fc.nat(3), info: fc.string({ maxLength: 20 }) }),
      fc.nat(300),
      fc.constantFrom(0, 1, 5, 250, 251, 70_000),
    )
    .chain(([ok, code, columns]) =>
      fc.constantFrom(
        encodeOk(ok, C.CLIENT_PROTOCOL_41 | C.CLIENT_SESSION_TRACK),
        encodeOk(ok, C.CLIENT_PROTOCOL_41),
        encodeEof({ warnings: ok.warnings, statusFlags: ok.statusFlags }, C.CLIENT_PROTOCOL_41),
        encodeErr({ code, sqlState: 'HY000', message: ok.info }, C.CLIENT_PROTOCOL_41),
        encodeColumnCount(Math.max(1, columns), C.CLIENT_PROTOCOL_41),
      ),
    ),
).chain((p) => fc.tuple(fc.constant(p), fc.nat(p.length), fc.boolean()).map(([bytes, cut, shorten]) => (shorten ? bytes.subarray(0, cut) : bytes)));

describe('MySQL packets read in place', () => {
  test('fuzz: OK, EOF, ERR, result set ends and column counts read the same in place as on their own', () => {
    fc.assert(
      fc.property(payloads, around, around, capabilities, (payload, before, after, caps) => {
        const own = Buffer.from(payload);
        const { chunk, start, end } = surrounded(payload, before, after);
        assert.deepEqual(outcome(() => decodeOk(chunk, caps, start, end)), outcome(() => decodeOk(own, caps)));
        assert.deepEqual(outcome(() => decodeEof(chunk, caps, start, end)), outcome(() => decodeEof(own, caps)));
        assert.deepEqual(outcome(() => decodeErr(chunk, caps, start, end)), outcome(() => decodeErr(own, caps)));
        assert.deepEqual(outcome(() => decodeResultSetEnd(chunk, caps, start, end)), outcome(() => decodeResultSetEnd(own, caps)));
        assert.deepEqual(outcome(() => decodeColumnCount(chunk, caps, 0, start, end)), outcome(() => decodeColumnCount(own, caps)));
      }),
      { numRuns: 2000 },
    );
  });

  test('fuzz: a reader bounded inside a chunk reads what a reader of the payload alone reads', () => {
    type Read = (r: PayloadReader) => unknown;
    const reads: Read[] = [
      (r) => r.int1('a'),
      (r) => r.int2('a'),
      (r) => r.int3('a'),
      (r) => r.int4('a'),
      (r) => r.int8('a'),
      (r) => r.lenencInt('a'),
      (r) => r.nullableLenencInt('a'),
      (r) => r.lenencBytes('a'),
      (r) => r.nullableLenencBytes('a'),
      (r) => r.lenencString('a'),
      (r) => r.nulBytes('a'),
      (r) => r.nulString('a'),
      (r) => r.nulOrEofString(),
      (r) => r.bytes(3, 'a'),
      (r) => r.string(2, 'a'),
      (r) => r.skip(1, 'a'),
      (r) => r.peek(),
      (r) => r.remaining,
      (r) => r.rest(),
      (r) => r.restString(),
      (r) => r.expectRoom(4, 'items', 2),
      (r) => r.end(),
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), around, around, fc.array(fc.nat(reads.length - 1), { maxLength: 8 }), (payload, before, after, program) => {
        const { chunk, start, end } = surrounded(payload, before, after);
        const own = new PayloadReader(Buffer.from(payload), 'server', 'packet');
        const inPlace = new PayloadReader(chunk, 'server', 'packet', start, end);
        for (const k of program) {
          const expected = outcome(() => reads[k]!(own));
          assert.deepEqual(outcome(() => reads[k]!(inPlace)), expected);
          if ('error' in (expected as object)) return;
          assert.equal(inPlace.position - start, own.position);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('rows read in place: the NULL bitmap and the values are where the row starts', () => {
    const columns = [
      { type: ColumnType.LONGLONG, flags: 0 },
      { type: ColumnType.VAR_STRING, flags: 0 },
      { type: ColumnType.LONG, flags: 0 },
    ];
    const row = encodeBinaryRow([7, null, 9], columns);
    // Bytes before the row that would read as a bitmap of all NULLs, and a value that runs on.
    const { chunk, start, end } = surrounded(row, Buffer.alloc(3, 0xff), Buffer.alloc(3, 0x05));
    const r = openBinaryRow(chunk, columns.length, start, end);
    assert.deepEqual([0, 1, 2].map((i) => binaryNull(chunk, i, start)), [false, true, false]);
    assert.equal(r.int8('value'), 7);
    assert.equal(r.int4('value'), 9);
    r.end();
    const text = surrounded(Buffer.from([1, 0x41, 0xfb]), Buffer.of(0x05), Buffer.of(0x02));
    const t = openTextRow(text.chunk, 3, text.start, text.end);
    assert.equal(t.nullableLenencStart('column', 0), text.start + 1);
    assert.equal(t.nullableLenencStart('column', 1), -1);
    assert.throws(() => t.nullableLenencStart('column', 2), /text row ends inside the length of column 3/);
  });
});
