/**
 * The control API: how operators list and terminate live sessions
 * (`recgate sessions`). A Unix domain socket at `control.socket` (mode 0600,
 * its folder created 0700 when missing), newline-delimited JSON, one response
 * line per request line, in order:
 *
 *   → {"token":"<hex>","op":"list"}
 *   ← {"ok":true,"sessions":[{id,user,target,protocol,clientAddress,startedAt,recording,idleMs}]}
 *   → {"token":"<hex>","op":"terminate","id":"<session id>","message":"<text for the person>",
 *      "lock":{"ms":900000,"scope":"target"|"gateway","by":"<operator account>"}}   (lock optional)
 *   ← {"ok":true,"lock":{user,scope,target,until,message,by,at}}
 *   → {"token":"<hex>","op":"unlock","user":"alice","target":"pg01"}   (target optional)
 *   ← {"ok":true,"lifted":[{user,scope,target,until,message,by,at}]}
 *   → {"token":"<hex>","op":"reload"}
 *   ← {"ok":true,"diff":{recipients,users,targets:{added,removed,changed},applied,needsRestart}}
 *   ← {"ok":false,"error":"<one line>","code":"RG_ERR_..."}
 *
 * Every request carries the token the daemon writes at start to
 * `<dataDir>/control.token` (32 random bytes, hex, mode 0600) and removes at
 * stop; it is compared in constant time. The socket's mode keeps other users
 * out; the token keeps out anyone who can reach the socket but cannot read the
 * gateway's data directory.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Lock, LockScope, LockStore } from '../admission/locks.js';
import type { Config } from '../config/index.js';
import type { ConfigDiff } from '../config/reload.js';
import { GatewayError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { cleanMessage, DEFAULT_TERMINATE_MESSAGE } from '../session/message.js';
import type { SessionInfo, SessionRegistry } from '../session/registry.js';

export interface LockRequest {
  ms: number;
  scope: LockScope;
  by: string;
}
export type ControlRequest =
  | { token: string; op: 'list' }
  | { token: string; op: 'terminate'; id: string; message?: string; lock?: LockRequest }
  | { token: string; op: 'reload' }
  | { token: string; op: 'unlock'; user: string; target?: string };
export type ControlResponse = { ok: true; sessions?: SessionInfo[]; lock?: Lock; lifted?: Lock[]; diff?: ConfigDiff } | { ok: false; error: string; code: ErrorCode };

/** What the control socket acts on: the gateway's sessions, locks and config. */
export interface Controlled {
  sessions: SessionRegistry;
  log: Logger;
  locks: LockStore;
  reload(): Promise<ConfigDiff>;
}

export { DEFAULT_TERMINATE_MESSAGE };
/** Longest request line accepted; a longer one closes the connection. */
const MAX_REQUEST = 64 * 1024;

export function controlTokenPath(config: Config): string {
  return join(config.gateway.dataDir, 'control.token');
}

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

export async function startControl(gateway: Controlled, config: Config): Promise<ControlServer> {
  const path = config.control.socket;
  const tokenPath = controlTokenPath(config);
  const log = gateway.log.child({ component: 'control' });
  await prepareSocketPath(path, log);
  const token = randomBytes(32).toString('hex');
  await writeToken(tokenPath, token);
  const expected = digest(token);
  const handle = (line: string): Promise<ControlResponse> => answer(line, expected, gateway, log);
  const clients = new Set<Socket>();
  const server = createServer((socket) => {
    clients.add(socket);
    socket.once('close', () => clients.delete(socket));
    serve(socket, handle);
  });
  try {
    await listen(server, path);
    await chmod(path, 0o600);
  } catch (err) {
    server.close();
    await rm(tokenPath, { force: true });
    throw new GatewayError('RG_ERR_CONFIG', `cannot listen on the control socket ${path}: ${(err as Error).message}`, { cause: err });
  }
  log.info({ socket: path }, 'control socket listening');
  return {
    path,
    close: async () => {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
      await rm(tokenPath, { force: true });
    },
  };
}

/** Creates the socket's folder (0700) when missing; removes a stale socket; refuses when another gateway answers. */
async function prepareSocketPath(path: string, log: Logger): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const stat = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!stat) return;
  if (!stat.isSocket()) throw new GatewayError('RG_ERR_CONFIG', `control socket path ${path} exists and is not a socket`);
  if (await answers(path)) throw new GatewayError('RG_ERR_CONFIG', `another gateway is running (its control socket ${path} answers)`);
  await rm(path, { force: true });
  log.info({ socket: path }, 'removed a stale control socket');
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(true));
  });
}

async function writeToken(path: string, token: string): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, token + '\n', { mode: 0o600, flag: 'wx' });
  await rename(temp, path);
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Splits the connection into request lines and answers each in order. */
function serve(socket: Socket, handle: (line: string) => Promise<ControlResponse>): void {
  let buffered = '';
  let pending = Promise.resolve();
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (text: string) => {
    buffered += text;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      pending = pending.then(async () => {
        const response = await handle(line);
        if (!socket.destroyed) socket.write(JSON.stringify(response) + '\n');
      });
    }
    if (buffered.length > MAX_REQUEST) {
      buffered = '';
      socket.end(JSON.stringify(failure('RG_ERR_USAGE', 'request too long')) + '\n');
    }
  });
}

