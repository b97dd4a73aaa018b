import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RIGHT_ALIGNED_TYPES, TypeOid, formatValue } from './values.js';

const binary = (typeOid: number, hex: string) => formatValue(Buffer.from(hex, 'hex'), 1, typeOid);

/**
 * [name, type, [text PostgreSQL 15 prints, hex of the type's send function][]],
 * produced with e.g. `select v::text, encode(numeric_send(v), 'hex')`.
 */
const FROM_POSTGRES: [string, number, [string, string][]][] = [
  [
    'numeric',
    TypeOid.Numeric,
    [
      ['0', '0000000000000000'],
      ['-1.5', '000200004000000100011388'],
      ['12345678901234567890.123', '000600040000000304d2162e23340d801ed204ce'],
      ['NaN', '00000000c0000000'],
      ['Infinity', '00000000d0000020'],
      ['-Infinity', '00000000f0000020'],
      ['0.0001', '0001ffff000000040001'],
      ['0.0000000001', '0001fffd0000000a0064'],
      ['100000', '0001000100000000000a'],
      ['0.00', '0000000000000002'],
      ['123.4500', '0002000000000004007b1194'],
      ['9999.9999', '0002000000000004270f270f'],
      ['100000000000000000000', '00010005000000000001'],
      ['0.000000000000000000001234', '0001fffa0000001804d2'],
    ],
  ],
  [
    'float8',
    TypeOid.Float8,
    [
      ['0', '0000000000000000'],
      ['-0', '8000000000000000'],
      ['1.5', '3ff8000000000000'],
      ['1e+15', '430c6bf526340000'],
      ['123456789012345', '42dc12218377de40'],
      ['1e-05', '3ee4f8b588e368f1'],
      ['0.0001', '3f1a36e2eb1c432d'],
      ['1e+100', '54b249ad2594c37d'],
      ['0.1', '3fb999999999999a'],
      ['NaN', '7ff8000000000000'],
      ['Infinity', '7ff0000000000000'],
      ['-Infinity', 'fff0000000000000'],
      ['1.7976931348623157e+308', '7fefffffffffffff'],
      ['5e-324', '0000000000000001'],
      ['-2.5e-07', 'be90c6f7a0b5ed8d'],
      // On the edge of its rounding interval, where JavaScript would print -6.48394293155811e+16.
      ['-6.4839429315581104e+16', 'c36ccb63c1f96a96'],
    ],
  ],
  [
    'float4',
    TypeOid.Float4,
    [
      ['0', '00000000'],
      ['1.5', '3fc00000'],
      ['1e+06', '49742400'],
      ['123456', '47f12000'],
      ['0.1', '3dcccccd'],
      ['3.4028235e+38', '7f7fffff'],
      ['1e-05', '3727c5ac'],
      ['-0.0001', 'b8d1b717'],
      ['1.6777216e+07', '4b800000'],
      // A tie between 5245.5312 and 5245.5313 goes to the even digit.
      ['5245.5312', '45a3ec40'],
      ['9.3100083e+08', '4e5df7c8'],
      ['1e-45', '00000001'],
    ],
  ],
  [
    'date',
    TypeOid.Date,
    [
      ['2000-01-01', '00000000'],
      ['1999-12-31', 'ffffffff'],
      ['2024-02-29', '00002279'],
      ['0001-01-01', 'fff4dbf9'],
      ['0001-12-31 BC', 'fff4dbf8'],
      ['4713-01-01 BC', 'ffda97cd'],
      ['5874897-12-31', '7fda970c'],
      ['infinity', '7fffffff'],
      ['-infinity', '80000000'],
      ['0044-03-15 BC', 'fff49d7b'],
    ],
  ],
  [
    'timestamp',
    TypeOid.Timestamp,
    [
      ['2000-01-01 00:00:00', '0000000000000000'],
      ['2024-05-06 07:08:09.123456', '0002bac2801b6a80'],
      ['1970-01-01 00:00:00.5', 'fffca2fec4cfc120'],
      ['0044-03-15 12:00:00 BC', 'ff1af9e8fb46d000'],
      ['294276-12-31 23:59:59.999999', '7fffff5bb3b29fff'],
      ['infinity', '7fffffffffffffff'],
      ['-infinity', '8000000000000000'],
      ['1999-12-31 23:59:59.99', 'ffffffffffffd8f0'],
    ],
  ],
  [
    'timestamptz',
    TypeOid.Timestamptz,
    [
      ['2024-05-06 07:08:09.123456+00', '0002bac2801b6a80'],
      ['2000-01-01 00:00:00+00', '0000000000000000'],
      ['infinity', '7fffffffffffffff'],
    ],
  ],
  ['uuid', TypeOid.Uuid, [['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc999c0b4ef8bb6d6bb9bd380a11']]],
  ['jsonb', TypeOid.Jsonb, [['{"a": [1, 2]}', '017b2261223a205b312c20325d7d']]],
  ['int8', TypeOid.Int8, [['-9223372036854775808', '8000000000000000']]],
  [
    'bool',
    TypeOid.Bool,
    [
      ['t', '01'],
      ['f', '00'],
    ],
  ],
];

