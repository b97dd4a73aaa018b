/**
 * The one pino root. Components and sessions take children of it
 * (`log.child({ proto, session })`); secrets are redacted by path wherever
 * they might ride along in a logged object.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

const REDACT = [
  'password',
  'passphrase',
  'secretKey',
  'privateKey',
  'recordKey',
  '*.password',
  '*.passphrase',
  '*.secretKey',
  '*.privateKey',
  '*.recordKey',
  'login.password',
  'login.privateKey',
  'login.passphrase',
  '*.login.password',
  '*.login.privateKey',
];

export interface LogOptions {
  level?: LevelWithSilent;
  /** A file to append to; standard error when absent. */
  file?: string | null;
}

export function createLogger(options: LogOptions = {}): Logger {
  if (options.file) createPrivately(options.file);
  // Synchronous: log volume is per session, not per byte, and an audit trail must survive a crash.
  const destination = pino.destination(options.file ? { dest: options.file, sync: true } : { dest: 2, sync: true });
  return pino(
    {
      name: 'recgate',
      level: options.level ?? 'info',
      redact: { paths: REDACT, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination,
  );
}

/**
 * The log names users, targets and addresses: its folder is created 0700 and
 * the file 0600 (an existing file keeps the mode it has).
 */
function createPrivately(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
}

/** A logger that discards everything (tools and tests that only need the API). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
