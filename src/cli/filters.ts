import type { Command } from 'commander';
import type { ListFilter } from '../store/types.js';
import { usageError } from '../errors.js';

export interface FilterOptions {
  user?: string;
  target?: string;
  protocol?: string;
  since?: string;
  until?: string;
}

/** Adds the list filters shared by `recordings list` and `recordings search`. */
export function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--user <name>', 'only recordings of this gateway user')
    .option('--target <name>', 'only recordings of this target')
    .option('--protocol <name>', 'only recordings of this protocol (ssh, postgres, ...)')
    .option('--since <time>', 'started at or after: an ISO date/time, or an age such as 2h or 7d')
    .option('--until <time>', 'started before: an ISO date/time, or an age such as 30m');
}

export function toListFilter(o: FilterOptions, now = Date.now()): ListFilter {
  const filter: ListFilter = {};
  if (o.user !== undefined) filter.user = o.user;
  if (o.target !== undefined) filter.target = o.target;
  if (o.protocol !== undefined) filter.protocol = o.protocol;
  if (o.since !== undefined) filter.since = parseTime('--since', o.since, now);
  if (o.until !== undefined) filter.until = parseTime('--until', o.until, now);
  return filter;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** An ISO time, or an age before `now` such as `90m`, `2h`, `7d`. */
export function parseTime(flag: string, text: string, now: number): string {
  const age = /^(\d+)([smhdw])$/.exec(text.trim());
  if (age) return new Date(now - Number(age[1]) * UNIT_MS[age[2]!]!).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw usageError(`${flag} ${JSON.stringify(text)} is neither an ISO time nor an age like 2h or 7d`);
  return new Date(t).toISOString();
}
