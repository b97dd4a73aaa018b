/**
 * Leaf values of the config schema. Each parser takes the raw YAML value and returns the
 * typed value or throws Invalid with a message that never echoes a secret.
 */
import * as z from 'zod';
import { isNativeVerifier } from '../auth/mysql-auth.js';
import { isScramVerifier } from '../auth/scram.js';
import { ConfigError } from '../errors.js';
import {
  checkLoginName,
  checkPasswordHash,
  checkSshKeyLine,
  parseRecipientKeyLine,
  parseSignerKeyLine,
  type RecipientKeyLine,
} from './formats.js';
import type { PathKey } from './locate.js';
import { didYouMean } from './suggest.js';
import { parseDuration, parseListen, parseSize, type ListenAddress } from './units.js';

/** A problem with one value; `path` continues below the value (a key inside it). */
export class Invalid extends Error {
  constructor(
    message: string,
    readonly path: readonly PathKey[] = [],
    readonly atKey = false,
  ) {
    super(message);
  }
}

export type Parse<T> = (value: unknown) => T;

/** Stands in for an absent key so that the leaf parser runs and decides (default or "missing"). */
const ABSENT = undefined as unknown as NonNullable<unknown>;

/** A zod schema for one leaf value, reporting Invalid (and unit parse errors) as issues. */
export function field<T>(parse: Parse<T>): z.ZodType<T> {
  return z.unknown().transform((value, ctx): T => {
    try {
      return parse(value);
    } catch (error) {
      if (!(error instanceof Invalid || error instanceof ConfigError)) throw error;
      const invalid = error instanceof Invalid ? error : new Invalid(error.message);
      ctx.addIssue({ code: 'custom', message: invalid.message, path: [...invalid.path], params: { atKey: invalid.atKey } });
      return z.NEVER;
    }
  })
    .prefault(ABSENT) as unknown as z.ZodType<T>;
}

export function describe(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

export const MISSING = 'missing required key';

function present(value: unknown): void {
  if (value === undefined) throw new Invalid(MISSING);
}

function wrongType(expected: string, value: unknown): Invalid {
  return new Invalid(`expected ${expected}, got ${describe(value)}`);
}

export function optional<T>(parse: Parse<T>): Parse<T | undefined> {
  return (value) => (value === undefined ? undefined : parse(value));
}

export function withDefault<T>(fallback: T, parse: Parse<T>): Parse<T> {
  return (value) => (value === undefined ? fallback : parse(value));
}

/** Absent or null means "none". */
export function orNone<T>(parse: Parse<T>): Parse<T | null> {
  return (value) => (value === undefined || value === null ? null : parse(value));
}

export const text: Parse<string> = (value) => {
  present(value);
  if (typeof value !== 'string') throw wrongType('a string', value);
  if (value.trim().length === 0) throw new Invalid('must not be empty');
  return value;
};

export const bool: Parse<boolean> = (value) => {
  present(value);
  if (typeof value !== 'boolean') throw wrongType('true or false', value);
  return value;
};

export function oneOf<T extends string>(values: readonly T[], label: string): Parse<T> {
  return (value) => {
    const word = text(value);
    if ((values as readonly string[]).includes(word)) return word as T;
    throw new Invalid(`unknown ${label} ${JSON.stringify(word)}${didYouMean(word, values)}; expected one of ${values.join(', ')}`);
  };
}

export const positiveInteger: Parse<number> = (value) => {
  present(value);
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Invalid(`expected a whole number, got ${value}`);
  if (typeof value !== 'number') throw wrongType('a whole number', value);
  if (value < 1) throw new Invalid('must be at least 1');
  return value;
};

export const port: Parse<number> = (value) => {
  present(value);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Invalid(`expected a port number 1..65535, got ${typeof value === 'number' ? String(value) : describe(value)}`);
  }
  return value;
};

export const duration: Parse<number> = (value) => {
  present(value);
  if (typeof value !== 'string' && typeof value !== 'number') throw wrongType('a duration such as 90s or 15m', value);
  const ms = parseDuration(value);
  if (ms <= 0) throw new Invalid('must be longer than zero');
  return ms;
};

export const size: Parse<number> = (value) => {
  present(value);
  if (typeof value !== 'string' && typeof value !== 'number') throw wrongType('a size such as 64KiB', value);
  return parseSize(value);
};

/** A listener: "host:port", or null/false/absent for "not listening". */
export const listen: Parse<ListenAddress | null> = (value) => {
  if (value === undefined || value === null || value === false) return null;
  if (typeof value !== 'string') throw wrongType('"host:port", or false to disable', value);
  return parseListen(value);
};

