/**
 * Connection ids the gateway hands out. A client sees the gateway's own id
 * in the greeting, never the target's thread id: a `KILL [QUERY] n` (or
 * COM_PROCESS_KILL) naming it is matched here and translated to the target
 * thread of that connection, when the one asking is the same person on the
 * same target (the mariadb client's Ctrl-C and Connector/J's query timeout
 * open a second connection through the gateway for it). Any other id is
 * unknown. As with PostgreSQL's cancel keys (proxies/postgres/cancel.ts).
 *
 * Invariants: ids are unique among live connections and not sequential (a
 * person cannot guess another's); an id is forgotten when its connection
 * ends; a connection not yet logged in matches nothing.
 */
import { randomInt } from 'node:crypto';

export interface ThreadOwner {
  user: string;
  target: string;
}

interface Entry {
  owner?: ThreadOwner;
  thread?: number;
  /** Records, in this connection's session, that another connection cancelled its work. */
  cancelled?: (by: number, scope: 'query' | 'connection') => void;
}

export interface GatewayThread {
  readonly id: number;
  /** The connection is logged in: the person, the target, its thread there, and how to record a cancel of it. */
  bind(owner: ThreadOwner, thread: number, cancelled?: (by: number, scope: 'query' | 'connection') => void): void;
  release(): void;
}

export type ThreadLookup = { kind: 'found'; thread: number; cancelled?: (by: number, scope: 'query' | 'connection') => void } | { kind: 'unknown' } | { kind: 'other-target'; target: string };

export class ThreadIds {
  private readonly live = new Map<number, Entry>();

  /** An id for the greeting of a new connection. */
  reserve(): GatewayThread {
    let id: number;
    do id = randomInt(1, 0x7fff_ffff);
    while (this.live.has(id));
    const entry: Entry = {};
    this.live.set(id, entry);
    return {
      id,
      bind: (owner, thread, cancelled) => {
        entry.owner = owner;
        entry.thread = thread;
        if (cancelled) entry.cancelled = cancelled;
      },
      release: () => {
        if (this.live.get(id) === entry) this.live.delete(id);
      },
    };
  }

  /** The target thread of gateway id `id`, for `asker`: found only for the same person's connection on the same target. */
  lookup(id: number, asker: ThreadOwner): ThreadLookup {
    const entry = this.live.get(id);
    if (!entry?.owner || entry.thread === undefined || entry.owner.user !== asker.user) return { kind: 'unknown' };
    if (entry.owner.target !== asker.target) return { kind: 'other-target', target: entry.owner.target };
    return entry.cancelled ? { kind: 'found', thread: entry.thread, cancelled: entry.cancelled } : { kind: 'found', thread: entry.thread };
  }

  get size(): number {
    return this.live.size;
  }
}
