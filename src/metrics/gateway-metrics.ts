/**
 * What a recgate node tells Prometheus: sessions (live, started, ended and
 * refused per protocol), logins that failed, bytes recorded and stored,
 * chunks written and spooled, the store's write latency and state, whether
 * the node is ready, and the process's own figures.
 *
 * Labels are fixed sets chosen by code: protocol, end or refusal reason,
 * stream kind, store operation and state. No user or target name is a
 * label: those are configured names, not secrets, but one series per user
 * and target grows without bound with the directory and is what
 * `recgate sessions list` and the recordings index answer better; nothing a
 * person typed ever becomes a label.
 */
import type { StoreHealth } from '../store/types.js';
import { Registry, type Counter } from './exposition.js';
import type { NodePhase } from './health.js';
import type { StoreWriteObserver, WriteOp } from './metered-store.js';
import { processMetrics } from './process.js';

/** Seconds: store writes are fast on a local disk and may wait on a remote database or its spool. */
const WRITE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_STATES: readonly StoreHealth['state'][] = ['up', 'spooling', 'down'];
const PHASES: readonly NodePhase[] = ['starting', 'serving', 'draining', 'stopping'];

/** Where the collectors read the values that are not counted as they happen. */
export interface MetricsSources {
  /** The protocol of each live session. */
  liveSessions(): Iterable<string>;
  /** The store's own account (stores that can be unreachable); undefined for one that is always up. */
  storeHealth(): StoreHealth | undefined;
  phase(): NodePhase;
}

export class GatewayMetrics implements StoreWriteObserver {
  readonly registry = new Registry();
  private readonly started: Counter;
  private readonly ended: Counter;
  private readonly refused: Counter;
  private readonly loginFailures: Counter;
  private readonly recordedBytes: Counter;
  private readonly storedBytes: Counter;
  private readonly chunksWritten: Counter;
  private readonly storeErrors: Counter;
  private readonly writeSeconds;
  private readonly stopProcess: () => void;

  /** `protocols`: the served protocols, whose series exist (at 0) from the start. */
  constructor(
    protocols: readonly string[],
    sources: MetricsSources,
  ) {
    const r = this.registry;
    const live = r.gauge('recgate_sessions_live', 'Sessions running on this node now.', ['protocol']);
    this.started = r.counter('recgate_sessions_started_total', 'Sessions opened (a person logged in and the target accepted the gateway).', ['protocol']);
    this.ended = r.counter('recgate_sessions_ended_total', 'Sessions ended, by why they ended.', ['protocol', 'reason']);
    this.refused = r.counter('recgate_sessions_refused_total', 'Logins refused after authentication or by the failed-login limit, by why.', ['protocol', 'reason']);
    this.loginFailures = r.counter('recgate_login_failures_total', 'Gateway logins that failed (wrong password or key, unknown user).', ['protocol']);
    this.recordedBytes = r.counter('recgate_recorded_bytes_total', 'Plaintext bytes recorded (framed, before sealing), by stream kind.', ['protocol', 'stream']);
    this.storedBytes = r.counter('recgate_stored_bytes_total', 'Ciphertext bytes of chunks the store accepted.');
    this.chunksWritten = r.counter('recgate_chunks_written_total', 'Sealed chunks the store accepted.');
    this.writeSeconds = r.histogram('recgate_store_write_seconds', 'Latency of the recorders\' writes to the store, by operation.', ['op'], WRITE_BUCKETS);
    this.storeErrors = r.counter('recgate_store_write_errors_total', 'Recorder writes the store failed, by operation.', ['op']);
    const spooled = r.counter('recgate_chunks_spooled_total', 'Chunks written to the local spool while the store was unreachable.');
    const drained = r.counter('recgate_chunks_drained_total', 'Spooled chunks since moved into the store.');
    const spoolBytes = r.gauge('recgate_spool_bytes', 'Bytes waiting in the local spool.');
    const storeState = r.gauge('recgate_store_state', 'The store\'s state: 1 for the current one.', ['state']);
    const phase = r.gauge('recgate_node_phase', 'The node\'s phase: 1 for the current one (serving: accepting sessions).', ['phase']);
    for (const protocol of protocols) {
      this.started.inc({ protocol }, 0);
      this.loginFailures.inc({ protocol }, 0);
    }
    r.onCollect(() => {
      const counts = new Map<string, number>(protocols.map((p) => [p, 0]));
      for (const protocol of sources.liveSessions()) counts.set(protocol, (counts.get(protocol) ?? 0) + 1);
      live.reset();
      for (const [protocol, n] of counts) live.set(n, { protocol });
      const health = sources.storeHealth();
      spooled.mirror(health?.spooledChunks ?? 0);
      drained.mirror(health?.drainedChunks ?? 0);
      spoolBytes.set(health?.spooledBytes ?? 0);
      const state = health?.state ?? 'up';
      for (const s of STORE_STATES) storeState.set(s === state ? 1 : 0, { state: s });
      const now = sources.phase();
      for (const p of PHASES) phase.set(p === now ? 1 : 0, { phase: p });
    });
    this.stopProcess = processMetrics(r);
  }

  sessionStarted(protocol: string): void {
    this.started.inc({ protocol });
  }

  sessionEnded(protocol: string, reason: string): void {
    this.ended.inc({ protocol, reason });
  }

  /** `reason`: a Refusal kind (too-many-failures, no-such-target, locked, ...). */
  sessionRefused(protocol: string, reason: string): void {
    this.refused.inc({ protocol, reason });
  }

  loginFailed(protocol: string): void {
    this.loginFailures.inc({ protocol });
  }

  recorded(protocol: string, stream: string, bytes: number): void {
    this.recordedBytes.inc({ protocol, stream }, bytes);
  }

  write(op: WriteOp, seconds: number, ok: boolean): void {
    this.writeSeconds.observe(seconds, { op });
    if (!ok) this.storeErrors.inc({ op });
  }

  stored(chunks: number, bytes: number): void {
    this.chunksWritten.inc(undefined, chunks);
    this.storedBytes.inc(undefined, bytes);
  }

  render(): string {
    return this.registry.render();
  }

  close(): void {
    this.stopProcess();
  }
}