export const loginName: Parse<string> = (value) => {
  present(value);
  if (typeof value !== 'string') throw wrongType('a string', value);
  const problem = checkLoginName(value);
  if (problem !== null) throw new Invalid(problem);
  return value;
};

/** A host name or IP address; an IPv6 address may be written in brackets. */
export const host: Parse<string> = (value) => {
  const name = text(value).trim();
  const bare = /^\[(.*)\]$/.exec(name)?.[1] ?? name;
  if (!/^[^\s/[\]]+$/.test(bare)) throw new Invalid('expected a host name or IP address');
  return bare;
};

export const passwordHash: Parse<string> = (value) => {
  present(value);
  if (typeof value !== 'string') throw wrongType('an Argon2id hash string', value);
  const problem = checkPasswordHash(value);
  if (problem !== null) throw new Invalid(problem);
  return value;
};

/** PostgreSQL's stored SCRAM-SHA-256 form, as `recgate users hash --scram` prints it. */
export const scramVerifier: Parse<string> = (value) => {
  present(value);
  if (typeof value !== 'string') throw wrongType('a SCRAM-SHA-256 verifier string', value);
  if (!isScramVerifier(value)) throw new Invalid('expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (from recgate users hash --scram)');
  return value;
};

/** MySQL's mysql_native_password stored form, as `recgate users hash --mysql-native` prints it. */
export const mysqlNativeVerifier: Parse<string> = (value) => {
  present(value);
  if (typeof value !== 'string') throw wrongType('a mysql_native_password hash string', value);
  if (!isNativeVerifier(value)) throw new Invalid('expected * and 40 hex digits (from recgate users hash --mysql-native)');
  return value;
};

/**
 * The NT hash of a password (MD4 of its UTF-16LE form, MS-NLMP 3.3.1), as
 * `recgate users hash --nt` prints it: 32 hex digits, stored lower-case.
 * Password-equivalent for NTLM, so the message never repeats the value.
 */
export const ntHashHex: Parse<string> = (value) => {
  present(value);
  if (typeof value !== 'string') throw wrongType('an NT hash of 32 hex digits', value);
  if (!/^[0-9a-fA-F]{32}$/.test(value)) throw new Invalid('expected 32 hex digits (from recgate users hash --nt)');
  return value.toLowerCase();
};

export const sshKey: Parse<string> = (value) => {
  const line = text(value).trim();
  const problem = checkSshKeyLine(line);
  if (problem !== null) throw new Invalid(problem);
  return line;
};

export const recipientKey: Parse<RecipientKeyLine> = (value) => {
  present(value);
  if (typeof value !== 'string') throw wrongType('a "recgate-x25519 ..." line', value);
  const parsed = parseRecipientKeyLine(value);
  if (!parsed.ok) throw new Invalid(parsed.error);
  return parsed.value;
};

export const signerKey: Parse<RecipientKeyLine> = (value) => {
  present(value);
  if (typeof value !== 'string') throw wrongType('a "recgate-signer-ed25519 ..." line', value);
  const parsed = parseSignerKeyLine(value);
  if (!parsed.ok) throw new Invalid(parsed.error);
  return parsed.value;
};

/** Where a secret comes from, before it is read. */
export type SecretRef =
  | { readonly kind: 'inline'; readonly value: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly path: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `{ env: NAME }`, `{ file: PATH }`, or (when `inline`) a plain string. */
export function secretRef(inline: boolean): Parse<SecretRef> {
  const form = inline ? 'a string, { env: NAME } or { file: PATH }' : '{ env: NAME } or { file: PATH }';
  return (value) => {
    present(value);
    if (typeof value === 'string' && inline) {
      if (value.length === 0) throw new Invalid('must not be empty');
      return { kind: 'inline', value };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw wrongType(form, value);
    const keys = Object.keys(value);
    for (const key of keys) {
      if (key !== 'env' && key !== 'file') throw new Invalid(`unknown key${didYouMean(key, ['env', 'file'])}`, [key], true);
    }
    if (keys.length !== 1) throw new Invalid(keys.length === 0 ? `expected ${form}` : 'give either env or file, not both');
    const record = value as { env?: unknown; file?: unknown };
    if (record.env !== undefined) {
      if (typeof record.env !== 'string' || !ENV_NAME.test(record.env)) {
        throw new Invalid('expected an environment variable name', ['env']);
      }
      return { kind: 'env', name: record.env };
    }
    try {
      return { kind: 'file', path: text(record.file) };
    } catch (error) {
      throw error instanceof Invalid ? new Invalid(error.message, ['file']) : error;
    }
  };
}
