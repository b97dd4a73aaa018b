/**
 * Value notations used in the config file: durations, sizes and listen addresses.
 * Each parser throws ConfigError with a message that names the expected form.
 */
import { ConfigError } from '../errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_FORM = 'use 90s, 15m, 8h, 1d, 500ms, 1h30m or a number of seconds';
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * A duration in milliseconds (rounded to a whole number). A string is one or more
 * `<number><unit>` parts with unit ms, s, m, h or d ("1h30m"); a number is seconds.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigError(`${String(value)} is not a duration (${DURATION_FORM})`);
    }
    return Math.round(value * 1000);
  }
  const text = value.trim();
  let total = 0;
  let at = 0;
  while (at < text.length) {
    DURATION_PART.lastIndex = at;
    const match = DURATION_PART.exec(text);
    if (match === null) break;
    total += Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? Number.NaN);
    at = DURATION_PART.lastIndex;
  }
  if (text.length === 0 || at !== text.length || !Number.isFinite(total)) {
    throw new ConfigError(`${JSON.stringify(value)} is not a duration (${DURATION_FORM})`);
  }
  return Math.round(total);
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

const SIZE_FORM = 'use 64KiB, 1MiB or a number of bytes';

/** A size in bytes: a whole number of bytes, or `<number><unit>` with unit B, KiB, MiB or GiB. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ConfigError(`${String(value)} is not a size (${SIZE_FORM})`);
    }
    return value;
  }
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  const bytes = match === null || unit === undefined ? Number.NaN : Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes)) {
    throw new ConfigError(`${JSON.stringify(value)} is not a size (${SIZE_FORM})`);
  }
  return bytes;
}

const LISTEN_FORM = 'use "host:port", with an IPv6 host in brackets as "[::1]:2222"';

/**
 * A listen address "host:port" or "[ipv6]:port"; the returned host carries no brackets.
 * Port 0 asks the system for a free port.
 */
export function parseListen(value: string): ListenAddress {
  const text = value.trim();
  const match = /^(?:\[([0-9A-Fa-f:.%\w-]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || port > 65535) {
    const hint = /^[^[\]]*:.*:/.test(text) ? 'an IPv6 host goes in brackets, as "[::1]:2222"' : LISTEN_FORM;
    throw new ConfigError(`${JSON.stringify(value)} is not a listen address (${hint})`);
  }
  const ipv6 = match[1];
  if (ipv6 !== undefined && !ipv6.includes(':')) {
    throw new ConfigError(`${JSON.stringify(value)} is not a listen address (only IPv6 hosts go in brackets)`);
  }
  return { host: ipv6 ?? match[2] ?? '', port };
}

/** Formats an address back to the form parseListen reads. */
export function formatListen(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
