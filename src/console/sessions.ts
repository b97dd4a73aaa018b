/**
 * Signed-in console sessions, in memory: an opaque random id (the cookie), the
 * account name, a CSRF token the page sends back in a header on every
 * state-changing request, and the recordings whose chunks were already
 * logged as fetched during this sign-in. A session ends on sign-out or after
 * `idleMs` without a request. A gateway restart signs everyone out.
 */
import { randomBytes } from 'node:crypto';

export interface ConsoleSession {
  id: string;
  account: string;
  csrf: string;
  lastSeen: number;
  chunksLogged: Set<string>;
}

const MAX_SESSIONS = 10_000;

export class SessionTable {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly idleMs: () => number,
    private readonly clock: () => number = Date.now,
  ) {}

  create(account: string): ConsoleSession {
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const session: ConsoleSession = {
      id: randomBytes(32).toString('base64url'),
      account,
      csrf: randomBytes(32).toString('base64url'),
      lastSeen: this.clock(),
      chunksLogged: new Set(),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, touched; undefined when unknown or idle too long. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (this.clock() - session.lastSeen > this.idleMs()) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = this.clock();
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }
}
