/**
 * The live sessions of this gateway. A session is listed from `add()` until
 * it has ended (its recording finished); operators list and terminate them
 * through the control socket and the web console.
 */
import type { EndReason, Session, SessionEnd } from './session.js';

export interface SessionInfo {
  id: string;
  user: string;
  target: string;
  protocol: string;
  clientAddress: string;
  /** ISO 8601. */
  startedAt: string;
  /** False when the session runs unrecorded (recording not required and not possible). */
  recording: boolean;
  /** Milliseconds since the person's last input. */
  idleMs: number;
}

export function sessionInfo(s: Session): SessionInfo {
  return {
    id: s.id,
    user: s.user,
    target: s.target.name,
    protocol: s.protocol,
    clientAddress: s.clientAddress,
    startedAt: s.startedAt.toISOString(),
    recording: s.recording,
    idleMs: s.idleMs(),
  };
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  get size(): number {
    return this.sessions.size;
  }

  add(session: Session): void {
    if (session.ended) return;
    this.sessions.set(session.id, session);
    session.once('ended', () => this.remove(session));
  }

  remove(session: Session): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** The live sessions themselves, in no particular order. */
  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** Oldest first. */
  list(): SessionInfo[] {
    return [...this.sessions.values()].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || cmp(a.id, b.id)).map(sessionInfo);
  }

  /** Shows the person in session `id` a message; undefined when no such session is live, false when it just ended. */
  message(id: string, message: string, by = 'operator'): boolean | undefined {
    return this.sessions.get(id)?.message(message, by);
  }

  /** Terminates session `id` with a message to the person; undefined when no such session is live. */
  terminate(id: string, message: string, by = 'operator'): Promise<SessionEnd> | undefined {
    return this.sessions.get(id)?.terminate(message, by);
  }

  /** Closes every live session with `reason` and `message`, and waits until each has ended. */
  async endAll(reason: EndReason, message: string): Promise<void> {
    await Promise.allSettled([...this.sessions.values()].map((s) => s.close(reason, message)));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
