/**
 * `recgate start`: loads the config, prepares keys and the store, starts the
 * configured proxies, the control socket, the console and the metrics
 * listener, reloads recipients, users and targets on SIGHUP. On SIGTERM it
 * drains (src/daemon/drain.ts: no new connections, running sessions go on
 * until gateway.drainTimeout); on SIGINT it ends the sessions at once; either
 * way each person is told why and every recording is flushed before it exits.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isInsideDir, loadConfig, METRICS_LISTENER, resolveConfigPath, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { startOpsListener } from '../metrics/server.js';
import { formatSignerPublicLine } from '../seal/signing.js';
import { defaultSodium } from '../seal/sodium.js';
import { aeadBackend } from '../seal/sodium-native.js';
import { openStore } from '../store/index.js';
import type { RecordingStore } from '../store/types.js';
import { withSpool } from '../store/spool/index.js';
import { startCluster, type ClusterNode } from '../cluster/index.js';
import { loadProxy, protocols } from '../../proxies/index.js';
import { startConsole } from './console.js';
import { startControl } from './control.js';
import { stopGateway, type Closable } from './drain.js';
import { Gateway } from './gateway.js';
import { missingNodeFlags } from './node-flags.js';
import { ensureHostKey, ensureSigningKey, ensureTlsCertificate, SIGNER_COMMENT } from './gateway-keys.js';
import { startRetention, type Retention } from './retention.js';

/** sysexits.h EX_SOFTWARE: an internal software error. */
const EXIT_BUG = 70;

