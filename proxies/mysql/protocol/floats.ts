/**
 * FLOAT and DOUBLE values as MySQL and MariaDB write them in the text
 * protocol, so that a value that came in binary shows as it would have in
 * text (and as the mysql client prints it). The servers format with David
 * Gay's dtoa (strings/dtoa.c, my_gcvt and my_fcvt):
 * - DOUBLE: the shortest decimal that reads back as the same value;
 * - FLOAT: at most 6 significant digits (FLT_DIG), correctly rounded, ties
 *   to even, trailing zeros dropped;
 * - either, when the column has fixed decimals (FLOAT(M,D), DOUBLE(M,D),
 *   expressions such as PI()): exactly D digits after the point, rounded
 *   ties to even.
 * Layout: plain notation while the decimal exponent is in -15..14, else
 * d.ddde±X with the exponent as short as it goes ("1e15", "1.5e-16");
 * checked against MariaDB 10.11. Zero is "0" whatever its sign.
 * Digits are found exactly, with BigInt; nothing here is on the relay path.
 */

/** |x| = m · 2^e exactly, for a finite x ≠ 0. */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xf_ffff) << 32n) | BigInt(low);
  if (biased === 0) return { m: fraction, e: -1074 };
  return { m: fraction | (1n << 52n), e: biased - 1075 };
}

/** m · 2^e / 10^s rounded to an integer, ties to even. */
function roundScaled(m: bigint, e: number, s: number): bigint {
  let num = m;
  let den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (s >= 0) den *= 10n ** BigInt(s);
  else num *= 10n ** BigInt(-s);
  const q = num / den;
  const twice = 2n * (num % den);
  return twice > den || (twice === den && (q & 1n) === 1n) ? q + 1n : q;
}

/** Sign of m · 2^e - 10^k. */
function compareToPower(m: bigint, e: number, k: number): number {
  let left = m;
  let right = 1n;
  if (e >= 0) left <<= BigInt(e);
  else right <<= BigInt(-e);
  if (k >= 0) right *= 10n ** BigInt(k);
  else left *= 10n ** BigInt(-k);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Plain or e-notation, from significant digits (no trailing zeros) and the exponent of the first. */
function layout(negative: boolean, digits: string, exponent: number): string {
  const sign = negative ? '-' : '';
  if (exponent < -15 || exponent > 14) {
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${rest}e${exponent}`;
  }
  const point = exponent + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function nonFinite(x: number): string {
  return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
}

/** A DOUBLE without fixed decimals. */
export function formatDouble(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return nonFinite(x);
  // Number#toString gives the shortest round-trip digits; take them apart.
  const text = String(Math.abs(x));
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  let point = mantissa.indexOf('.');
  if (point < 0) point = mantissa.length;
  let digits = mantissa.replace('.', '');
  let exponent = point - 1 + (e < 0 ? 0 : Number(text.slice(e + 1)));
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead).replace(/0+$/, '');
  exponent -= lead;
  return layout(x < 0, digits, exponent);
}

/** A FLOAT without fixed decimals (`x` is the float widened to a double). */
export function formatFloat(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return nonFinite(x);
  const { m, e } = decompose(x);
  let exponent = Math.floor(Math.log10(Math.abs(x)));
  while (compareToPower(m, e, exponent) < 0) exponent--;
  while (compareToPower(m, e, exponent + 1) >= 0) exponent++;
  let n = roundScaled(m, e, exponent - 5);
  if (n >= 1_000_000n) {
    n /= 10n;
    exponent++;
  }
  return layout(x < 0, n.toString().replace(/0+$/, ''), exponent);
}

/** Exactly `decimals` digits after the point (none and no point for 0). */
export function formatFixed(x: number, decimals: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const n = x === 0 ? 0n : (({ m, e }) => roundScaled(m, e, -decimals))(decompose(x));
  const digits = n.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const sign = x < 0 ? '-' : '';
  return decimals === 0 ? `${sign}${whole}` : `${sign}${whole}.${digits.slice(digits.length - decimals)}`;
}
