/**
 * float4 and float8 as PostgreSQL (12 on, extra_float_digits 1, the
 * default) prints them: the shortest decimal that reads back as the same
 * value, from its Ryu-based output code. Two details set it apart from
 * JavaScript's Number#toString, so neither is used here:
 * - a decimal lying exactly on the edge of the value's rounding interval is
 *   not accepted (JavaScript takes it when the binary digits are even);
 * - among equally short decimals the closest wins, a tie going to the even
 *   last digit.
 * Digits are found exactly, with BigInt; nothing here is on the relay path.
 *
 * Layout: plain notation when the decimal exponent is in -4..5 (float4) or
 * -4..14 (float8), else d.ddde±XX with at least two exponent digits.
 */

interface FloatLayout {
  fractionBits: number;
  exponentBits: number;
  /** From this decimal exponent up, e-notation. */
  fixedBelow: number;
}

export const FLOAT4: FloatLayout = { fractionBits: 23, exponentBits: 8, fixedBelow: 6 };
export const FLOAT8: FloatLayout = { fractionBits: 52, exponentBits: 11, fixedBelow: 15 };

/** `bits` is the IEEE 754 value of the layout's width, as an unsigned integer. */
export function formatFloat(bits: bigint, layout: FloatLayout): string {
  const { fractionBits, exponentBits } = layout;
  const fraction = bits & ((1n << BigInt(fractionBits)) - 1n);
  const biased = Number((bits >> BigInt(fractionBits)) & ((1n << BigInt(exponentBits)) - 1n));
  const sign = bits >> BigInt(fractionBits + exponentBits) === 1n ? '-' : '';
  if (biased === (1 << exponentBits) - 1) return fraction !== 0n ? 'NaN' : `${sign}Infinity`;
  if (biased === 0 && fraction === 0n) return `${sign}0`;
  const bias = (1 << (exponentBits - 1)) - 1;
  const mantissa = biased === 0 ? fraction : fraction | (1n << BigInt(fractionBits));
  const exponent = Math.max(biased, 1) - bias - fractionBits;
  // At a power of two (not the smallest), the next value down is half as far.
  const { digits, exp } = shortestDigits(mantissa, exponent, fraction === 0n && biased > 1);
  if (exp < -4 || exp >= layout.fixedBelow) {
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${rest}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const rest = digits.slice(exp + 1);
  return rest === '' ? `${sign}${whole}` : `${sign}${whole}.${rest}`;
}

/**
 * The significant digits (no trailing zeros) and decimal exponent of the
 * shortest decimal strictly inside the rounding interval of m·2^e (m > 0).
 *
 * Everything is scaled to integers over one denominator: the value is 4m,
 * the interval's ends 4m+2 and 4m-2 (4m-1 when the lower gap is halved),
 * all times 2^(e-2).
 */
function shortestDigits(m: bigint, e: number, lowerGapHalved: boolean): { digits: string; exp: number } {
  const shift = e - 2;
  const up = (k: bigint) => (shift >= 0 ? k << BigInt(shift) : k);
  const den = shift >= 0 ? 1n : 1n << BigInt(-shift);
  const value = up(4n * m);
  const low = up(4n * m - (lowerGapHalved ? 1n : 2n));
  const high = up(4n * m + 2n);

  // E with 10^E <= value < 10^(E+1): estimate in floating point, then settle exactly.
  let decimalExp = Math.floor(Math.log10(Number(m) * 2 ** e));
  while (compareToPower(value, den, decimalExp) < 0) decimalExp--;
  while (compareToPower(value, den, decimalExp + 1) >= 0) decimalExp++;

  // Terminates: past the value's own finite decimal expansion, the value itself qualifies.
  for (let precision = 1; ; precision++) {
    const s = decimalExp - precision + 1;
    // Candidates are n·10^s; compare n·unit against value, low and high scaled alike.
    const unit = s >= 0 ? 10n ** BigInt(s) * den : den;
    const scale = s >= 0 ? 1n : 10n ** BigInt(-s);
    const v = value * scale;
    const inside = (n: bigint) => n * unit > low * scale && n * unit < high * scale;
    const below = v / unit;
    const above = below + 1n;
    let n: bigint | undefined;
    if (inside(below) && inside(above)) {
      const toBelow = v - below * unit;
      const toAbove = above * unit - v;
      n = toBelow < toAbove || (toBelow === toAbove && below % 2n === 0n) ? below : above;
    } else if (inside(below)) n = below;
    else if (inside(above)) n = above;
    if (n !== undefined) {
      const text = n.toString();
      return { digits: text.replace(/0+$/, ''), exp: s + text.length - 1 };
    }
  }
}

/** Sign of value/den - 10^k. */
function compareToPower(value: bigint, den: bigint, k: number): number {
  const left = k >= 0 ? value : value * 10n ** BigInt(-k);
  const right = k >= 0 ? 10n ** BigInt(k) * den : den;
  return left < right ? -1 : left > right ? 1 : 0;
}
