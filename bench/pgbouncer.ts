/**
 * PgBouncer in front of a PostgreSQL server, the connection-pooler baseline
 * for the PostgreSQL benchmark: its own ini and auth file in a temporary
 * folder, on an ephemeral loopback port, one database entry for the server.
 * PgBouncer refuses to run as root, so as root it runs as the `postgres` account.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/fixtures/gateway-env.js';
import { giveToServer, serverAccount } from '../test/fixtures/postgres.js';

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

export interface PgBouncer {
  port: number;
  dir: string;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

/** Whether PgBouncer is installed, and if not, the command that installs it. */
export function pgbouncerMissing(): string | undefined {
  return existsSync(PGBOUNCER) ? undefined : 'sudo apt-get install -y pgbouncer';
}

const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-pgbouncer-'));
  try {
    const port = await freePort();
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
    const owner = serverAccount();
    const child = spawn(PGBOUNCER, [ini], { cwd: dir, ...(owner ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const onLog = (d: Buffer): void => {
      log += d.toString('utf8');
    };
    child.stdout!.on('data', onLog);
    child.stderr!.on('data', onLog);
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`pgbouncer did not start within 10 s: ${log}`)), 10_000);
        const check = (): void => {
          if (log.includes('process up')) finish();
        };
        const onExit = (code: number | null): void => finish(new Error(`pgbouncer exited ${code}: ${log}`));
        const onError = (err: Error): void => finish(new Error(`pgbouncer did not start: ${err.message}`));
        function finish(err?: Error): void {
          clearTimeout(timer);
          child.stderr!.off('data', check);
          child.off('exit', onExit);
          child.off('error', onError);
          if (err) reject(err);
          else resolve();
        }
        child.stderr!.on('data', check);
        child.once('exit', onExit);
        child.once('error', onError);
      });
    } catch (err) {
      child.kill('SIGKILL');
      await exited;
      throw err;
    }
    return {
      port,
      dir,
      pid: child.pid!,
      log: () => log,
      async stop() {
        // SIGTERM: PgBouncer's immediate shutdown.
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(killer);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
