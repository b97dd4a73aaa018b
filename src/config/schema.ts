/**
 * The one schema of the config file. It checks shape, types and value forms, applies
 * defaults, and rejects unknown keys. Paths, secrets and key files are resolved after it
 * (resolve.ts), cross references are checked by checks.ts. Listeners and targets depend
 * on the protocols the gateway serves (target-schema.ts), so the schema is built for a
 * list of protocol descriptions.
 */
import * as z from 'zod';
import {
  bool,
  field,
  Invalid,
  loginName,
  oneOf,
  optional,
  orNone,
  passwordHash,
  positiveInteger,
  recipientKey,
  signerKey,
  secretRef,
  size,
  scramVerifier,
  mysqlNativeVerifier,
  ntHashHex,
  sshKey,
  text,
  withDefault,
  duration,
} from './fields.js';
import type { ProtocolSpec } from './protocols.js';
import { list, section, strict } from './mappings.js';
import { listenSection, targetSchema } from './target-schema.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** How a local store's checkpoints sync their files (store/sync-group.ts). */
export const SYNC_MODES = ['auto', 'file', 'filesystem'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The listener that is not a protocol's: the web console and HTTP API. */
export const CONSOLE_LISTENER = 'console';
const CONSOLE_DEFAULT = '127.0.0.1:8080';
/**
 * The listener for machines: Prometheus' `/metrics`, `/healthz` and `/readyz`
 * for load balancers and orchestrators. Opened only when configured.
 */
export const METRICS_LISTENER = 'metrics';

const MIN_CHUNK = 1024;
const MAX_CHUNK = 16 * 1024 * 1024;

const gateway = section({
  dataDir: field(withDefault('./data', text)),
  hostKey: field(optional(text)),
  signingKey: field(optional(text)),
  tlsCert: field(optional(text)),
  tlsKey: field(optional(text)),
  /** This node's name among gateways sharing a PostgreSQL store (default: host name and a digest of the data directory). */
  nodeId: field(optional(loginName)),
  /** On SIGTERM, how long running sessions may go on before they are ended with a message; none: at once. */
  drainTimeout: field(withDefault(30_000, orNone(duration))),
}).superRefine((value, ctx) => {
  if ((value.tlsCert === undefined) !== (value.tlsKey === undefined)) {
    const missing = value.tlsCert === undefined ? 'tlsCert' : 'tlsKey';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'missing required key (give tlsCert and tlsKey together)' });
  }
});

/** Where recordings are kept: the data directory (`local`) or a PostgreSQL database shared by several nodes. */
function storeLocation(at: string) {
  return {
    kind: field(withDefault('local', oneOf(['local', 'postgres'] as const, 'store kind'))),
    url: field(optional(secretRef(true))),
    check(value: { kind: string; url?: unknown }, ctx: z.RefinementCtx): void {
      if (value.kind === 'postgres' && value.url === undefined) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: `missing required key (${at} kind postgres needs a url)` });
      }
      if (value.kind === 'local' && value.url !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'url applies to store kind postgres only', params: { atKey: true } });
      }
    },
  };
}

const mainStore = storeLocation('store');
const store = section({
  kind: mainStore.kind,
  url: mainStore.url,
  /** Sealed chunks wait here while the PostgreSQL store is unreachable (default `<dataDir>/spool`). */
  spool: section({
    dir: field(optional(text)),
    maxBytes: field(withDefault(1024 ** 3, size)),
  }),
  /**
   * How a local store's checkpoints make files durable: `file` (fdatasync each), `filesystem`
   * (one syncfs for the checkpoints due together; it writes back the whole filesystem), or
   * `auto`: `filesystem` where a whole filesystem is mounted at the data directory.
   */
  sync: field(withDefault('auto', oneOf(SYNC_MODES, 'sync mode'))),
  /** Nodes sharing a PostgreSQL store say they are alive this often... */
  heartbeatInterval: field(withDefault(2_000, duration)),
  /** ...and a node silent this long is taken for dead: its live sessions are marked interrupted. */
  heartbeatTimeout: field(withDefault(15_000, duration)),
}).superRefine((value, ctx) => mainStore.check(value, ctx));

/** The archive tier: a second store older recordings move to (`retention.archiveAfterDays`). */
const archiveStore = storeLocation('retention.archive');
const archive = strict({
  kind: field(oneOf(['local', 'postgres'] as const, 'store kind')),
  url: archiveStore.url,
  /** For kind local: the archive's own directory. */
  dir: field(optional(text)),
}).superRefine((value, ctx) => {
  archiveStore.check(value, ctx);
  if (value.kind === 'local' && value.dir === undefined) {
    ctx.addIssue({ code: 'custom', path: ['dir'], message: 'missing required key (an archive of kind local needs a dir)' });
  }
  if (value.kind === 'postgres' && value.dir !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['dir'], message: 'dir applies to archive kind local only', params: { atKey: true } });
  }
});

