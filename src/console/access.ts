/**
 * What a console account may do and see. Auditors see the recordings whose
 * target is in their `targets` and whose user is in their `users` ("*" any;
 * an omitted list does not restrict); officers and admins see every recording;
 * only admins read the console's audit log; officers and admins watch,
 * message and terminate live sessions.
 */
import type { ConsoleAccount } from '../config/index.js';
import type { ListFilter, RecordingSummary } from '../store/types.js';

export type Right = 'list' | 'view' | 'audit-log' | LiveRight;
/** Acting on a live session: watching it as it happens, messaging the person, terminating it. Officers and admins. */
export type LiveRight = 'watch' | 'message' | 'terminate';

export function hasRight(account: ConsoleAccount, right: Right): boolean {
  if (right === 'audit-log') return account.role === 'admin';
  if (right === 'watch' || right === 'message' || right === 'terminate') return account.role !== 'auditor';
  return true;
}

function allowed(names: readonly string[], name: string): boolean {
  return names.length === 0 || names.includes('*') || names.includes(name);
}

export function maySee(account: ConsoleAccount, recording: Pick<RecordingSummary, 'user' | 'target'>): boolean {
  if (account.role !== 'auditor') return true;
  return allowed(account.targets, recording.target) && allowed(account.users, recording.user);
}

/** The store filter that restricts a listing to what the account may see (so paging stays exact). */
export function visibilityFilter(account: ConsoleAccount): Pick<ListFilter, 'users' | 'targets'> {
  if (account.role !== 'auditor') return {};
  const out: Pick<ListFilter, 'users' | 'targets'> = {};
  if (account.targets.length > 0 && !account.targets.includes('*')) out.targets = account.targets;
  if (account.users.length > 0 && !account.users.includes('*')) out.users = account.users;
  return out;
}