describe('formatValue', () => {
  for (const [name, typeOid, cases] of FROM_POSTGRES) {
    test(`binary ${name} shows as PostgreSQL prints it`, () => {
      for (const [text, hex] of cases) assert.equal(binary(typeOid, hex), text, `${name} ${text}`);
    });
  }

  test('binary integers, oid and character types', () => {
    assert.equal(binary(TypeOid.Int2, 'fffe'), '-2');
    assert.equal(binary(TypeOid.Int4, 'ffffffff'), '-1');
    assert.equal(binary(TypeOid.Oid, 'ffffffff'), '4294967295');
    assert.equal(binary(TypeOid.Text, '68c3a96c6c6f'), 'héllo');
    assert.equal(binary(TypeOid.Varchar, '68c3a96c6c6f'), 'héllo');
    assert.equal(binary(TypeOid.Json, '7b2261223a317d'), '{"a":1}');
    assert.equal(binary(TypeOid.Bytea, '00ff10'), '\\x00ff10');
  });

  test('text format is the UTF-8 string, whatever the type; NULL is null', () => {
    assert.equal(formatValue(Buffer.from('12.50'), 0, TypeOid.Numeric), '12.50');
    assert.equal(formatValue(Buffer.from('日本'), 0, 99999), '日本');
    assert.equal(formatValue(null, 0, TypeOid.Text), null);
    assert.equal(formatValue(null, 1, TypeOid.Int4), null);
  });

  test('unknown types, other format codes and ill-fitting bytes show as hex', () => {
    assert.equal(binary(600, '3ff0000000000000'), '\\x3ff0000000000000');
    assert.equal(formatValue(Buffer.from([1, 2]), 2, TypeOid.Int2), '\\x0102');
    assert.equal(binary(TypeOid.Int4, '000001'), '\\x000001');
    assert.equal(binary(TypeOid.Jsonb, '027b7d'), '\\x027b7d');
    assert.equal(binary(TypeOid.Numeric, '0001000000000000270f0000'), '\\x0001000000000000270f0000', 'length disagrees with ndigits');
    assert.equal(binary(TypeOid.Numeric, '000100000000000027100'.padEnd(20, '0')), '\\x00010000000000002710', 'digit above 9999');
    assert.equal(binary(TypeOid.Numeric, '0000000012340000'), '\\x0000000012340000', 'unknown sign');
  });

  test('fuzz: binary numeric shows the decimal it encodes', () => {
    const digits = (max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: max }).map((d) => d.join(''));
    fc.assert(
      fc.property(fc.boolean(), digits(30), digits(30), (negative, whole, fraction) => {
        const intPart = whole.replace(/^0+/, '') || '0';
        const isZero = /^0*$/.test(intPart + fraction);
        const expected = `${negative && !isZero ? '-' : ''}${intPart}${fraction ? `.${fraction}` : ''}`;
        assert.equal(formatValue(numericSend(negative && !isZero, intPart, fraction), 1, TypeOid.Numeric), expected);
      }),
      { numRuns: 300 },
    );
  });

  test('fuzz: binary floats read back as the same number, float4 as a float4', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(x);
        assert.ok(Object.is(Number(formatValue(b, 1, TypeOid.Float8)), x));
        const f = Buffer.alloc(4);
        f.writeFloatBE(x);
        assert.ok(Object.is(Math.fround(Number(formatValue(f, 1, TypeOid.Float4))), f.readFloatBE()));
      }),
      { numRuns: 300 },
    );
  });

  test('fuzz: binary dates agree with the JavaScript calendar', () => {
    const epoch = Date.UTC(2000, 0, 1);
    fc.assert(
      fc.property(fc.integer({ min: -730_119, max: 2_921_939 }), (days) => {
        const b = Buffer.alloc(4);
        b.writeInt32BE(days);
        assert.equal(formatValue(b, 1, TypeOid.Date), new Date(epoch + days * 86_400_000).toISOString().slice(0, 10));
      }),
      { numRuns: 300 },
    );
  });

  test('RIGHT_ALIGNED_TYPES holds the numeric types psql right-aligns', () => {
    const numbers = [TypeOid.Int2, TypeOid.Int4, TypeOid.Int8, TypeOid.Oid, TypeOid.Float4, TypeOid.Float8, TypeOid.Numeric, TypeOid.Money];
    for (const oid of numbers) assert.ok(RIGHT_ALIGNED_TYPES.has(oid), String(oid));
    for (const oid of [TypeOid.Text, TypeOid.Date, TypeOid.Bool, TypeOid.Uuid]) assert.ok(!RIGHT_ALIGNED_TYPES.has(oid), String(oid));
  });
});

/** numeric_send for a decimal given as digit strings: base-10000 groups aligned on the point. */
function numericSend(negative: boolean, intPart: string, fraction: string): Buffer {
  const whole = intPart === '0' ? '' : intPart;
  const left = whole.padStart(Math.ceil(whole.length / 4) * 4, '0');
  const right = fraction.padEnd(Math.ceil(fraction.length / 4) * 4, '0');
  let groups = (left + right).match(/.{4}/g)?.map(Number) ?? [];
  let weight = left.length / 4 - 1;
  while (groups.length > 0 && groups[0] === 0) {
    groups = groups.slice(1);
    weight--;
  }
  while (groups.length > 0 && groups[groups.length - 1] === 0) groups = groups.slice(0, -1);
  if (groups.length === 0) weight = 0;
  const b = Buffer.alloc(8 + 2 * groups.length);
  b.writeUInt16BE(groups.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(negative ? 0x4000 : 0, 4);
  b.writeUInt16BE(fraction.length, 6);
  groups.forEach((g, i) => b.writeUInt16BE(g, 8 + 2 * i));
  return b;
}
