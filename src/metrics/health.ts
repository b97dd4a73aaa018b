/**
 * Liveness and readiness, as load balancers and orchestrators ask for them.
 *
 * /healthz: the process answers (200), whatever else is wrong: restarting it
 * would not help a store that is down.
 * /readyz: 200 only while the node accepts sessions: its listeners are up,
 * it is not draining, and its store takes writes (reachable, or spooling
 * with room left in the spool); otherwise 503 with a short reason, so a load
 * balancer sends new sessions elsewhere.
 */
import type { StoreHealth } from '../store/types.js';

/** starting: listeners not up yet; serving: accepting sessions; draining: SIGTERM received; stopping: sessions ended, flushing. */
export type NodePhase = 'starting' | 'serving' | 'draining' | 'stopping';

export type NotReadyReason = 'starting' | 'draining' | 'stopping' | 'store down' | 'spool full';

export interface Readiness {
  ready: boolean;
  /** The body /readyz answers with. */
  body: { status: 'ready' | 'not ready'; reason?: NotReadyReason; store?: StoreHealth['state']; detail?: string };
}

/** Pure: what /readyz says given the node's phase and its store's health (undefined: a store that is always up). */
export function readiness(phase: NodePhase, store: StoreHealth | undefined, spoolMaxBytes: number): Readiness {
  const notReady = (reason: NotReadyReason, detail?: string): Readiness => ({
    ready: false,
    body: { status: 'not ready', reason, ...(store ? { store: store.state } : {}), ...(detail ? { detail } : {}) },
  });
  if (phase !== 'serving') return notReady(phase);
  if (store?.state === 'down') return notReady('store down', store.detail);
  if (store?.state === 'spooling' && store.spooledBytes >= spoolMaxBytes) {
    return notReady('spool full', `${store.spooledBytes} of ${spoolMaxBytes} spool bytes used`);
  }
  return { ready: true, body: { status: 'ready', ...(store ? { store: store.state } : {}) } };
}
