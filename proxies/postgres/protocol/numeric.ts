/**
 * numeric in binary format, shown as PostgreSQL prints it (PostgreSQL
 * documentation, "Numeric Types"; binary layout from numeric's send
 * function):
 *
 *   ndigits:Int16 | weight:Int16 | sign:Int16 | dscale:Int16 | digit:Int16 * ndigits
 *
 * Digits are base 10000, the first one worth 10000^weight; digits past the
 * stored ones are zero. dscale is the number of decimal places shown. Sign
 * 0x0000 is positive, 0x4000 negative, 0xC000 NaN, 0xD000 Infinity and
 * 0xF000 -Infinity (PostgreSQL 14 on).
 *
 * Invariant: bytes that do not make a numeric (length not 8 + 2 * ndigits,
 * a digit above 9999, another sign, dscale above 0x3FFF) give null, for the
 * caller to show as hex.
 */
const NUMERIC_POSITIVE = 0x0000;
const NUMERIC_NEGATIVE = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PLUS_INFINITY = 0xd000;
const NUMERIC_MINUS_INFINITY = 0xf000;
/** dscale lives in 14 bits. */
const NUMERIC_MAX_DSCALE = 0x3fff;

/** The numeric's text, or null when the bytes do not make one. */
export function formatNumeric(v: Buffer): string | null {
  if (v.length < 8) return null;
  const ndigits = v.readUInt16BE(0);
  const weight = v.readInt16BE(2);
  const sign = v.readUInt16BE(4);
  const dscale = v.readUInt16BE(6);
  if (v.length !== 8 + 2 * ndigits) return null;
  switch (sign) {
    case NUMERIC_NAN:
      return 'NaN';
    case NUMERIC_PLUS_INFINITY:
      return 'Infinity';
    case NUMERIC_MINUS_INFINITY:
      return '-Infinity';
    case NUMERIC_POSITIVE:
    case NUMERIC_NEGATIVE:
      break;
    default:
      return null;
  }
  if (dscale > NUMERIC_MAX_DSCALE) return null;
  const groups: number[] = [];
  for (let i = 0; i < ndigits; i++) {
    const g = v.readUInt16BE(8 + 2 * i);
    if (g > 9999) return null;
    groups.push(g);
  }
  const group = (i: number) => (i >= 0 && i < ndigits ? groups[i]! : 0);
  const group4 = (i: number) => String(group(i)).padStart(4, '0');
  let out = sign === NUMERIC_NEGATIVE ? '-' : '';
  if (weight < 0) out += '0';
  else for (let i = 0; i <= weight; i++) out += i === 0 ? String(group(i)) : group4(i);
  if (dscale > 0) {
    let fraction = '';
    for (let i = weight + 1; fraction.length < dscale; i++) fraction += group4(i);
    out += `.${fraction.slice(0, dscale)}`;
  }
  return out;
}
