/**
 * `recgate sessions list | terminate | locks | unlock`: the running gateway's
 * live sessions, through its control socket, authenticated with the token it
 * wrote to `<dataDir>/control.token`; and the locks in `<dataDir>/locks.json`,
 * which the gateway reads at every login (so they are listed and lifted from
 * the file, with or without a running gateway).
 */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { LockStore, parseLockDuration, type Lock, type LockScope } from '../admission/locks.js';
import { controlPlace, type ControlPlace } from '../config/control-place.js';
import { loadConfig, resolveConfigPath, type Config } from '../config/index.js';
import { DEFAULT_TERMINATE_MESSAGE, type ControlResponse, type LockRequest } from '../daemon/control.js';
import { GatewayError, NotFoundError } from '../errors.js';
import type { SessionInfo } from '../session/registry.js';
import type { ClusterSessionInfo } from '../cluster/directory.js';
import { listAllNodes, terminateOnNode } from './sessions-cluster.js';
import type { GlobalOptions } from './context.js';
import { formatColumns, printable, safeJson, type Column } from './printable.js';
import { formatDuration } from './recordings-list.js';

/** Longest wait for the gateway's answer; terminating waits for the session's recording to end. */
const ANSWER_TIMEOUT = 30_000;

export async function listSessions(options: GlobalOptions & { json?: boolean }): Promise<void> {
  const config = loadConfig(resolveConfigPath(options.config), process.env, { targetSecrets: 'defer' });
  const sessions: SessionInfo[] = config.store.kind === 'postgres' ? await listAllNodes(config) : ((await request(config, { op: 'list' })).sessions ?? []);
  if (options.json) {
    process.stdout.write(safeJson(sessions, 2) + '\n');
    return;
  }
  process.stdout.write(formatSessions(sessions));
}

export async function terminateSession(id: string, options: GlobalOptions & { message?: string; lock?: string; lockScope?: string }): Promise<void> {
  const scope = options.lockScope ?? 'target';
  if (scope !== 'target' && scope !== 'gateway') throw new GatewayError('RG_ERR_USAGE', `--lock-scope must be target or gateway, not ${JSON.stringify(scope)}`);
  if (options.lockScope !== undefined && options.lock === undefined) throw new GatewayError('RG_ERR_USAGE', '--lock-scope needs --lock DURATION');
  const lock = options.lock === undefined ? undefined : { ms: parseLockDuration(options.lock), scope: scope as LockScope, by: operatorName() };
  const config = loadConfig(resolveConfigPath(options.config), process.env, { targetSecrets: 'defer' });
  const message = options.message ?? DEFAULT_TERMINATE_MESSAGE;
  if (config.store.kind === 'postgres') {
    const { node, response } = await terminateOnNode(config, { id, message, by: operatorName(), timeoutMs: ANSWER_TIMEOUT, ...(lock ? { lock } : {}) });
    process.stdout.write(`terminated ${id} on node ${printable(node)}\n`);
    if (response.lock) {
      process.stdout.write(`locked ${printable(describeLock(response.lock))} on node ${printable(node)}\n`);
      // Locks live in each node's data directory (locks.json): say where this one holds.
      process.stderr.write(`recgate: the lock is kept by node ${printable(node)}: logins through other nodes are not refused by it\n`);
    }
    return;
  }
  const response = await request(config, { op: 'terminate', id, message, ...(lock ? { lock } : {}) });
  process.stdout.write(`terminated ${id}\n`);
  if (response.lock) process.stdout.write(`locked ${printable(describeLock(response.lock))}\n`);
}

export async function listLocks(options: GlobalOptions & { json?: boolean }): Promise<void> {
  const config = loadConfig(resolveConfigPath(options.config), process.env, { targetSecrets: 'defer' });
  const locks = await LockStore.inDataDir(config.gateway.dataDir).active();
  if (options.json) {
    process.stdout.write(safeJson(locks, 2) + '\n');
    return;
  }
  process.stdout.write(locks.length === 0 ? 'no active locks\n' : formatColumns(LOCK_COLUMNS, locks));
}

export async function unlockUser(user: string, options: GlobalOptions & { target?: string }): Promise<void> {
  const config = loadConfig(resolveConfigPath(options.config), process.env, { targetSecrets: 'defer' });
  const store = LockStore.inDataDir(config.gateway.dataDir);
  let lifted: Lock[];
  try {
    // A running gateway lifts it itself, in turn with the locks it writes.
    lifted = (await request(config, { op: 'unlock', user, ...(options.target === undefined ? {} : { target: options.target }) })).lifted ?? [];
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    lifted = await store.remove(user, options.target);
  }
  if (lifted.length === 0) {
    throw new NotFoundError(`no active lock on ${user}${options.target === undefined ? '' : ` for ${options.target}`}`);
  }
  for (const lock of lifted) process.stdout.write(`unlocked ${printable(describeLock(lock))}\n`);
  const still = (await store.active()).filter((l) => l.user === user);
  for (const lock of still) process.stderr.write(`recgate: still locked: ${printable(describeLock(lock))} (unlock ${user} without --target to lift it)\n`);
}