/** A named public key, given inline or in a file (recipients, signers). */
function namedKey(key: typeof recipientKey) {
  return strict({
    name: field(text),
    publicKey: field(optional(key)),
    publicKeyFile: field(optional(text)),
  }).superRefine((value, ctx) => {
    if (value.publicKey !== undefined && value.publicKeyFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['publicKeyFile'], message: 'give either publicKey or publicKeyFile, not both', params: { atKey: true } });
    } else if (value.publicKey === undefined && value.publicKeyFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['publicKey'], message: 'missing required key (or give publicKeyFile)' });
    }
  });
}

const recipient = namedKey(recipientKey);
/** A gateway whose signatures verification believes. */
const signer = namedKey(signerKey);

const user = strict({
  name: field(loginName),
  password: field(optional(passwordHash)),
  scram: field(optional(scramVerifier)),
  mysqlNative: field(optional(mysqlNativeVerifier)),
  rdpNtHash: field(optional(ntHashHex)),
  sshKeys: list(field(sshKey)),
  targets: z.array(field(text)),
}).superRefine((value, ctx) => {
  if (value.password === undefined && value.scram === undefined && value.mysqlNative === undefined && value.rdpNtHash === undefined && value.sshKeys.length === 0) {
    ctx.addIssue({ code: 'custom', path: [], message: 'has neither password, scram, mysqlNative, rdpNtHash nor sshKeys, so it cannot log in' });
  }
});

const limitsShape = {
  idleTimeout: field(orNone(duration)),
  maxDuration: field(orNone(duration)),
};

const recording = section({
  flushInterval: field(withDefault(1000, duration)),
  chunkSize: field(
    withDefault(65536, (value) => {
      const bytes = size(value);
      if (bytes < MIN_CHUNK || bytes > MAX_CHUNK) throw new Invalid('must be between 1KiB and 16MiB');
      return bytes;
    }),
  ),
  checkpointInterval: field(withDefault(10_000, duration)),
  keystrokes: field(withDefault(true, bool)),
  required: field(withDefault(false, bool)),
  maxRows: field(withDefault(100, positiveInteger)),
});

/** How logins are admitted: deadlines and caps before login, and failed-login limits. */
const admission = section({
  loginGraceTime: field(withDefault(30_000, duration)),
  tlsHandshakeTimeout: field(withDefault(10_000, duration)),
  maxPreLogin: field(withDefault(256, positiveInteger)),
  maxPreLoginPerAddress: field(withDefault(16, positiveInteger)),
  maxFailures: field(withDefault(10, positiveInteger)),
  failureWindow: field(withDefault(300_000, duration)),
});

/** Console roles: auditors see the recordings their targets/users allow; officers and admins see all; admins read the console's audit log. */
export const CONSOLE_ROLES = ['auditor', 'officer', 'admin'] as const;

/** A console sign-in: Argon2id hash, role, the recipient whose key the person holds, and for auditors what they may see. */
const consoleAccount = strict({
  name: field(loginName),
  password: field(passwordHash),
  role: field(oneOf(CONSOLE_ROLES, 'role')),
  recipient: field(text),
  targets: list(field(text)),
  users: list(field(text)),
});

const consoleSection = section({
  accounts: list(consoleAccount),
  /** Session lifetime without activity before it signs out. */
  sessionIdle: field(withDefault(30 * 60_000, duration)),
  /** Serve the console over HTTPS with the gateway's certificate (gateway.tlsCert / tlsKey); the session cookie is then Secure. */
  tls: field(withDefault(false, bool)),
});

export function configSchema(protocols: readonly ProtocolSpec[]) {
  return strict({
  gateway,
  listen: listenSection(protocols, { [CONSOLE_LISTENER]: CONSOLE_DEFAULT, [METRICS_LISTENER]: null }),
  store,
  recipients: list(recipient),
  signers: list(signer),
  users: list(user),
  targets: list(targetSchema(protocols)),
  admission,
  log: section({
    level: field(withDefault('info', oneOf(LOG_LEVELS, 'log level'))),
    file: field(optional(text)),
  }),
  recording,
  limits: section(limitsShape),
  control: section({ socket: field(optional(text)) }),
  retention: section({
    days: field(orNone(positiveInteger)),
    archiveAfterDays: field(orNone(positiveInteger)),
    archive: z.preprocess((value) => value ?? undefined, archive.optional()),
  }).superRefine((value, ctx) => {
    if ((value.archiveAfterDays ?? null) !== null && value.archive === undefined) {
      ctx.addIssue({ code: 'custom', path: ['archive'], message: 'missing required key (archiveAfterDays needs an archive store)' });
    }
    if (value.days !== null && value.days !== undefined && value.archiveAfterDays !== null && value.archiveAfterDays !== undefined && value.archiveAfterDays >= value.days) {
      ctx.addIssue({ code: 'custom', path: ['archiveAfterDays'], message: `must be less than days (${value.days}): recordings are deleted before they would move` });
    }
  }),
  console: consoleSection,
  });
}

export type RawConfig = z.output<ReturnType<typeof configSchema>>;
export type RawTarget = RawConfig['targets'][number];
export type RawUser = RawConfig['users'][number];
export type RawRecipient = RawConfig['recipients'][number];
export type RawSigner = RawConfig['signers'][number];
