import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { hex, refuses } from '../../wire/test-support.js';
import { formatDouble, formatFixed, formatFloat } from './floats.js';
import { Capability as C, MariaDbCapability as M } from './capabilities.js';
import {
  BINARY_CHARSET,
  ColumnFlag as F,
  ColumnType as T,
  RIGHT_ALIGNED_TYPES,
  decodeBinaryRow,
  decodeColumnCount,
  decodeColumnDefinition,
  decodeTextRow,
  encodeBinaryRow,
  encodeColumnCount,
  encodeColumnDefinition,
  encodeTextRow,
  formatBinaryValue,
  formatTextValue,
  isPrintableUtf8,
  type BinaryColumn,
  type ColumnDefinition,
  type ColumnFormat,
} from './resultset.js';

const column: ColumnDefinition = {
  catalog: 'def',
  schema: 'test',
  table: 't',
  orgTable: 'alltypes',
  name: 'id',
  orgName: 'id',
  charset: BINARY_CHARSET,
  columnLength: 11,
  type: T.LONG,
  flags: F.NOT_NULL | F.PRI_KEY | F.AUTO_INCREMENT | F.NUM,
  decimals: 0,
};

describe('result set metadata', () => {
  test('column count, with the metadata flag only when metadata may be skipped', () => {
    assert.deepEqual(decodeColumnCount(hex('03'), C.CLIENT_PROTOCOL_41), { count: 3, metadataFollows: true });
    assert.deepEqual(decodeColumnCount(hex('fc2c01'), 0), { count: 300, metadataFollows: true });
    assert.deepEqual(encodeColumnCount(3, 0, M.MARIADB_CLIENT_CACHE_METADATA, false), hex('0300'));
    assert.deepEqual(decodeColumnCount(hex('0300'), 0, M.MARIADB_CLIENT_CACHE_METADATA), { count: 3, metadataFollows: false });
    const optional = C.CLIENT_OPTIONAL_RESULTSET_METADATA;
    assert.deepEqual(decodeColumnCount(encodeColumnCount(2, optional), optional), { count: 2, metadataFollows: true });
    refuses(() => decodeColumnCount(hex('0302'), 0, M.MARIADB_CLIENT_CACHE_METADATA), 'mysql/server: column count packet has metadata flag 2, not 0 or 1');
    refuses(() => decodeColumnCount(hex('0301'), 0), 'mysql/server: column count packet has 1 byte after its last field');
    refuses(() => decodeColumnCount(hex('fe0000000001000000'), 0), 'mysql/server: column count packet announces 4294967296 columns');
  });

  test('column definitions round-trip, with MariaDB extended metadata and COM_FIELD_LIST defaults', () => {
    assert.deepEqual(decodeColumnDefinition(encodeColumnDefinition(column)), column);
    const uuid = { ...column, type: T.STRING, charset: 45, extendedType: 'uuid' };
    const ext = M.MARIADB_CLIENT_EXTENDED_METADATA;
    assert.deepEqual(decodeColumnDefinition(encodeColumnDefinition(uuid, ext), ext), uuid);
    const json = { ...column, type: T.BLOB, extendedFormat: 'json' };
    assert.deepEqual(decodeColumnDefinition(encodeColumnDefinition(json, ext), ext), json);
    const plain = encodeColumnDefinition(column, ext);
    assert.deepEqual(decodeColumnDefinition(plain, ext), column);
    assert.deepEqual(decodeColumnDefinition(encodeColumnDefinition({ ...column, defaultValue: Buffer.from('0') })).defaultValue, Buffer.from('0'));
    assert.equal(decodeColumnDefinition(encodeColumnDefinition({ ...column, defaultValue: null })).defaultValue, null);
  });

  test('names are UTF-8 whatever their length, ASCII or not', () => {
    for (const name of ['', 'a', 'é', 'ab\u0000c', 'x'.repeat(8), 'y'.repeat(9), '日本', 'naïve_col', 'z'.repeat(300)]) {
      const c = { ...column, name, orgName: name, table: name };
      assert.deepEqual(decodeColumnDefinition(encodeColumnDefinition(c)), c);
    }
    // Bytes that are not UTF-8 decode as replacement characters, short or long.
    const bad = encodeColumnDefinition({ ...column, name: 'ab' });
    bad[bad.indexOf('ab', 0, 'latin1')] = 0xff;
    assert.equal(decodeColumnDefinition(bad).name, '\ufffdb');
  });

  test('reads a column definition MariaDB sent', () => {
    const payload = Buffer.from('\x03def\x00\x00\x00\x03one\x00\x0c\x3f\x00\x01\x00\x00\x00\x03\x81\x00\x00\x00\x00', 'latin1');
    assert.deepEqual(decodeColumnDefinition(payload), {
      catalog: 'def',
      schema: '',
      table: '',
      orgTable: '',
      name: 'one',
      orgName: '',
      charset: 63,
      columnLength: 1,
      type: T.LONG,
      flags: F.NOT_NULL | F.BINARY,
      decimals: 0,
    });
    refuses(() => decodeColumnDefinition(payload.subarray(0, 14)), 'mysql/server: column definition ends inside the character set');
    const odd = Buffer.from(payload);
    odd[12] = 0x0b;
    refuses(() => decodeColumnDefinition(odd), 'mysql/server: column definition gives its fixed fields a length of 11, not 12');
  });
});

