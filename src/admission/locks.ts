/**
 * Locks: an operator keeps a person out of one target, or out of the whole
 * gateway, until a given time (`recgate sessions terminate ID --lock 15m`).
 *
 * They live in `<dataDir>/locks.json` (mode 0600), replaced whole by an
 * atomic rename, so a reader sees the old file or the new one:
 *
 *   { "version": 1, "locks": [ { "user": "alice", "scope": "target", "target": "pg01",
 *       "until": "2026-12-03T06:00:00.000Z", "message": "...", "by": "root",
 *       "at": "2026-12-03T05:45:00.000Z" } ] }
 *
 * The gateway consults them on every login; a stat per login is the whole cost
 * while the file is unchanged (identity: inode, size, mtime). Expired locks are
 * ignored everywhere and dropped whenever the file is written.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { parseDuration } from '../config/units.js';
import { GatewayError } from '../errors.js';

export type LockScope = 'target' | 'gateway';

export interface Lock {
  readonly user: string;
  readonly scope: LockScope;
  /** The target a 'target' lock keeps the person out of; absent for 'gateway'. */
  readonly target?: string;
  /** ISO 8601: the lock holds until then. */
  readonly until: string;
  /** What the person is told when a login is refused. */
  readonly message: string;
  /** Who set it (the operator's account) and when (ISO 8601). */
  readonly by: string;
  readonly at: string;
}

const lockSchema = z.object({
  user: z.string().min(1),
  scope: z.enum(['target', 'gateway']),
  target: z.string().min(1).optional(),
  until: z.string().refine((t) => Number.isFinite(Date.parse(t)), 'not a time'),
  message: z.string(),
  by: z.string(),
  at: z.string(),
});
const fileSchema = z.object({ version: z.literal(1), locks: z.array(lockSchema) });

/** The longest a lock may last: a year. */
const MAX_LOCK = 366 * 24 * 3600_000;

export function locksPath(dataDir: string): string {
  return join(dataDir, 'locks.json');
}

/** A lock's length as an operator writes it (`15m`, `2h`, `1d`, `1h30m`), in ms; more than zero, at most a year. */
export function parseLockDuration(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    throw new GatewayError('RG_ERR_USAGE', `--lock ${JSON.stringify(text)} is not a duration (use 15m, 2h, 1d or 1h30m)`);
  }
  if (ms <= 0) throw new GatewayError('RG_ERR_USAGE', `--lock ${JSON.stringify(text)} must be longer than zero`);
  if (ms > MAX_LOCK) throw new GatewayError('RG_ERR_USAGE', `--lock ${JSON.stringify(text)} is longer than a year`);
  return ms;
}

/** Locks still holding at `now`. */
export function activeLocks(locks: readonly Lock[], now: number): Lock[] {
  return locks.filter((l) => Date.parse(l.until) > now);
}

/** The lock that keeps `user` out of `target` at `now` (a gateway lock first, then the longest-lasting). */
export function findLock(locks: readonly Lock[], user: string, target: string | undefined, now: number): Lock | undefined {
  const holding = activeLocks(locks, now).filter((l) => l.user === user && (l.scope === 'gateway' || (target !== undefined && l.target === target)));
  holding.sort((a, b) => (a.scope === b.scope ? Date.parse(b.until) - Date.parse(a.until) : a.scope === 'gateway' ? -1 : 1));
  return holding[0];
}

/** Adds `lock`, replacing an earlier one for the same user and place; drops expired ones. */
export function withLock(locks: readonly Lock[], lock: Lock, now: number): Lock[] {
  const same = (l: Lock): boolean => l.user === lock.user && l.scope === lock.scope && l.target === lock.target;
  return [...activeLocks(locks, now).filter((l) => !same(l)), lock];
}

/**
 * Lifts `user`'s locks: on `target` only when given (a gateway-wide lock stays),
 * every one otherwise. Returns what remains (expired dropped) and what was lifted.
 */
export function withoutLocks(locks: readonly Lock[], user: string, target: string | undefined, now: number): { locks: Lock[]; lifted: Lock[] } {
  const lift = (l: Lock): boolean => l.user === user && (target === undefined || (l.scope === 'target' && l.target === target));
  const active = activeLocks(locks, now);
  return { locks: active.filter((l) => !lift(l)), lifted: active.filter(lift) };
}

/** Parses locks.json's text; `file` names it in the error. */
export function parseLocks(text: string, file: string): Lock[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new GatewayError('RG_ERR_CONFIG', `${file}: not JSON`);
  }
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GatewayError('RG_ERR_CONFIG', `${file}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return parsed.data.locks.map((l) => Object.freeze({ ...l }) as Lock);
}

export function formatLocks(locks: readonly Lock[]): string {
  return JSON.stringify({ version: 1, locks }, null, 2) + '\n';
}

/** locks.json on disk, read again only when it changed. */
export class LockStore {
  private cached: { key: string; locks: Lock[] } | undefined;
  /** Changes run one at a time, so two at once both land. */
  private changing: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  static inDataDir(dataDir: string): LockStore {
    return new LockStore(locksPath(dataDir));
  }

  /** Every lock in the file (expired ones too); none when there is no file. */
  async read(): Promise<Lock[]> {
    let key: string;
    try {
      const s = await stat(this.path);
      key = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new GatewayError('RG_ERR_CONFIG', `cannot read ${this.path}: ${(err as Error).message}`);
    }
    if (this.cached?.key === key) return this.cached.locks;
    const locks = parseLocks(await readFile(this.path, 'utf8'), this.path);
    this.cached = { key, locks };
    return locks;
  }

  /** The lock keeping `user` out of `target` now, if any. */
  async find(user: string, target: string | undefined, now = Date.now()): Promise<Lock | undefined> {
    return findLock(await this.read(), user, target, now);
  }

  async active(now = Date.now()): Promise<Lock[]> {
    return activeLocks(await this.read(), now);
  }

  add(lock: Lock, now = Date.now()): Promise<void> {
    return this.change(async () => this.write(withLock(await this.read(), lock, now)));
  }

  remove(user: string, target: string | undefined, now = Date.now()): Promise<Lock[]> {
    return this.change(async () => {
      const { locks, lifted } = withoutLocks(await this.read(), user, target, now);
      await this.write(locks);
      return lifted;
    });
  }

  private change<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.changing.then(fn);
    this.changing = next.catch(() => undefined);
    return next;
  }

  /** Replaces the file atomically (temp file 0600, then rename). */
  private async write(locks: Lock[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, formatLocks(locks), { mode: 0o600, flag: 'wx' });
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw new GatewayError('RG_ERR_CONFIG', `cannot write ${this.path}: ${(err as Error).message}`);
    }
    this.cached = undefined;
  }
}
