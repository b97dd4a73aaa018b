/**
 * Connections that have not logged in yet, over every listener: at most
 * `maxPerAddress` from one address and `maxTotal` in all, each closed when
 * it has not logged in within the login grace time.
 *
 * When the total is reached, a newcomer from an address holding fewer such
 * connections than the busiest address takes the place of that address's
 * oldest one: a flood of half-open connections from some addresses costs
 * those addresses their places, not everyone else.
 */
export interface GuardOptions {
  maxTotal: number;
  maxPerAddress: number;
  graceMs: number;
}

/** One connection's place before login. */
export interface PreLogin {
  readonly address: string;
  /** The person logged in: the place is freed and the grace timer stops. */
  loggedIn(): void;
  /** The connection closed: the place is freed (idempotent, also after loggedIn). */
  leave(): void;
}

export type Eviction = 'grace-expired' | 'displaced';

interface Place extends PreLogin {
  readonly close: (why: Eviction) => void;
  timer: NodeJS.Timeout | undefined;
}

export class PreLoginGuard {
  private readonly byAddress = new Map<string, Set<Place>>();
  private total = 0;

  constructor(private readonly options: GuardOptions) {}

  /** Connections not yet logged in. */
  get size(): number {
    return this.total;
  }

  /**
   * A place for a new connection from `address`, or null when it is refused.
   * `close` is called when the connection must go: its grace time passed, or
   * a newcomer from a less busy address took its place.
   */
  enter(address: string, close: (why: Eviction) => void): PreLogin | null {
    const mine = this.byAddress.get(address);
    if ((mine?.size ?? 0) >= this.options.maxPerAddress) return null;
    if (this.total >= this.options.maxTotal && !this.displaceFor(mine?.size ?? 0)) return null;
    const place = this.place(address, close);
    const set = mine ?? new Set<Place>();
    set.add(place);
    this.byAddress.set(address, set);
    this.total++;
    return place;
  }

  private place(address: string, close: (why: Eviction) => void): Place {
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      clearTimeout(place.timer);
      const set = this.byAddress.get(address);
      if (set?.delete(place)) this.total--;
      if (set?.size === 0) this.byAddress.delete(address);
    };
    const place: Place = { address, close, timer: undefined, loggedIn: leave, leave };
    place.timer = setTimeout(() => {
      leave();
      close('grace-expired');
    }, this.options.graceMs);
    place.timer.unref();
    return place;
  }

  /** Frees one place of the busiest address, if it is busier than `than`; true when a place was freed. */
  private displaceFor(than: number): boolean {
    let busiest: Set<Place> | undefined;
    for (const set of this.byAddress.values()) if (set.size > (busiest?.size ?? 0)) busiest = set;
    if (busiest === undefined || busiest.size <= than + 1) return false;
    const oldest = busiest.values().next().value as Place;
    oldest.leave();
    oldest.close('displaced');
    return true;
  }
}