describe('text rows', () => {
  test('decode to subarrays, with 0xFB as NULL', () => {
    const payload = encodeTextRow(['1', null, '', Buffer.alloc(300, 0x78)]);
    const row = decodeTextRow(payload, 4);
    assert.deepEqual(row, [Buffer.from('1'), null, Buffer.alloc(0), Buffer.alloc(300, 0x78)]);
    assert.equal(row[0]!.buffer, payload.buffer);
    refuses(() => decodeTextRow(payload, 5), 'mysql/server: text row ends inside the length of column 5');
    refuses(() => decodeTextRow(payload, 3), 'mysql/server: text row has 303 bytes after its last field');
    refuses(() => decodeTextRow(hex('01'), 1_000_000), 'mysql/server: text row announces 1000000 columns but has room for at most 1');
  });
});

const col = (type: number, flags = 0, decimals = 0, charset = BINARY_CHARSET, columnLength?: number): ColumnFormat & BinaryColumn => {
  const c: ColumnFormat & BinaryColumn = { type, flags, decimals, charset };
  if (columnLength !== undefined) c.columnLength = columnLength;
  return c;
};

describe('binary rows', () => {
  /** A row: header, bitmap, then the value bytes given. */
  const row = (bitmap: string, values: string) => hex('00' + bitmap + values);

  test('integers, signed and unsigned by the UNSIGNED flag', () => {
    const cols = [
      col(T.TINY),
      col(T.TINY, F.UNSIGNED),
      col(T.SHORT),
      col(T.SHORT, F.UNSIGNED),
      col(T.INT24),
      col(T.LONG),
      col(T.LONG, F.UNSIGNED),
      col(T.LONGLONG),
      col(T.LONGLONG, F.UNSIGNED),
      col(T.YEAR, F.UNSIGNED),
    ];
    const payload = row('0000', 'ff' + 'ff' + '0080' + 'ffff' + '00008000' + '00000080' + 'ffffffff' + '0100000000000080' + 'ffffffffffffffff' + 'e807');
    assert.deepEqual(decodeBinaryRow(payload, cols), [-1, 255, -32768, 65535, 8388608, -2147483648, 4294967295, -(2n ** 63n) + 1n, 2n ** 64n - 1n, 2024]);
    assert.deepEqual(decodeBinaryRow(row('00', '0100000000002000'), [col(T.LONGLONG)]), [2n ** 53n + 1n]);
    assert.deepEqual(decodeBinaryRow(row('00', 'ffffffffffff1f00'), [col(T.LONGLONG, F.UNSIGNED)]), [Number.MAX_SAFE_INTEGER]);
  });

  test('FLOAT and DOUBLE', () => {
    const f = Buffer.alloc(4);
    f.writeFloatLE(3.14159265);
    const d = Buffer.alloc(8);
    d.writeDoubleLE(-0.1);
    const values = decodeBinaryRow(Buffer.concat([hex('0000'), f, d]), [col(T.FLOAT, 0, 31), col(T.DOUBLE, 0, 31)]);
    assert.deepEqual(values, [Math.fround(3.14159265), -0.1]);
    assert.equal(formatBinaryValue(values[0]!, col(T.FLOAT, 0, 31)), '3.14159');
    assert.equal(formatBinaryValue(values[1]!, col(T.DOUBLE, 0, 31)), '-0.1');
    assert.equal(formatBinaryValue(values[0]!, col(T.FLOAT, 0, 3)), '3.142');
  });

  test('DATE, DATETIME and TIMESTAMP in their 0, 4, 7 and 11-byte forms', () => {
    const cols = [col(T.DATE), col(T.DATETIME), col(T.DATETIME), col(T.TIMESTAMP, 0, 6), col(T.DATETIME, 0, 3)];
    const payload = row('00', '00' + '04e8070201' + '07e807021d0d0e0f' + '0be807021d0d0e0f40e20100' + '0bcf070c1f173b3b20a10700');
    const values = decodeBinaryRow(payload, cols);
    const dt = (year: number, month: number, day: number, hour = 0, minute = 0, second = 0, microsecond = 0) => {
      return { kind: 'datetime', year, month, day, hour, minute, second, microsecond };
    };
    assert.deepEqual(values, [
      dt(0, 0, 0),
      dt(2024, 2, 1),
      dt(2024, 2, 29, 13, 14, 15),
      dt(2024, 2, 29, 13, 14, 15, 123456),
      dt(1999, 12, 31, 23, 59, 59, 500000),
    ]);
    assert.deepEqual(
      values.map((v, i) => formatBinaryValue(v, cols[i]!)),
      ['0000-00-00', '2024-02-01 00:00:00', '2024-02-29 13:14:15', '2024-02-29 13:14:15.123456', '1999-12-31 23:59:59.500'],
    );
    refuses(
      () => decodeBinaryRow(row('00', '05e8070201ff'), [col(T.DATE)]),
      'mysql/server: binary row gives date/time value 1 a length of 5, not 0, 4, 7 or 11',
    );
    refuses(() => decodeBinaryRow(row('00', '0be807021d0d0e0f40e201'), [col(T.DATETIME, 0, 6)]), 'mysql/server: binary row ends inside value 1');
  });

  test('TIME in its 0, 8 and 12-byte forms, hours counting the days', () => {
    const cols = [col(T.TIME), col(T.TIME), col(T.TIME, 0, 6)];
    const payload = row('00', '00' + '080122000000163b3b' + '0c000000000001020301000000');
    const values = decodeBinaryRow(payload, cols);
    assert.deepEqual(values.map((v, i) => formatBinaryValue(v, cols[i]!)), ['00:00:00', '-838:59:59', '01:02:03.000001']);
    refuses(() => decodeBinaryRow(row('00', '07000000000000'), [col(T.TIME)]), 'mysql/server: binary row gives time value 1 a length of 7, not 0, 8 or 12');
  });

  test('strings, DECIMAL, BLOB, JSON, ENUM, SET, BIT and GEOMETRY are length-encoded', () => {
    const types = [T.VAR_STRING, T.NEWDECIMAL, T.BLOB, T.JSON, T.STRING, T.STRING, T.BIT, T.GEOMETRY, T.VARCHAR, T.DECIMAL];
    const cols = types.map((t, i) => col(t, i === 4 ? F.ENUM : i === 5 ? F.SET : 0, 0, i === 0 || i === 3 ? 45 : BINARY_CHARSET));
    const texts = ['héllo', '-0.000001', '', '{"a": [1, 2]}', 'b', 'x,y'];
    const payload = encodeBinaryRow([...texts, hex('02aa'), hex('0101000000'), null, Buffer.from('1.5')], cols);
    const values = decodeBinaryRow(payload, cols);
    assert.deepEqual(values.slice(0, 6), texts.map((t) => Buffer.from(t)));
    assert.deepEqual(
      values.map((v, i) => formatBinaryValue(v, cols[i]!)),
      [...texts, '0x02AA', '0x0101000000', null, '1.5'],
    );
    assert.equal((values[0] as Buffer).buffer, payload.buffer);
  });

  test('the NULL bitmap starts at bit 2 and spans bytes', () => {
    // Nine columns: the bitmap takes (9 + 9) / 8 = 2 bytes; columns 0, 6 and 8 are NULL.
    const cols = Array.from({ length: 9 }, () => col(T.TINY));
    const values = [null, 1, 2, 3, 4, 5, null, 7, null];
    const payload = row('0405', '010203040507');
    assert.deepEqual(decodeBinaryRow(payload, cols), values);
    assert.deepEqual(encodeBinaryRow(values, cols), payload);
    refuses(() => decodeBinaryRow(hex('0100'), [col(T.TINY)]), 'mysql/server: binary row starts with 0x01, not 0x00');
    refuses(() => encodeBinaryRow([1], cols), 'mysql/server: binary row of 1 values for 9 columns');
    refuses(() => encodeBinaryRow(['1'], [col(T.LONG)]), 'mysql/server: binary value of type 3 cannot be written from string');
    refuses(() => decodeBinaryRow(hex('00'), cols), 'mysql/server: binary row ends inside the NULL bitmap');
    refuses(() => decodeBinaryRow(hex('00000000'), [col(T.TINY)]), 'mysql/server: binary row has 1 byte after its last field');
  });

  test('fuzz: encode then decode gives the row back; arbitrary rows throw only ProtocolError', () => {
    const typeArb = fc.constantFrom(T.TINY, T.SHORT, T.LONG, T.LONGLONG, T.DOUBLE, T.DATETIME, T.TIME, T.VAR_STRING, T.BLOB, T.NULL, T.YEAR, T.INT24, T.FLOAT);
    const cols = fc.array(fc.record({ type: typeArb, flags: fc.constantFrom(0, F.UNSIGNED) }), { maxLength: 12 });
    fc.assert(
      fc.property(cols, fc.uint8Array({ maxLength: 80 }), (columns, bytes) => {
        try {
          const values = decodeBinaryRow(Buffer.concat([hex('00'), Buffer.from(bytes)]), columns);
          // Whatever decodes re-encodes to something that decodes the same.
          assert.deepEqual(decodeBinaryRow(encodeBinaryRow(values, columns), columns), values);
          for (let i = 0; i < values.length; i++) {
            const shown = formatBinaryValue(values[i]!, { ...columns[i]!, charset: 63, decimals: 31 });
            assert.ok(shown === null || typeof shown === 'string');
          }
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('showing values as the mysql client does', () => {
  test('binary-charset bytes are 0x-hex unless printable UTF-8; text columns are always text', () => {
    assert.equal(formatTextValue(hex('00ff1020'), col(T.STRING)), '0x00FF1020');
    assert.equal(formatTextValue(Buffer.from('abc'), col(T.VAR_STRING)), 'abc');
    assert.equal(formatTextValue(Buffer.from('text\nline\ttab'), col(T.BLOB)), 'text\nline\ttab');
    assert.equal(formatTextValue(Buffer.from('héllo'), col(T.BLOB)), 'héllo');
    assert.equal(formatTextValue(hex('c285'), col(T.BLOB)), '0xC285');
    assert.equal(formatTextValue(hex('7f'), col(T.BLOB)), '0x7F');
    assert.equal(formatTextValue(hex('c3'), col(T.BLOB)), '0xC3');
    assert.equal(formatTextValue(hex('00'), col(T.VAR_STRING, 0, 0, 45)), '\0');
    assert.equal(formatTextValue(null, col(T.BLOB)), null);
    assert.equal(formatTextValue(Buffer.from('42'), col(T.LONG)), '42');
    assert.ok(isPrintableUtf8(Buffer.alloc(0)));
    assert.ok(!isPrintableUtf8(hex('e282')));
  });

  test('numbers: ZEROFILL pads to the display width, YEAR to four digits', () => {
    assert.equal(formatBinaryValue(42, col(T.LONG, F.ZEROFILL | F.UNSIGNED, 0, 63, 6)), '000042');
    assert.equal(formatBinaryValue(0, col(T.YEAR, F.UNSIGNED | F.ZEROFILL)), '0000');
    assert.equal(formatBinaryValue(2n ** 64n - 1n, col(T.LONGLONG, F.UNSIGNED)), '18446744073709551615');
    assert.equal(formatBinaryValue(null, col(T.LONG)), null);
  });

  test('date/time fractions follow the column’s decimals', () => {
    const v = { kind: 'datetime' as const, year: 2038, month: 1, day: 19, hour: 3, minute: 14, second: 7, microsecond: 990000 };
    assert.equal(formatBinaryValue(v, col(T.TIMESTAMP, 0, 2)), '2038-01-19 03:14:07.99');
    assert.equal(formatBinaryValue(v, col(T.DATETIME, 0, 0)), '2038-01-19 03:14:07');
    assert.equal(formatBinaryValue(v, col(T.DATETIME, 0, 31)), '2038-01-19 03:14:07.990000');
    assert.equal(formatBinaryValue({ ...v, microsecond: 0 }, col(T.DATETIME, 0, 31)), '2038-01-19 03:14:07');
    assert.equal(formatBinaryValue(v, col(T.DATE)), '2038-01-19');
    const t = { kind: 'time' as const, negative: true, days: 0, hours: 0, minutes: 0, seconds: 1, microseconds: 500000 };
    assert.equal(formatBinaryValue(t, col(T.TIME, 0, 6)), '-00:00:01.500000');
  });

  test('numeric types are right-aligned, as the mysql client’s IS_NUM has it', () => {
    const numeric = [T.TINY, T.SHORT, T.LONG, T.LONGLONG, T.INT24, T.FLOAT, T.DOUBLE, T.DECIMAL, T.NEWDECIMAL, T.YEAR];
    for (const t of numeric) assert.ok(RIGHT_ALIGNED_TYPES.has(t), `${t}`);
    for (const t of [T.TIMESTAMP, T.VAR_STRING, T.DATE, T.BLOB, T.BIT, T.JSON]) assert.ok(!RIGHT_ALIGNED_TYPES.has(t), `${t}`);
  });
});

describe('FLOAT and DOUBLE as the server writes them (checked against MariaDB 10.11)', () => {
  test('DOUBLE: shortest digits, plain while the exponent is in -15..14', () => {
    const cases: [number, string][] = [
      [1e15, '1e15'],
      [1e14, '100000000000000'],
      [123456789012345, '123456789012345'],
      [1234567890123456, '1.234567890123456e15'],
      [12345678901234567, '1.2345678901234568e16'],
      [1.5e-5, '0.000015'],
      [1e-7, '0.0000001'],
      [1e21, '1e21'],
      [1 / 3, '0.3333333333333333'],
      [-1e15, '-1e15'],
      [1.23e-10, '0.000000000123'],
      [5e-324, '5e-324'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1e-15, '0.000000000000001'],
      [1e-16, '1e-16'],
      [-1.5e-15, '-0.0000000000000015'],
      [1.2345678901234567e-14, '0.000000000000012345678901234567'],
      [123456789012345.67, '123456789012345.67'],
      [1.7976931348623157e308, '1.7976931348623157e308'],
      [-0, '0'],
      [100000, '100000'],
    ];
    for (const [x, s] of cases) assert.equal(formatDouble(x), s, `${x}`);
  });

  test('FLOAT: six significant digits, ties to even', () => {
    const cases: [number, string][] = [
      [3.14159265, '3.14159'],
      [1234565, '1234560'],
      [1e20, '1e20'],
      [0.1, '0.1'],
      [123456789, '123457000'],
      [1e-5, '0.00001'],
      [1.17549e-38, '1.17549e-38'],
      [-3.4e38, '-3.4e38'],
      [1e15, '1e15'],
      [1.5e14, '150000000000000'],
      [1234567e9, '1.23457e15'],
      [8388608.5, '8388610'],
      [16777217, '16777200'],
      [0.000001234565, '0.00000123457'],
      [999999.5, '1000000'],
    ];
    for (const [x, s] of cases) assert.equal(formatFloat(Math.fround(x)), s, `${x}`);
  });

  test('fixed decimals: exact rounding, ties to even', () => {
    assert.equal(formatFixed(Math.PI, 6), '3.141593');
    assert.equal(formatFixed(0.0625, 3), '0.062');
    assert.equal(formatFixed(0.125, 2), '0.12');
    assert.equal(formatFixed(2.675, 2), '2.67');
    assert.equal(formatFixed(-2.5, 3), '-2.500');
    assert.equal(formatFixed(-0.001, 2), '-0.00');
    assert.equal(formatFixed(-0, 2), '0.00');
    assert.equal(formatFixed(2.5, 0), '2');
    assert.equal(formatFixed(1e20, 1), '100000000000000000000.0');
  });
});
