/**
 * How a node stops. The protocol listeners close at once (a new connection
 * is refused; /readyz answers 503, so a load balancer sends people
 * elsewhere). With a drain (SIGTERM and `gateway.drainTimeout`), running
 * sessions go on until the deadline, and one that ends by itself meanwhile
 * ends normally; at the deadline the rest are ended with the shutdown
 * message the person sees. Without one (SIGINT, drainTimeout null) they are
 * ended at once. Either way every recording is ended and flushed to the
 * store before the other listeners (console, control socket, metrics) close.
 *
 * The console and the control socket stay up during the drain: operators
 * can list, message and terminate the sessions still running.
 */
import type { Logger } from '../log.js';
import { describeDuration } from '../session/limits.js';
import type { SessionEnd } from '../session/session.js';
import type { Gateway } from './gateway.js';

export interface Closable {
  close(): Promise<void>;
}

export interface StopPlan {
  /** Listeners that admit sessions: closed first. */
  proxies: Closable[];
  /** The console, the control socket and the metrics listener: closed last. */
  services: Closable[];
  /** How long running sessions may go on (ms); null or 0: end them at once. */
  drainMs: number | null;
}

/** How often the drain looks whether every session has ended (and for sessions that opened during a login under way). */
const POLL_MS = 100;

export async function stopGateway(gateway: Gateway, plan: StopPlan, log: Logger): Promise<void> {
  gateway.phase = 'draining';
  // Listeners stop accepting at once; a proxy's close may wait for its clients, whom the sessions' ends disconnect.
  const closed = Promise.allSettled(plan.proxies.map((l) => l.close()));
  const ends: Promise<SessionEnd>[] = [];
  const watched = new Set<string>();
  // Sessions are watched from now: those that end by themselves during the drain, and those ended at its deadline.
  const watch = (): void => {
    for (const { id } of gateway.sessions.list()) {
      const session = gateway.sessions.get(id);
      if (!session || watched.has(id)) continue;
      watched.add(id);
      ends.push(
        new Promise<SessionEnd>((resolve) => {
          session.once('ended', (end: SessionEnd) => {
            const during = gateway.phase === 'draining' ? 'session ended during the drain' : 'session ended by the shutdown';
            log.info({ session: id, reason: end.reason, recorded: end.recording?.ok ?? false }, during);
            resolve(end);
          });
        }),
      );
    }
  };
  watch();
  if (plan.drainMs && gateway.sessions.size > 0) {
    const deadline = Date.now() + plan.drainMs;
    log.info(
      { sessions: gateway.sessions.size, drainTimeout: plan.drainMs, deadline: new Date(deadline).toISOString() },
      'draining: new connections are refused; running sessions may go on until the deadline',
    );
    // Each person hears it now, as before a limit, and can finish what they are doing.
    const warning = drainWarning(plan.drainMs);
    for (const { id } of gateway.sessions.list()) gateway.sessions.message(id, warning, 'gateway');
    while (gateway.sessions.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
      watch();
    }
    if (gateway.sessions.size === 0) log.info('drain complete: every session ended by itself');
    else log.warn({ sessions: gateway.sessions.size }, 'drain deadline reached: ending the remaining sessions with the shutdown message');
  } else if (gateway.sessions.size > 0) {
    log.info({ sessions: gateway.sessions.size }, 'ending the running sessions with the shutdown message');
  }
  gateway.phase = 'stopping';
  watch();
  await gateway.endAll('gateway-shutdown');
  const results = await Promise.all(ends);
  const failed = results.filter((r) => r.recording && !r.recording.ok).length;
  const health = gateway.store.health?.();
  const flushed = { recordings: results.filter((r) => r.recording).length, failed, ...(health ? { store: health.state, spooledBytes: health.spooledBytes } : {}) };
  if (failed > 0) log.error(flushed, 'recordings ended; some could not be flushed to the store completely (see above)');
  else log.info(flushed, 'every recording flushed to the store');
  await closed;
  await Promise.allSettled(plan.services.map((l) => l.close()));
}

/** What a person sees when the drain starts: the shutdown message's words, with the time left (as the limits' warnings say it). */
export function drainWarning(drainMs: number): string {
  return `recgate: the gateway is shutting down; this session will be ended in ${describeDuration(drainMs)}`;
}
