/**
 * Rules that span entries: unique names, references between sections, listeners that
 * would collide. They run on the schema's output, before anything is read from disk.
 */
import type { Issue, PathKey } from './locate.js';
import type { RawConfig } from './schema.js';
import { didYouMean } from './suggest.js';
import { formatListen } from './units.js';

function uniqueNames(section: string, entries: readonly { name: string }[], what: string): Issue[] {
  const seen = new Map<string, number>();
  const issues: Issue[] = [];
  for (const [index, entry] of entries.entries()) {
    const first = seen.get(entry.name);
    if (first === undefined) seen.set(entry.name, index);
    else issues.push({ path: [section, index, 'name'], message: `duplicate ${what} name "${entry.name}" (also ${section}[${first}])` });
  }
  return issues;
}

function references(
  path: readonly PathKey[],
  names: readonly string[],
  known: readonly string[],
  what: string,
  wildcard: boolean,
): Issue[] {
  const issues: Issue[] = [];
  for (const [index, name] of names.entries()) {
    if ((wildcard && name === '*') || known.includes(name)) continue;
    issues.push({ path: [...path, index], message: `unknown ${what} "${name}"${didYouMean(name, known)}` });
  }
  return issues;
}

function listenConflicts(listen: RawConfig['listen']): Issue[] {
  const used = new Map<string, string>();
  const issues: Issue[] = [];
  for (const [name, address] of Object.entries(listen)) {
    if (address === null || address === undefined || address.port === 0) continue;
    const key = formatListen(address);
    const other = used.get(key);
    if (other === undefined) used.set(key, name);
    else issues.push({ path: ['listen', name], message: `${key} is already used by listen.${other}` });
  }
  return issues;
}

export function checkReferences(config: RawConfig): Issue[] {
  const recipientNames = config.recipients.map((recipient) => recipient.name);
  const targetNames = config.targets.map((target) => target.name);
  const issues = [
    ...uniqueNames('recipients', config.recipients, 'recipient'),
    ...uniqueNames('signers', config.signers, 'signer'),
    ...uniqueNames('users', config.users, 'user'),
    ...uniqueNames('targets', config.targets, 'target'),
    ...listenConflicts(config.listen),
  ];
  for (const [index, user] of config.users.entries()) {
    issues.push(...references(['users', index, 'targets'], user.targets, targetNames, 'target', true));
  }
  for (const [index, target] of config.targets.entries()) {
    issues.push(...references(['targets', index, 'recipients'], target.recipients ?? [], recipientNames, 'recipient', false));
  }
  issues.push(...uniqueNames('console.accounts', config.console.accounts, 'console account').map((i) => ({ ...i, path: ['console', 'accounts', ...i.path.slice(1)] })));
  for (const [index, account] of config.console.accounts.entries()) {
    issues.push(...references(['console', 'accounts', index, 'recipient'], [account.recipient], recipientNames, 'recipient', false).map((i) => ({ ...i, path: i.path.slice(0, -1) })));
    issues.push(...references(['console', 'accounts', index, 'targets'], account.targets, targetNames, 'target', true));
    if (account.role === 'auditor' && account.targets.length === 0 && account.users.length === 0) {
      issues.push({ path: ['console', 'accounts', index, 'role'], message: 'an auditor needs users or targets to see (use ["*"] for every one)' });
    }
  }
  if (config.targets.length > 0 && config.recipients.length === 0) {
    issues.push({ path: ['recipients'], message: 'no recipients: recordings of the configured targets would be sealed to nobody' });
  }
  return issues;
}