export async function startDaemon(options: { config?: string }): Promise<void> {
  const configPath = resolveConfigPath(options.config);
  const config = loadConfig(configPath);
  const log = createLogger(config.log);
  // An error that escapes every handler means a bug: the gateway's state is no longer to be
  // trusted (a session could go on unrecorded), so it stops, but says why in its own log first.
  process.on('uncaughtException', (err, origin) => {
    log.fatal({ err, origin }, 'an unexpected error stopped the gateway; open recordings will be marked interrupted on the next start');
    process.exit(EXIT_BUG);
  });
  // From here SIGHUP never stops the gateway: before it is up it is ignored, afterwards it reloads.
  let gatewayUp: Gateway | undefined;
  const onHangup = (): void => {
    if (!gatewayUp) return void log.warn('SIGHUP before the gateway is up: ignored; send it again once "recgate started" is logged');
    log.info({ config: configPath }, 'SIGHUP: reloading the config');
    gatewayUp.reload(configPath).catch(() => undefined);
  };
  process.on('SIGHUP', onHangup);
  const sodium = defaultSodium();
  await mkdir(config.gateway.dataDir, { recursive: true, mode: 0o700 });
  const signer = await ensureSigningKey(sodium, config.gateway.signingKey, log);
  checkSigner(config, log, signer.publicKey, formatSignerPublicLine(sodium, signer.publicKey, SIGNER_COMMENT));
  await ensureHostKey(config.gateway.hostKey, log);
  if (protocols.some((p) => p.gatewayCertificate && config.listen[p.name]) || (config.console.tls && config.listen.console)) {
    await ensureTlsCertificate(config.gateway.tlsCert, config.gateway.tlsKey, log);
  }
  const store = await withSpool(openStore(config, log), config, log);
  const served = protocols.filter((p) => config.listen[p.name]).map((p) => p.name);
  const gateway = new Gateway(config, log, sodium, store, signer, { metricsFor: served });
  const recovered = await store.recoverInterrupted(async (found) => {
    try {
      await gateway.journal.recovered(found);
    } catch (err) {
      log.error({ err, recording: found.id }, 'cannot log the recovery of a recording; it is left for the next start');
      throw err;
    }
  });
  if (recovered.length > 0) {
    log.warn({ recordings: recovered }, 'recordings left open by a stopped gateway marked interrupted (complete when their final checkpoint was written)');
  }
  if (config.recipients.length === 0) {
    log.warn('no recipients configured: recordings cannot be sealed, so every session will be refused (see recgate keys generate)');
  }

  let retention: Retention = { readStore: store, stop: async () => undefined };
  let listeners: Listeners;
  let cluster: ClusterNode | undefined;
  try {
    retention = startRetention(config, store, gateway.journal, log);
    cluster = await startCluster(gateway, config, log);
    listeners = await startListeners(gateway, config, retention.readStore);
  } catch (err) {
    log.error({ err }, 'cannot start');
    await cluster?.stop();
    await retention.stop();
    gateway.metrics?.close();
    await store.close();
    throw err;
  }

  // The handlers are in place before "started" is announced: a signal sent on that line must not kill the process.
  // They stay in place: a second signal during shutdown exits at once instead of waiting.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++received === 1) resolve(signal);
      else forceExit(log, signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  // SIGHUP reloads recipients, users and targets (as `recgate reload` does); a bad file is logged and changes nothing.
  gatewayUp = gateway;
  gateway.phase = 'serving';
  log.info({ config: configPath, dataDir: config.gateway.dataDir, store: store.kind, sealing: aeadBackend() }, 'recgate started');
  const missing = missingNodeFlags();
  if (missing.length > 0) log.warn({ missing }, 'node was started without the gateway\'s V8 flags: bulk relaying may cost up to twice the CPU (bin/recgate.js passes them; see src/daemon/node-flags.ts)');
  const signal = await stopSignal;
  // SIGTERM is how orchestrators stop a node: drain. Ctrl-C is a person at a terminal: end the sessions now.
  const drainMs = signal === 'SIGTERM' ? config.gateway.drainTimeout : null;
  log.info({ signal, drainTimeout: drainMs }, 'stopping (a second Ctrl-C or SIGTERM exits at once)');
  process.off('SIGHUP', onHangup);
  // A sweep under way finishes the recording it is on (a move is never left half done by choice).
  const retentionStopped = retention.stop();
  await stopGateway(gateway, { ...listeners, drainMs }, log);
  await retentionStopped;
  // The node stays registered (and its sessions listed) until every session has ended.
  await cluster?.stop();
  gateway.metrics?.close();
  await store.close();
  signer.secretKey.fill(0);
  log.info('stopped');
  await new Promise<void>((resolve) => log.flush(() => resolve()));
}

/**
 * A second stop signal during shutdown exits at once, as a person pressing
 * Ctrl-C again expects. Recordings still open are marked interrupted (and
 * verify up to their last checkpoint) on the next start.
 */
function forceExit(log: Logger, signal: NodeJS.Signals): void {
  log.warn({ signal }, 'second stop signal: exiting without waiting; open recordings will be marked interrupted on the next start');
  log.flush(() => process.exit(130));
  setTimeout(() => process.exit(130), 500).unref();
}

/** Says which key signs, and warns where verification would not believe it or the store could use it. */
function checkSigner(config: Config, log: Logger, publicKey: Uint8Array, line: string): void {
  const { signingKey, dataDir } = config.gateway;
  log.info({ signingKey, signer: line }, 'signing recordings and the log with this key; auditors pin this line under signers:');
  const legacy = join(dataDir, 'signing.key');
  if (isInsideDir(dataDir, signingKey)) {
    log.warn({ signingKey, dataDir }, 'the signing key lies inside the data directory: whoever can write the store can sign in the gateway\'s name; move it elsewhere (gateway.signingKey)');
  } else if (existsSync(legacy)) {
    log.warn({ legacy, signingKey }, 'an older signing key remains in the data directory: move it out, and pin its .pub under signers: so the recordings it signed still verify');
  }
  if (config.signers.length > 0 && !config.signers.some((s) => Buffer.compare(s.publicKey, publicKey) === 0)) {
    log.warn({ signer: line, signers: config.signers.map((s) => s.name) }, "signers does not include this gateway's own key: verification with this config will reject what it records");
  }
}

interface Listeners {
  /** Those that admit sessions: closed first when stopping. */
  proxies: Closable[];
  /** Metrics, control socket and console: up until every session has ended. */
  services: Closable[];
}

/**
 * Starts the metrics listener first (so probes get an answer, 503 until the
 * rest is up), then the configured proxies, the control socket and the
 * console; on failure closes what it started.
 */
async function startListeners(gateway: Gateway, config: Config, readStore: RecordingStore): Promise<Listeners> {
  const started: Listeners = { proxies: [], services: [] };
  try {
    const ops = config.listen[METRICS_LISTENER];
    if (ops && gateway.metrics) {
      const metrics = gateway.metrics;
      const sources = { metrics: () => metrics.render(), health: () => ({ recording: gateway.activeRecordings }), readiness: () => gateway.readiness() };
      started.services.push(await startOpsListener(ops, sources, gateway.log.child({ component: 'metrics' })));
    }
    for (const spec of protocols) {
      const at = config.listen[spec.name];
      if (!at) continue;
      const running = await (await loadProxy(spec)).listen(gateway, at);
      started.proxies.push(running);
      gateway.log.info({ proxy: spec.name, address: running.address }, 'listening');
    }
    started.services.push(await startControl(gateway, config));
    if (config.listen.console) started.services.push(await startConsole(gateway, config.listen.console, readStore));
    return started;
  } catch (err) {
    await Promise.allSettled([...started.proxies, ...started.services].map((l) => l.close()));
    throw err;
  }
}
