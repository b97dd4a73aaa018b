/**
 * Reloading a running gateway's config: what changed, what applies at once
 * and what needs a restart.
 *
 * Applied to the next login and the next session: recipients, users, targets,
 * signers, limits and recording (a live session keeps the targets, limits and
 * recipients it opened with; its record key stays sealed as it was).
 * Kept until a restart: listen, store, log, gateway (data directory and keys),
 * control, admission, retention and console.tls, which the running gateway
 * set up at start.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config, RecipientConfig, TargetConfig, UserConfig } from './types.js';

/** Sections a running gateway cannot take without a restart. */
export const RESTART_SECTIONS = ['gateway', 'listen', 'store', 'log', 'control', 'admission', 'retention'] as const;
/** Sections compared for "changed", beyond recipients, users and targets. */
const APPLIED_SECTIONS = ['signers', 'limits', 'recording'] as const;

export interface NamedChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ConfigDiff {
  recipients: NamedChanges;
  users: NamedChanges;
  targets: NamedChanges;
  /** Other sections that changed and were applied. */
  applied: string[];
  /** Sections that changed in the file but keep their running value until a restart. */
  needsRestart: string[];
}

export interface ReloadPlan {
  /** The config to run with: the new file, with the restart-only sections kept as they run. */
  config: Config;
  diff: ConfigDiff;
}

export function planReload(running: Config, next: Config): ReloadPlan {
  const diff: ConfigDiff = {
    recipients: diffNamed(running.recipients, next.recipients, recipientKey),
    users: diffNamed(running.users, next.users, (u: UserConfig) => u),
    targets: diffNamedIn(running, next),
    applied: APPLIED_SECTIONS.filter((s) => !same(running[s], next[s])),
    needsRestart: [...RESTART_SECTIONS.filter((s) => !same(running[s], next[s])), ...(running.console.tls === next.console.tls ? [] : ['console.tls'])],
  };
  const kept = Object.fromEntries(RESTART_SECTIONS.map((s) => [s, running[s]]));
  // The console's accounts apply at once; whether its listener speaks TLS was settled at start.
  const config = Object.freeze({ ...next, ...kept, console: { ...next.console, tls: running.console.tls } }) as Config;
  return { config, diff };
}

export function diffIsEmpty(diff: ConfigDiff): boolean {
  const none = (c: NamedChanges): boolean => c.added.length + c.removed.length + c.changed.length === 0;
  return none(diff.recipients) && none(diff.users) && none(diff.targets) && diff.applied.length === 0 && diff.needsRestart.length === 0;
}

/** One line per change, as the reload command and the log show them. */
export function describeDiff(diff: ConfigDiff): string[] {
  const lines: string[] = [];
  for (const section of ['recipients', 'users', 'targets'] as const) {
    const c = diff[section];
    if (c.added.length) lines.push(`${section} added: ${c.added.join(', ')}`);
    if (c.removed.length) lines.push(`${section} removed: ${c.removed.join(', ')}`);
    if (c.changed.length) lines.push(`${section} changed: ${c.changed.join(', ')}`);
  }
  if (diff.applied.length) lines.push(`changed: ${diff.applied.join(', ')}`);
  if (diff.needsRestart.length) lines.push(`needs a restart (the running values stay): ${diff.needsRestart.join(', ')}`);
  if (lines.length === 0) lines.push('no changes');
  return lines;
}

/** Targets, where "sealed to every recipient" is one value however the recipients changed (that is the recipients' change). */
function diffNamedIn(running: Config, next: Config): NamedChanges {
  const keyIn = (config: Config) => {
    const all = config.recipients.map((r) => r.name).join('\n');
    return (t: TargetConfig): unknown => targetKey(t, t.recipients.map((r) => r.name).join('\n') === all);
  };
  const before = new Map(running.targets.map((t) => [t.name, keyIn(running)(t)]));
  const after = new Map(next.targets.map((t) => [t.name, keyIn(next)(t)]));
  return {
    added: [...after.keys()].filter((n) => !before.has(n)),
    removed: [...before.keys()].filter((n) => !after.has(n)),
    changed: [...after.keys()].filter((n) => before.has(n) && !same(before.get(n), after.get(n))),
  };
}

function diffNamed<T extends { name: string }>(before: readonly T[], after: readonly T[], key: (item: T) => unknown): NamedChanges {
  const old = new Map(before.map((i) => [i.name, i]));
  const now = new Map(after.map((i) => [i.name, i]));
  return {
    added: [...now.keys()].filter((n) => !old.has(n)),
    removed: [...old.keys()].filter((n) => !now.has(n)),
    changed: [...now.keys()].filter((n) => old.has(n) && !same(key(old.get(n)!), key(now.get(n)!))),
  };
}

/** A recipient is its key; the line's comment is not a change. */
const recipientKey = (r: RecipientConfig): unknown => Buffer.from(r.publicKey).toString('hex');

/** A target with its secrets as values (compared, never shown) and its recipients by name, or "all". */
function targetKey(t: TargetConfig, everyRecipient: boolean): unknown {
  return {
    ...t,
    login: Object.fromEntries(Object.entries(t.login).map(([k, v]) => [k, secretValue(v)])),
    recipients: everyRecipient ? '*' : t.recipients.map((r) => r.name),
    options: Object.fromEntries(Object.entries(t.options).map(([k, v]) => [k, secretValue(v)])),
  };
}

function secretValue(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && 'reveal' in v && typeof (v as { reveal: unknown }).reveal === 'function') {
    try {
      return { secret: (v as { reveal(): string }).reveal() };
    } catch {
      return { unread: (v as { origin?: string }).origin };
    }
  }
  return v;
}

function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

/** Typed arrays as hex, secrets as their values, so deep equality compares what matters. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object' && v !== null) {
    const s = secretValue(v);
    if (s !== v) return s;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}
