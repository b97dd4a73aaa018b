/**
 * HAProxy in TCP mode in front of a server, the plain-proxy baseline for the
 * MySQL benchmark: a temporary config with one frontend and one backend, no
 * health checks (so the server sees only the benchmark's connections), on an
 * ephemeral loopback port, in the foreground (-db). As root it drops to the
 * nobody account once its port is bound.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../test/fixtures/gateway-env.js';
import { startDaemon, type Daemon } from './common.js';

export const HAPROXY = '/usr/sbin/haproxy';

export interface HaproxyOptions {
  /** The server behind it, on 127.0.0.1. */
  serverPort: number;
  /** Connections the frontend (and the process) accept at once; 200 unless told, never under 100. */
  maxconn?: number;
}

/** Its port, its temporary folder (config), its pid and log; `stop()` ends it and removes the folder. */
export type Haproxy = Daemon;

/** Whether HAProxy is installed, and if not, the command that installs it. */
export function haproxyMissing(): string | undefined {
  return existsSync(HAPROXY) ? undefined : 'sudo apt-get install -y haproxy';
}

/**
 * Whether something listens on 127.0.0.1:`port` (or any IPv4 address), from
 * /proc/net/tcp: unlike a test connection, it costs whatever is behind the
 * port nothing.
 */
export function isListening(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const addresses = new Set([`0100007F:${hexPort}`, `00000000:${hexPort}`]);
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return false;
  }
  // Fields: sl local_address rem_address st ...; st 0A is LISTEN.
  return table.split('\n').some((line) => {
    const f = line.trim().split(/\s+/);
    return f[3] === '0A' && addresses.has(f[1] ?? '');
  });
}

export function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  return startDaemon('haproxy', async (dir, port) => {
    const maxconn = Math.max(100, options.maxconn ?? 200);
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const cfg = join(dir, 'haproxy.cfg');
    await writeFile(
      cfg,
      [
        'global',
        `  maxconn ${maxconn + 20}`,
        ...(isRoot ? ['  uid 65534', '  gid 65534'] : []),
        '',
        'defaults',
        '  mode tcp',
        '  timeout connect 5s',
        '  timeout client 1h',
        '  timeout server 1h',
        '',
        'frontend mysql',
        `  bind 127.0.0.1:${port}`,
        `  maxconn ${maxconn}`,
        '  default_backend server',
        '',
        'backend server',
        // No `check`: no health-check connections to the server.
        `  server s1 127.0.0.1:${options.serverPort}`,
        '',
      ].join('\n'),
    );
    const checked = await run(HAPROXY, ['-c', '-q', '-f', cfg]);
    if (checked.code !== 0) throw new Error(`haproxy rejected its config: ${checked.stderr || checked.stdout}`);
    return {
      command: HAPROXY,
      args: ['-db', '-f', cfg],
      // HAProxy says nothing when it is up; its port being bound is the sign.
      ready: () => isListening(port),
      readyWithinMs: 10_000,
      // SIGTERM: HAProxy's hard stop, closing every connection.
      stopSignal: 'SIGTERM',
      killAfterMs: 5_000,
    };
  });
}
