/** The live-session part of the console API, as the page uses it (see src/console/routes-live.ts). */
import type { SessionInfo as LocalSessionInfo } from '../src/session/registry.js';

/** A live session; `node` names the gateway node holding it when several share a store. */
export type SessionInfo = LocalSessionInfo & { node?: string };
import { call } from './api.js';

export interface LiveStream {
  id: number;
  name: string;
  kind: string;
  channel: number;
  chunks: number;
}

export interface LiveProgress {
  seq: number;
  streams: LiveStream[];
}

export type LiveUpdate = (LiveProgress & { ended: boolean }) | { ended: true; status: string; endReason: string | null };

const path = (id: string, rest = ''): string => `/api/live/${encodeURIComponent(id)}${rest}`;

export async function liveSessions(): Promise<{ sessions: SessionInfo[]; canAct: boolean }> {
  return (await call('GET', '/api/live')).json() as Promise<{ sessions: SessionInfo[]; canAct: boolean }>;
}

export async function watch(id: string): Promise<LiveProgress & { session: SessionInfo }> {
  return (await call('GET', path(id))).json() as Promise<LiveProgress & { session: SessionInfo }>;
}

/** Answers once the store holds more than `since` chunks of the session, it ended, or the server's poll time passed. */
export async function updates(id: string, since: number): Promise<LiveUpdate> {
  return (await call('GET', path(id, `/updates?since=${since}`))).json() as Promise<LiveUpdate>;
}

export async function message(id: string, text: string): Promise<{ sent: string }> {
  return (await call('POST', path(id, '/message'), { text })).json() as Promise<{ sent: string }>;
}

export async function terminate(id: string, text: string): Promise<{ terminated: boolean; reason: string }> {
  return (await call('POST', path(id, '/terminate'), { message: text })).json() as Promise<{ terminated: boolean; reason: string }>;
}

export interface AuditLine {
  seq: number;
  at: string;
  action: string;
  account: string;
  address: string;
  recording?: string;
  detail?: string;
}

export async function auditLog(): Promise<{ signer: string; entries: AuditLine[] }> {
  return (await call('GET', '/api/audit')).json() as Promise<{ signer: string; entries: AuditLine[] }>;
}
