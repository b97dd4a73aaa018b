/**
 * The one schema of the config file. It checks shape, types and value forms, applies
 * defaults, and rejects unknown keys. Paths, secrets and key files are resolved after it
 * (resolve.ts), cross references are checked by checks.ts.
 */
import * as z from 'zod';
import {
  bool,
  field,
  host,
  Invalid,
  hostKey,
  listen,
  loginName,
  oneOf,
  optional,
  orNone,
  passwordHash,
  port,
  positiveInteger,
  recipientKey,
  signerKey,
  secretRef,
  size,
  scramVerifier,
  mysqlNativeVerifier,
  sshKey,
  text,
  withDefault,
  duration,
} from './fields.js';
import { closest } from './suggest.js';

export const PROTOCOLS = ['ssh', 'telnet', 'postgres', 'mysql', 'mssql', 'rdp', 'vnc'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const DEFAULT_PORTS: Readonly<Record<Protocol, number>> = {
  ssh: 22,
  telnet: 23,
  postgres: 5432,
  mysql: 3306,
  mssql: 1433,
  rdp: 3389,
  vnc: 5900,
};

/** Protocols whose targets speak TLS inside the protocol (a `tls` mode applies). */
export const DATABASE_PROTOCOLS: readonly Protocol[] = ['postgres', 'mysql', 'mssql'];

/** How the gateway talks TLS to a database target, after libpq's sslmode. */
export const TARGET_TLS_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const;
export type TargetTlsMode = (typeof TARGET_TLS_MODES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Listeners a gateway can open: one per client protocol, plus the web console. */
export const LISTENERS = ['ssh', 'telnet', 'postgres', 'mysql', 'mssql', 'rdp', 'vnc', 'console'] as const;
export type ListenerName = (typeof LISTENERS)[number];

/** Used when the config has no `listen` section at all. */
export const DEFAULT_LISTEN: Readonly<Partial<Record<ListenerName, string>>> = {
  ssh: '127.0.0.1:2222',
  postgres: '127.0.0.1:6432',
  mysql: '127.0.0.1:3307',
  console: '127.0.0.1:8080',
};

const MIN_CHUNK = 1024;
const MAX_CHUNK = 16 * 1024 * 1024;

/**
 * Unknown keys are reported as `unrecognized_keys` issues, which (unlike others) let
 * zod go on checking the mapping, so every problem in it is found in one pass.
 * `params.suggestion` names the known key a typo most likely meant.
 */
function reportUnknownKeys(value: unknown, known: readonly string[], ctx: z.RefinementCtx): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    const message = suggestion === undefined ? 'unknown key' : `unknown key (did you mean "${suggestion}"?)`;
    ctx.addIssue({ code: 'unrecognized_keys', keys: [key], path: [key], message, params: { suggestion }, input: value as Record<string, unknown> });
  }
}

/** A mapping with exactly these keys (unknown keys are errors). */
function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.preprocess((value, ctx) => {
    reportUnknownKeys(value, known, ctx);
    return value;
  }, z.object(shape));
}

/** An optional mapping: absent or empty (null) means all defaults. */
function section<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.preprocess((value, ctx) => {
    const mapping = value ?? {};
    reportUnknownKeys(mapping, known, ctx);
    return mapping;
  }, z.object(shape));
}

/** An optional list: absent or empty (null) means no entries. */
function list<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => value ?? [], z.array(item));
}

const gateway = section({
  dataDir: field(withDefault('./data', text)),
  hostKey: field(optional(text)),
  signingKey: field(optional(text)),
  tlsCert: field(optional(text)),
  tlsKey: field(optional(text)),
}).superRefine((value, ctx) => {
  if ((value.tlsCert === undefined) !== (value.tlsKey === undefined)) {
    const missing = value.tlsCert === undefined ? 'tlsCert' : 'tlsKey';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'missing required key (give tlsCert and tlsKey together)' });
  }
});

const listenShape = Object.fromEntries(LISTENERS.map((name) => [name, field(listen)])) as Record<
  ListenerName,
  ReturnType<typeof field<ReturnType<typeof listen>>>
>;
const listenSection = z.preprocess((value) => value ?? DEFAULT_LISTEN, strict(listenShape));

