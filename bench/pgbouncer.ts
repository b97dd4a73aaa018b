/**
 * PgBouncer in front of a PostgreSQL server, the connection-pooler baseline
 * for the PostgreSQL benchmark: its own ini and auth file in a temporary
 * folder, on an ephemeral loopback port, one database entry for the server.
 * PgBouncer refuses to run as root, so as root it runs as the `postgres` account.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { giveToServer, serverAccount } from '../test/fixtures/postgres.js';
import { startDaemon, type Daemon } from './common.js';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** The PostgreSQL server behind it, on 127.0.0.1. */
  serverPort: number;
  database: string;
  user: string;
  /** The user's password: PgBouncer checks clients against it and logs in to the server with it. */
  password: string;
  authType?: 'scram-sha-256' | 'md5';
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Server connections per database and user; 20 unless told. */
  poolSize?: number;
}

/** Its port, its temporary folder (ini and auth file), its pid and log; `stop()` ends it and removes the folder. */
export type PgBouncer = Daemon;

/** Whether PgBouncer is installed, and if not, the command that installs it. */
export function pgbouncerMissing(): string | undefined {
  return existsSync(PGBOUNCER) ? undefined : 'sudo apt-get install -y pgbouncer';
}

const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  return startDaemon('pgbouncer', async (dir, port) => {
    const ini = join(dir, 'pgbouncer.ini');
    const users = join(dir, 'userlist.txt');
    await writeFile(users, `${quote(options.user)} ${quote(options.password)}\n`, { mode: 0o600 });
    await writeFile(
      ini,
      [
        '[databases]',
        `${options.database} = host=127.0.0.1 port=${options.serverPort} dbname=${options.database}`,
        '',
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        `auth_type = ${options.authType ?? 'scram-sha-256'}`,
        `auth_file = ${users}`,
        `pool_mode = ${options.poolMode ?? 'session'}`,
        `default_pool_size = ${options.poolSize ?? 20}`,
        'max_client_conn = 100',
        'server_tls_sslmode = disable',
        'client_tls_sslmode = disable',
        'ignore_startup_parameters = extra_float_digits',
        'log_connections = 0',
        'log_disconnections = 0',
        '',
      ].join('\n'),
    );
    for (const path of [dir, ini, users]) await giveToServer(path);
    return {
      command: PGBOUNCER,
      args: [ini],
      account: serverAccount(),
      ready: 'process up',
      readyWithinMs: 10_000,
      // SIGTERM: PgBouncer's immediate shutdown.
      stopSignal: 'SIGTERM',
      killAfterMs: 5_000,
    };
  });
}