async function answer(line: string, expected: Buffer, gateway: Controlled, log: Logger): Promise<ControlResponse> {
  let request: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    request = parsed as Record<string, unknown>;
  } catch {
    return failure('RG_ERR_USAGE', 'bad request: one JSON object per line expected');
  }
  if (typeof request.token !== 'string' || !timingSafeEqual(digest(request.token), expected)) {
    log.warn({ op: typeof request.op === 'string' ? request.op.slice(0, 32) : null }, 'control request refused: not authorized');
    return failure('RG_ERR_AUTH', 'not authorized');
  }
  switch (request.op) {
    case 'list':
      return { ok: true, sessions: gateway.sessions.list() };
    case 'terminate':
      return terminate(request, gateway, log);
    case 'reload':
      return reload(gateway);
    case 'unlock':
      return unlock(request, gateway, log);
    default:
      return failure('RG_ERR_USAGE', `unknown op ${JSON.stringify(request.op)}`.slice(0, 100));
  }
}

/** Terminates a live session as a control request asks (also run for requests queued by other nodes of a cluster). */
export async function terminate(request: Record<string, unknown>, gateway: Pick<Controlled, 'sessions' | 'locks'>, log: Logger): Promise<ControlResponse> {
  const id = request.id;
  if (typeof id !== 'string') return failure('RG_ERR_USAGE', 'terminate needs a session id');
  const message = typeof request.message === 'string' && request.message.trim() !== '' ? cleanMessage(request.message) : DEFAULT_TERMINATE_MESSAGE;
  const session = gateway.sessions.get(id);
  if (!session) return failure('RG_ERR_NOT_FOUND', `no live session ${id.slice(0, 64)}`);
  const wanted = lockRequest(request.lock);
  if (typeof wanted === 'string') return failure('RG_ERR_USAGE', wanted);
  let lock: Lock | undefined;
  // The lock is in place before the session ends, so a client's automatic reconnection is already refused.
  if (wanted) {
    const at = Date.now();
    lock = {
      user: session.user,
      scope: wanted.scope,
      ...(wanted.scope === 'target' ? { target: session.target.name } : {}),
      until: new Date(at + wanted.ms).toISOString(),
      message,
      by: cleanMessage(wanted.by).slice(0, 64) || 'operator',
      at: new Date(at).toISOString(),
    };
    try {
      await gateway.locks.add(lock, at);
    } catch (err) {
      log.error({ err }, 'cannot write the lock; the session is left running');
      return failure('RG_ERR_CONFIG', (err as Error).message);
    }
    log.info({ user: lock.user, scope: lock.scope, target: lock.target, until: lock.until, by: lock.by }, 'login locked by an operator');
  }
  const ending = gateway.sessions.terminate(id, message, 'operator');
  if (!ending) return failure('RG_ERR_NOT_FOUND', `no live session ${id.slice(0, 64)}`);
  log.info({ session: id, message }, 'session terminated by an operator');
  await ending;
  return lock ? { ok: true, lock } : { ok: true };
}

/** The request's lock, undefined for none, or a string saying what is wrong with it. */
function lockRequest(value: unknown): LockRequest | undefined | string {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') return 'lock must be an object';
  const { ms, scope, by } = value as Record<string, unknown>;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return 'lock.ms must be a positive number of milliseconds';
  if (scope !== 'target' && scope !== 'gateway') return 'lock.scope must be target or gateway';
  return { ms, scope, by: typeof by === 'string' ? by : 'operator' };
}

/** Lifted here when a gateway runs, so its own lock writes and this one never overlap. */
async function unlock(request: Record<string, unknown>, gateway: Controlled, log: Logger): Promise<ControlResponse> {
  const { user, target } = request;
  if (typeof user !== 'string' || user === '') return failure('RG_ERR_USAGE', 'unlock needs a user');
  if (target !== undefined && typeof target !== 'string') return failure('RG_ERR_USAGE', 'unlock: target must be a string');
  try {
    const lifted = await gateway.locks.remove(user, target);
    if (lifted.length > 0) log.info({ user: user.slice(0, 64), target, lifted: lifted.length }, 'locks lifted by an operator');
    return { ok: true, lifted };
  } catch (err) {
    return failure('RG_ERR_CONFIG', (err as Error).message);
  }
}

async function reload(gateway: Controlled): Promise<ControlResponse> {
  try {
    return { ok: true, diff: await gateway.reload() };
  } catch (err) {
    return failure(err instanceof GatewayError ? err.code : 'RG_ERR_CONFIG', (err as Error).message);
  }
}

function failure(code: ErrorCode, error: string): ControlResponse {
  return { ok: false, error, code };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