/** "alice on pg01 until 2026-12-03T06:00:00.000Z" */
function describeLock(lock: Lock): string {
  return `${lock.user} ${lock.scope === 'gateway' ? 'on the whole gateway' : `on ${lock.target ?? '?'}`} until ${lock.until}`;
}

/** Who locks: the operator's account, as the lock's "by". */
function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

const LOCK_COLUMNS: Column<Lock>[] = [
  ['USER', (l) => l.user],
  ['SCOPE', (l) => (l.scope === 'gateway' ? 'gateway' : `target ${l.target ?? ''}`)],
  ['UNTIL', (l) => l.until.replace('T', ' ').replace(/\.\d+Z$/, 'Z')],
  ['MESSAGE', (l) => l.message],
  ['BY', (l) => l.by],
  ['AT', (l) => l.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')],
];

const COLUMNS: Column<SessionInfo>[] = [
  ['ID', (s) => s.id],
  ['NODE', (s) => nodeCell(s)],
  ['USER', (s) => s.user],
  ['TARGET', (s) => s.target],
  ['PROTOCOL', (s) => s.protocol],
  ['CLIENT', (s) => s.clientAddress],
  ['STARTED', (s) => s.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') + (s.recording ? '' : ' (unrecorded)')],
  ['IDLE', (s) => formatDuration(s.idleMs)],
];

export function formatSessions(rows: SessionInfo[]): string {
  if (rows.length === 0) return 'no live sessions\n';
  // One gateway alone has no node to name.
  return formatColumns(rows.some((r) => 'node' in r) ? COLUMNS : COLUMNS.filter(([name]) => name !== 'NODE'), rows);
}

function nodeCell(s: SessionInfo | ClusterSessionInfo): string {
  if (!('node' in s)) return '';
  return s.nodeAlive ? s.node : `${s.node} (no heartbeat)`;
}

type Request =
  | { op: 'list' }
  | { op: 'terminate'; id: string; message: string; lock?: LockRequest }
  | { op: 'reload' }
  | { op: 'unlock'; user: string; target?: string };

/** Sends one request; resolves with a successful response, or throws its error as one line. */
export async function request(where: Config | ControlPlace, body: Request): Promise<Extract<ControlResponse, { ok: true }>> {
  const place = 'source' in where ? controlPlace(where) : where;
  const path = place.socket;
  const socket = await open(path);
  try {
    const token = await readToken(place.token);
    const response = await exchange(socket, JSON.stringify({ token, ...body }) + '\n', path);
    if (response.ok) return response;
    if (response.code === 'RG_ERR_NOT_FOUND') throw new NotFoundError(response.error);
    throw new GatewayError(response.code ?? 'RG_ERR_PROTOCOL', response.error);
  } finally {
    socket.destroy();
  }
}

function open(path: string): Promise<ReturnType<typeof connect>> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new NotFoundError(`no gateway is running (no control socket at ${path})`));
      else if (err.code === 'ECONNREFUSED') reject(new NotFoundError(`no gateway is running (nothing answers on the control socket at ${path})`));
      else if (err.code === 'EACCES') reject(new GatewayError('RG_ERR_AUTH', `not authorized to use the control socket ${path} (run as the gateway's user)`));
      else reject(new GatewayError('RG_ERR_PROTOCOL', `cannot reach the gateway's control socket ${path}: ${err.message}`));
    });
  });
}

async function readToken(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' ? "permission denied (run as the gateway's user)" : code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new GatewayError('RG_ERR_AUTH', `cannot read the control token ${path}: ${why}`);
  }
}

function exchange(socket: ReturnType<typeof connect>, line: string, path: string): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const fail = (message: string): void => reject(new GatewayError('RG_ERR_PROTOCOL', message));
    socket.setEncoding('utf8');
    socket.setTimeout(ANSWER_TIMEOUT, () => fail(`the gateway did not answer on ${path}`));
    socket.on('error', (err) => fail(`the control socket ${path} failed: ${err.message}`));
    socket.on('close', () => fail(`the gateway closed the control socket ${path} without an answer`));
    socket.on('data', (text: string) => {
      buffered += text;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      try {
        resolve(JSON.parse(buffered.slice(0, nl)) as ControlResponse);
      } catch {
        fail(`the gateway sent an answer that is not JSON on ${path}`);
      }
    });
    socket.write(line);
  });
}
