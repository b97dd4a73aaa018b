import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeStmtBulkExecute, encodeStmtBulkExecute, Indicator, type BulkValue } from './bulk.js';
import { ColumnType } from './values.js';

const TYPES = [
  { type: ColumnType.LONG, unsigned: false },
  { type: ColumnType.VAR_STRING, unsigned: false },
  { type: ColumnType.LONGLONG, unsigned: true },
];

describe('COM_STMT_BULK_EXECUTE', () => {
  const rows: BulkValue[][] = [
    [{ value: 1 }, { value: Buffer.from('one') }, { value: 10n }],
    [{ value: 2 }, { indicator: Indicator.Null }, { indicator: Indicator.Default }],
  ];

  test('rows of parameters with the types sent, or with those sent before', () => {
    const b = decodeStmtBulkExecute(encodeStmtBulkExecute(7, TYPES, rows), 3);
    assert.equal(b.statementId, 7);
    assert.equal(b.typesSent, true);
    assert.deepEqual(b.types, TYPES);
    assert.equal(b.rows.length, 2);
    assert.deepEqual(b.rows[1], [{ value: 2 }, { indicator: Indicator.Null }, { indicator: Indicator.Default }]);
    assert.equal(b.cut, false);
    const again = decodeStmtBulkExecute(encodeStmtBulkExecute(7, TYPES, rows, false), 3, TYPES);
    assert.equal(again.typesSent, false);
    assert.equal(again.rows.length, 2);
    assert.throws(() => decodeStmtBulkExecute(encodeStmtBulkExecute(7, TYPES, rows, false), 3), /no parameter types/);
  });

  test('a bad indicator is malformed', () => {
    const bytes = encodeStmtBulkExecute(7, TYPES, rows);
    bytes[7 + 6] = 9;
    assert.throws(() => decodeStmtBulkExecute(bytes, 3), /unknown indicator 9/);
  });

  test('property: cut at every byte, a kept prefix gives the whole rows that arrived and never throws past the header', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.option(fc.string({ maxLength: 30 })), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), { minLength: 1, maxLength: 20 }),
        (values) => {
          const rs: BulkValue[][] = values.map(([a, s, n]): BulkValue[] => [{ value: a }, s === null ? { indicator: Indicator.Null } : { value: Buffer.from(s) }, { value: n }]);
          const bytes = encodeStmtBulkExecute(1, TYPES, rs);
          const whole = decodeStmtBulkExecute(bytes, 3);
          assert.equal(whole.rows.length, rs.length);
          const headerLength = 1 + 4 + 2 + 2 * TYPES.length;
          for (let cut = headerLength; cut < bytes.length; cut++) {
            const part = decodeStmtBulkExecute(bytes.subarray(0, cut), 3, undefined, true);
            assert.ok(part.cut);
            assert.ok(part.rows.length <= rs.length);
            assert.deepEqual(part.rows, whole.rows.slice(0, part.rows.length));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('property: arbitrary bytes throw only ProtocolErrors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 4 }), (b, n) => {
        try {
          decodeStmtBulkExecute(Buffer.concat([Buffer.of(0xfa), Buffer.from(b)]), n, TYPES.slice(0, Math.min(n, 3)).concat(n > 3 ? [TYPES[0]!] : []));
        } catch (err) {
          assert.equal((err as Error).name, 'ProtocolError', String(err));
        }
      }),
    );
  });
});
