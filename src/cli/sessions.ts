/**
 * `recgate sessions list | terminate`: the running gateway's live sessions,
 * through its control socket, authenticated with the token it wrote to
 * `<dataDir>/control.token`.
 */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { loadConfig, resolveConfigPath, type Config } from '../config/index.js';
import { controlTokenPath, DEFAULT_TERMINATE_MESSAGE, type ControlResponse } from '../daemon/control.js';
import { GatewayError, NotFoundError } from '../errors.js';
import type { SessionInfo } from '../session/registry.js';
import type { GlobalOptions } from './context.js';
import { formatColumns, safeJson, type Column } from './printable.js';
import { formatDuration } from './recordings-list.js';

/** Longest wait for the gateway's answer; terminating waits for the session's recording to end. */
const ANSWER_TIMEOUT = 30_000;

export async function listSessions(options: GlobalOptions & { json?: boolean }): Promise<void> {
  const config = loadConfig(resolveConfigPath(options.config), process.env, { targetSecrets: 'defer' });
  const response = await request(config, { op: 'list' });
  const sessions = response.sessions ?? [];
  if (options.json) {
    process.stdout.write(safeJson(sessions, 2) + '\n');
    return;
  }
  process.stdout.write(formatSessions(sessions));
}

export async function terminateSession(id: string, options: GlobalOptions & { message?: string }): Promise<void> {
  const config = loadConfig(resolveConfigPath(options.config), process.env, { targetSecrets: 'defer' });
  await request(config, { op: 'terminate', id, message: options.message ?? DEFAULT_TERMINATE_MESSAGE });
  process.stdout.write(`terminated ${id}\n`);
}

const COLUMNS: Column<SessionInfo>[] = [
  ['ID', (s) => s.id],
  ['USER', (s) => s.user],
  ['TARGET', (s) => s.target],
  ['PROTOCOL', (s) => s.protocol],
  ['CLIENT', (s) => s.clientAddress],
  ['STARTED', (s) => s.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') + (s.recording ? '' : ' (unrecorded)')],
  ['IDLE', (s) => formatDuration(s.idleMs)],
];

export function formatSessions(rows: SessionInfo[]): string {
  if (rows.length === 0) return 'no live sessions\n';
  return formatColumns(COLUMNS, rows);
}

type Request = { op: 'list' } | { op: 'terminate'; id: string; message: string };

/** Sends one request; resolves with a successful response, or throws its error as one line. */
async function request(config: Config, body: Request): Promise<Extract<ControlResponse, { ok: true }>> {
  const path = config.control.socket;
  const socket = await open(path);
  try {
    const token = await readToken(controlTokenPath(config));
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
