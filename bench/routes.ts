/**
 * The routes a database benchmark measures, in the order of its tables:
 * directly, through the baseline proxy (PgBouncer, HAProxy), through the
 * bare Node.js relay (bench/node-relay.ts, with pipe() and with onread), and
 * through the gateway (bench/gateway-route.ts); each proxy stopped at the
 * benchmark's cleanup, and a route whose proxy cannot start keeps why.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/fixtures/gateway-env.js';
import { errorText, type Cleanup, type Proxy, type Route } from './common.js';
import { ALICE_PASSWORD, type ComparedBuild } from './gateway-route.js';

/**
 * Starts the proxy `route` goes through, points the route at it and has it
 * stopped at `cleanup`; when it is not installed (`missing` is the command
 * that installs it) or does not start, the route keeps why, to be reported
 * instead of measured.
 */
async function startRoute<P extends Proxy>(route: Route, cleanup: Cleanup, start: () => Promise<P>, missing?: string): Promise<P | undefined> {
  if (missing) {
    route.failure = `not installed (${missing})`;
    return undefined;
  }
  try {
    const proxy = await start();
    cleanup.add(() => proxy.stop());
    route.port = proxy.port;
    route.proxyPid = proxy.pid;
    return proxy;
  } catch (err) {
    route.failure = errorText(err);
    return undefined;
  }
}

/** bench/node-relay.ts in its own process, in front of the server. */
async function startNodeRelay(serverPort: number, onread = false): Promise<Proxy> {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('./node-relay.js', import.meta.url)), String(port), String(serverPort), ...(onread ? ['--onread'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`node relay exited ${code}`)));
  });
  return {
    port,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}

export interface RoutesOptions<B extends Proxy> {
  /** The server, on 127.0.0.1, and the login the client uses on every route but the gateway's. */
  server: { port: number; user: string; password: string };
  /** The proxy that records nothing: its route's name, how to start it, and the command that installs it when it is not. */
  baseline: { name: string; start: () => Promise<B>; missing: string | undefined };
  /**
   * The gateway in front of the server, with the target `target`, and what the notes call it;
   * `start` runs this checkout's build, or the CLI given with more node options.
   */
  gateway: { target: string; start: (cli?: string, nodeOptions?: string[], storeSync?: string) => Promise<Proxy>; short: string };
  /** Which routes to set up and measure, by the start of their names (direct, pgbouncer/haproxy, node, recgate); all when absent. */
  only?: string[];
  /** Another checkout's build (compareBuild): its gateway is measured too, as a route of its own. */
  compare?: ComparedBuild | undefined;
}

/**
 * The routes every benchmark measures, in the order of its tables:
 * directly, through the baseline proxy, through the bare Node.js relay (as
 * most Node.js proxies are, and reading into reused buffers), and through
 * the gateway (as alice). What they go through is stopped at
 * `cleanup`; a route whose proxy cannot start says why instead.
 */
export async function startRoutes<B extends Proxy>(options: RoutesOptions<B>, cleanup: Cleanup): Promise<{ routes: Route[]; direct: Route; baseline: B | undefined }> {
  const { server } = options;
  const viaServerLogin = (name: string): Route => ({ name, port: 0, user: server.user, password: server.password });
  const direct: Route = { ...viaServerLogin('direct'), port: server.port };
  const pooled = viaServerLogin(options.baseline.name);
  const relay = viaServerLogin('node relay (no recording)');
  const reusing = viaServerLogin('node relay, onread (no recording)');
  const viaGateway = (name: string): Route => ({ name, short: options.gateway.short, port: 0, user: `alice+${options.gateway.target}`, password: ALICE_PASSWORD });
  const recgate = viaGateway('recgate (recording)');
  const other = options.compare;
  const compared = other && viaGateway(other.name);
  const wanted = (route: Route): boolean => !options.only || options.only.some((name) => route.name.startsWith(name));
  const baseline = wanted(pooled) ? await startRoute(pooled, cleanup, options.baseline.start, options.baseline.missing) : undefined;
  if (wanted(relay)) await startRoute(relay, cleanup, () => startNodeRelay(server.port));
  if (wanted(reusing)) await startRoute(reusing, cleanup, () => startNodeRelay(server.port, true));
  if (wanted(recgate)) await startRoute(recgate, cleanup, () => options.gateway.start());
  if (other && compared && wanted(compared)) await startRoute(compared, cleanup, () => options.gateway.start(other.cli, other.nodeOptions, other.storeSync));
  return { routes: [direct, pooled, relay, reusing, recgate, ...(compared ? [compared] : [])].filter(wanted), direct, baseline };
}
