/**
 * Who the gateway says it is in its greeting. The greeting goes out before
 * the client names a target, yet connectors choose their paths by it
 * (MariaDB Connector/J and the mariadb npm connector take MariaDB-only
 * paths when the version says MariaDB; the mariadb client shows it). So
 * the listener learns its mysql targets' greetings, by probing them (TCP,
 * read the greeting, close) and from every login, and greets as:
 *
 *   all targets MariaDB  the lowest version's string, and the MariaDB
 *                        extended capabilities every one of them has, of
 *                        those the relay follows (bulk execute, metadata
 *                        caching);
 *   all targets MySQL    the lowest version's string;
 *   mixed, or none known `8.0.0-recgate`, no extended capabilities.
 *
 * Probes are cached: a target's greeting is probed once and refreshed by
 * logins; a target that did not answer is tried again after RETRY_MS.
 *
 * Invariants: greetingIdentity is pure; a version string from a target is
 * used only when short and printable; a probe never delays a greeting
 * longer than PROBE_TIMEOUT_MS.
 */
import type { TargetConfig } from '../../src/config/index.js';
import type { Logger } from '../../src/log.js';
import { openTargetSocket } from '../wire/tcp.js';
import { SocketReader } from '../wire/socket-reader.js';
import { loginPacket } from './login-packet.js';
import { Capability, MariaDbCapability } from './protocol/capabilities.js';
import { decodeInitialHandshake } from './protocol/initial-handshake.js';

export type Family = 'MariaDB' | 'MySQL';

export interface TargetGreeting {
  serverVersion: string;
  capabilities: number;
  mariadbCapabilities: number;
}

export interface ServerIdentity {
  /** null when the listener's targets are of both families (or none answered). */
  family: Family | null;
  serverVersion: string;
  /** MariaDB extended capabilities the gateway offers; 0 unless every target is MariaDB. */
  mariadbCapabilities: number;
}

export const NEUTRAL_VERSION = '8.0.0-recgate';
export const NEUTRAL: ServerIdentity = { family: null, serverVersion: NEUTRAL_VERSION, mariadbCapabilities: 0 };

/** MariaDB extended capabilities the relay and observer follow. */
export const GATEWAY_MARIADB_CAPABILITIES = MariaDbCapability.MARIADB_CLIENT_STMT_BULK_OPERATIONS | MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA;

export const PROBE_TIMEOUT_MS = 2000;
export const RETRY_MS = 30_000;

/** MariaDB says so in its version (`10.11.6-MariaDB`, `5.5.5-10.11.6-MariaDB-log`) and clears CLIENT_MYSQL. */
export function familyOf(g: TargetGreeting): Family {
  return /mariadb/i.test(g.serverVersion) || (g.capabilities & Capability.CLIENT_LONG_PASSWORD) === 0 ? 'MariaDB' : 'MySQL';
}

/** The version's numbers (MariaDB's replication prefix `5.5.5-` left out); null when it has none. */
export function versionNumbers(version: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version.replace(/^5\.5\.5-(?=\d)/, ''));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** A target's version string as the gateway repeats it: short, printable, with numbers. */
function usable(version: string): boolean {
  return version.length <= 64 && /^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(version) && versionNumbers(version) !== null;
}

/** The greeting's identity for a listener whose targets greeted as `greetings` (see the header). */
export function greetingIdentity(greetings: readonly TargetGreeting[]): ServerIdentity {
  if (greetings.length === 0 || greetings.some((g) => !usable(g.serverVersion))) return NEUTRAL;
  const family = familyOf(greetings[0]!);
  if (greetings.some((g) => familyOf(g) !== family)) return NEUTRAL;
  let lowest = greetings[0]!;
  for (const g of greetings) if (compare(versionNumbers(g.serverVersion)!, versionNumbers(lowest.serverVersion)!) < 0) lowest = g;
  let mariadbCapabilities = 0;
  if (family === 'MariaDB') {
    mariadbCapabilities = GATEWAY_MARIADB_CAPABILITIES;
    for (const g of greetings) mariadbCapabilities &= g.mariadbCapabilities;
  }
  return { family, serverVersion: lowest.serverVersion, mariadbCapabilities: mariadbCapabilities >>> 0 };
}

const packet = loginPacket('server', 1 << 16);

/** Reads a target's greeting and closes the connection. */
export async function probeGreeting(target: TargetConfig, timeoutMs = PROBE_TIMEOUT_MS): Promise<TargetGreeting> {
  const socket = await openTargetSocket(target, timeoutMs);
  const reader = new SocketReader(socket, `target ${target.name}`, timeoutMs);
  try {
    const hello = await reader.next(packet);
    const g = decodeInitialHandshake(hello.payload);
    return { serverVersion: g.serverVersion, capabilities: g.capabilities, mariadbCapabilities: g.mariadbCapabilities };
  } finally {
    reader.release();
    socket.destroy();
  }
}

/** The listener's knowledge of its targets' greetings (see the header). */
export class TargetIdentities {
  private readonly known = new Map<string, TargetGreeting>();
  private readonly failed = new Map<string, number>();
  private probing: Promise<void> | undefined;

  constructor(
    private readonly targets: () => readonly TargetConfig[],
    private readonly log: Logger,
    private readonly probe: (t: TargetConfig) => Promise<TargetGreeting> = probeGreeting,
  ) {}

  /**
   * What to greet with now. Targets never probed are probed first (bounded by the probe
   * timeout); a target that failed is retried in the background, the greeting not waiting.
   */
  async identity(): Promise<ServerIdentity> {
    const targets = this.mysqlTargets();
    const now = Date.now();
    const missing = targets.filter((t) => !this.known.has(t.name) && now - (this.failed.get(t.name) ?? -Infinity) >= RETRY_MS);
    if (missing.length > 0) {
      this.probing ??= Promise.all(missing.map((t) => this.probeOne(t))).then(() => {
        this.probing = undefined;
      });
      if (missing.some((t) => !this.failed.has(t.name))) await this.probing;
    }
    return greetingIdentity(targets.flatMap((t) => this.known.get(t.name) ?? []));
  }

  /** A login saw the target's greeting: it replaces what was known. */
  learn(target: string, greeting: TargetGreeting): void {
    this.known.set(target, { serverVersion: greeting.serverVersion, capabilities: greeting.capabilities, mariadbCapabilities: greeting.mariadbCapabilities });
    this.failed.delete(target);
  }

  private mysqlTargets(): readonly TargetConfig[] {
    return this.targets().filter((t) => t.protocol === 'mysql');
  }

  private async probeOne(t: TargetConfig): Promise<void> {
    try {
      this.learn(t.name, await this.probe(t));
      this.log.debug({ target: t.name, version: this.known.get(t.name)!.serverVersion }, 'target greeting probed');
    } catch (err) {
      this.failed.set(t.name, Date.now());
      this.log.info({ target: t.name, err: (err as Error).message }, 'target greeting not probed; greeting without it');
    }
  }
}
