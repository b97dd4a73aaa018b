/**
 * date, timestamp and timestamptz in binary format, shown as PostgreSQL
 * prints them with DateStyle ISO (PostgreSQL documentation, "Date/Time
 * Types"; binary layout from the types' send functions):
 *
 *   date       Int32 days from 2000-01-01   ("2024-02-29", "0044-03-15 BC")
 *   timestamp  Int64 microseconds from 2000-01-01 00:00:00
 *              ("2024-05-06 07:08:09.123456", trailing fraction zeros dropped)
 *
 * Invariants: the calendar is proleptic Gregorian over the types' whole
 * range (4713 BC to 5874897 AD for date), with year 0 shown as 1 BC; the
 * largest and smallest stored values are 'infinity' and '-infinity';
 * timestamptz is shown in UTC ("+00") because the connection's TimeZone is not
 * known here.
 */

const DATE_INFINITY = 0x7fff_ffff;
const DATE_MINUS_INFINITY = -0x8000_0000;
const TIMESTAMP_INFINITY = 0x7fff_ffff_ffff_ffffn;
const TIMESTAMP_MINUS_INFINITY = -0x8000_0000_0000_0000n;
/** Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
const POSTGRES_EPOCH_DAYS = 10_957;
const MICROS_PER_DAY = 86_400_000_000n;

export function formatDate(days: number): string {
  if (days === DATE_INFINITY) return 'infinity';
  if (days === DATE_MINUS_INFINITY) return '-infinity';
  const [year, month, day] = civilFromDays(days + POSTGRES_EPOCH_DAYS);
  return `${pad(displayYear(year), 4)}-${pad(month, 2)}-${pad(day, 2)}${year <= 0 ? ' BC' : ''}`;
}

/** `zone` follows the time: '' for timestamp, '+00' for timestamptz (shown in UTC). */
export function formatTimestamp(micros: bigint, zone: string): string {
  if (micros === TIMESTAMP_INFINITY) return 'infinity';
  if (micros === TIMESTAMP_MINUS_INFINITY) return '-infinity';
  let days = micros / MICROS_PER_DAY;
  let time = micros % MICROS_PER_DAY;
  if (time < 0n) {
    days -= 1n;
    time += MICROS_PER_DAY;
  }
  const [year, month, day] = civilFromDays(Number(days) + POSTGRES_EPOCH_DAYS);
  const t = Number(time);
  const seconds = Math.floor(t / 1e6);
  const fraction = t % 1e6 === 0 ? '' : `.${pad(t % 1e6, 6).replace(/0+$/, '')}`;
  const clock = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}${fraction}`;
  return `${pad(displayYear(year), 4)}-${pad(month, 2)}-${pad(day, 2)} ${clock}${zone}${year <= 0 ? ' BC' : ''}`;
}

/** Astronomical year 0 is 1 BC, -1 is 2 BC, and so on. */
function displayYear(year: number): number {
  return year <= 0 ? 1 - year : year;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Proleptic Gregorian [year, month, day] of a count of days from 1970-01-01,
 * after Howard Hinnant's public-domain "civil_from_days": shift the epoch to
 * 0000-03-01 so that leap days fall at the end of a year, split into
 * 400-year eras of 146097 days, then into years and March-based months.
 */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  // Leap days before dayOfEra, subtracted to count 365-day years.
  const leapDays = Math.floor(dayOfEra / 1460) - Math.floor(dayOfEra / 36_524) + Math.floor(dayOfEra / 146_096);
  const yearOfEra = Math.floor((dayOfEra - leapDays) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const marchMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * marchMonth + 2) / 5) + 1;
  const month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return [year, month, day];
}