const store = section({
  kind: field(withDefault('local', oneOf(['local', 'postgres'] as const, 'store kind'))),
  url: field(optional(secretRef(true))),
}).superRefine((value, ctx) => {
  if (value.kind === 'postgres' && value.url === undefined) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'missing required key (store kind postgres needs a url)' });
  }
  if (value.kind === 'local' && value.url !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'url applies to store kind postgres only', params: { atKey: true } });
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
  sshKeys: list(field(sshKey)),
  targets: z.array(field(text)),
}).superRefine((value, ctx) => {
  if (value.password === undefined && value.scram === undefined && value.mysqlNative === undefined && value.sshKeys.length === 0) {
    ctx.addIssue({ code: 'custom', path: [], message: 'has neither password, scram, mysqlNative nor sshKeys, so it cannot log in' });
  }
});

const login = strict({
  user: field(optional(text)),
  password: field(optional(secretRef(true))),
  privateKey: field(optional(secretRef(false))),
  passphrase: field(optional(secretRef(false))),
});

const limitsShape = {
  idleTimeout: field(orNone(duration)),
  maxDuration: field(orNone(duration)),
};

/** In a target, an absent limit inherits the top-level one and null means "none". */
const targetLimit = field((value) => (value === undefined ? undefined : orNone(duration)(value)));

const target = strict({
  name: field(loginName),
  protocol: field(oneOf(PROTOCOLS, 'protocol')),
  host: field(host),
  port: field(optional(port)),
  hostKey: field(optional(hostKey)),
  login,
  recording: section({ keystrokes: field(optional(bool)), required: field(optional(bool)) }),
  limits: section({ idleTimeout: targetLimit, maxDuration: targetLimit }),
  recipients: z.array(field(text)).min(1).optional(),
  portForwarding: field(optional(bool)),
  localInfile: field(optional(bool)),
  tls: field(optional(oneOf(TARGET_TLS_MODES, 'tls mode'))),
  tlsCa: field(optional(text)),
})
  .superRefine((value, ctx) => {
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message, params: { atKey: true } });
    if (value.protocol !== 'ssh' && value.hostKey !== undefined) problem(['hostKey'], 'hostKey applies to ssh targets only');
    if (value.protocol !== 'ssh' && value.portForwarding !== undefined) problem(['portForwarding'], 'portForwarding applies to ssh targets only');
    if (value.protocol !== 'mysql' && value.localInfile !== undefined) problem(['localInfile'], 'localInfile applies to mysql targets only');
    if (value.protocol !== 'ssh' && value.login.privateKey !== undefined) {
      problem(['login', 'privateKey'], 'privateKey applies to ssh targets only');
    }
    if (!DATABASE_PROTOCOLS.includes(value.protocol) && value.tls !== undefined) problem(['tls'], 'tls applies to database targets only');
    if (value.tlsCa !== undefined && value.tls !== 'verify-full') problem(['tlsCa'], 'tlsCa applies with tls: verify-full only');
    if (value.login.passphrase !== undefined && value.login.privateKey === undefined) {
      problem(['login', 'passphrase'], 'passphrase is only used with privateKey');
    }
    if (value.protocol !== 'vnc' && value.login.user === undefined) {
      ctx.addIssue({ code: 'custom', path: ['login', 'user'], message: 'missing required key' });
    }
  })
  .transform((value) => ({
    ...value,
    port: value.port ?? DEFAULT_PORTS[value.protocol],
    hostKey: value.protocol === 'ssh' ? (value.hostKey ?? null) : null,
    tls: value.tls ?? (DATABASE_PROTOCOLS.includes(value.protocol) ? 'prefer' : 'disable'),
  }));

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

export const configSchema = strict({
  gateway,
  listen: listenSection,
  store,
  recipients: list(recipient),
  signers: list(signer),
  users: list(user),
  targets: list(target),
  log: section({
    level: field(withDefault('info', oneOf(LOG_LEVELS, 'log level'))),
    file: field(optional(text)),
  }),
  recording,
  limits: section(limitsShape),
  control: section({ socket: field(optional(text)) }),
  retention: section({ days: field(orNone(positiveInteger)) }),
});

export type RawConfig = z.output<typeof configSchema>;
export type RawTarget = RawConfig['targets'][number];
export type RawUser = RawConfig['users'][number];
export type RawRecipient = RawConfig['recipients'][number];
export type RawSigner = RawConfig['signers'][number];
