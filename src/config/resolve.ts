/**
 * Turns the schema's output into the loaded Config: paths made absolute against the
 * config file's folder, secrets read from the environment or files, recipient key files
 * read, top-level recording settings and limits merged into each target.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { SecretRef } from './fields.js';
import { parseRecipientKeyLine, parseSignerKeyLine } from './formats.js';
import { isInsideDir } from './inside.js';
import type { Issue, PathKey } from './locate.js';
import type { ProtocolSpec } from './protocols.js';
import type { RawConfig, RawTarget } from './schema.js';
import { Secret } from './secret.js';
import type { Config, LimitsConfig, RecipientConfig, StoreConfig, StoreLocation, TargetConfig } from './types.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the final NUL). */
const MAX_SOCKET_PATH = 107;

export interface ResolveOptions {
  readonly env: Env;
  readonly protocols: readonly ProtocolSpec[];
  /**
   * 'defer': target login secrets are not read (commands that never log in
   * to a target must not need them); revealing one is an error.
   */
  readonly targetSecrets: 'read' | 'defer';
}

interface Context extends ResolveOptions {
  readonly dir: string;
  readonly issues: Issue[];
}

function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? 'unreadable';
}

function readText(file: string): { text: string } | { problem: string } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (error) {
    return { problem: fileProblem(error) };
  }
}

/** A target secret a command left unread: it says so instead of revealing anything. */
function deferredSecret(ref: SecretRef): Secret {
  const origin = ref.kind === 'env' ? `env ${ref.name}` : ref.kind === 'file' ? `file ${ref.path}` : 'inline';
  return Secret.unread(origin);
}

function resolveSecret(ref: SecretRef, at: readonly PathKey[], ctx: Context, verbatim = false): Secret | null {
  const fail = (message: string): null => {
    ctx.issues.push({ path: at, message });
    return null;
  };
  if (ref.kind === 'inline') return new Secret(ref.value, 'inline');
  if (ref.kind === 'env') {
    const value = ctx.env[ref.name];
    if (value === undefined) return fail(`environment variable ${ref.name} is not set`);
    if (value.length === 0) return fail(`environment variable ${ref.name} is empty`);
    return new Secret(value, `env ${ref.name}`);
  }
  const file = path.resolve(ctx.dir, ref.path);
  const read = readText(file);
  if ('problem' in read) return fail(`cannot read secret file ${file}: ${read.problem}`);
  const value = verbatim ? read.text : read.text.replace(/\r?\n$/, '');
  if (value.trim().length === 0) return fail(`secret file ${file} is empty`);
  return new Secret(value, `file ${file}`);
}

interface KeyList {
  section: 'recipients' | 'signers';
  what: string;
  parse: typeof parseRecipientKeyLine;
  /** Key files must lie outside this folder (the data directory, for signers). */
  outside?: string;
}

/** Named public keys, inline or read from key files; the same key twice is refused. */
function resolveKeyList(raw: RawConfig['recipients'], list: KeyList, ctx: Context): RecipientConfig[] {
  const keys: RecipientConfig[] = [];
  for (const [index, entry] of raw.entries()) {
    let key = entry.publicKey;
    if (key === undefined && entry.publicKeyFile !== undefined) {
      const at = [list.section, index, 'publicKeyFile'];
      const file = path.resolve(ctx.dir, entry.publicKeyFile);
      const read = readText(file);
      const parsed = 'problem' in read ? undefined : list.parse(read.text);
      if ('problem' in read) ctx.issues.push({ path: at, message: `cannot read ${file}: ${read.problem}` });
      else if (parsed !== undefined && !parsed.ok) ctx.issues.push({ path: at, message: `${file}: ${parsed.error}` });
      else if (list.outside !== undefined && isInsideDir(list.outside, file)) {
        ctx.issues.push({ path: at, message: `${file} lies inside the data directory, where whoever writes the store could replace it; keep it elsewhere or give publicKey` });
      } else key = parsed?.value;
    }
    if (key === undefined) continue;
    const same = keys.findIndex((other) => Buffer.compare(other.publicKey, key.publicKey) === 0);
    if (same >= 0) {
      ctx.issues.push({ path: [list.section, index], message: `same public key as ${list.what} "${keys[same]?.name}"` });
    }
    keys.push({ name: entry.name, publicKey: key.publicKey, line: key.line });
  }
  return keys;
}

function resolveStore(raw: RawConfig['store'], dataDir: string, file: (value: string) => string, ctx: Context): StoreConfig {
  const common = {
    spool: { dir: raw.spool.dir === undefined ? path.join(dataDir, 'spool') : file(raw.spool.dir), maxBytes: raw.spool.maxBytes },
    sync: raw.sync,
    heartbeatInterval: raw.heartbeatInterval,
    heartbeatTimeout: raw.heartbeatTimeout,
  };
  return { ...resolveLocation(raw, dataDir, ['store'], ctx), ...common };
}

function resolveLocation(raw: { kind: 'local' | 'postgres'; url?: RawConfig['store']['url'] }, dir: string, at: string[], ctx: Context): StoreLocation {
  if (raw.kind === 'local' || raw.url === undefined) return { kind: 'local', dir };
  const url = resolveSecret(raw.url, [...at, 'url'], ctx);
  if (url !== null && !/^postgres(ql)?:\/\/./.test(url.reveal())) {
    ctx.issues.push({ path: [...at, 'url'], message: `expected a postgres:// or postgresql:// URL (${url.origin})` });
  }
  return { kind: 'postgres', url: url ?? new Secret('', 'unresolved') };
}

/** The default node id: the host name, and a digest of the data directory so two nodes on one host differ. */
function defaultNodeId(dataDir: string): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40) || 'node';
  return `${host}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
}

function mergeLimits(base: LimitsConfig, own: RawTarget['limits']): LimitsConfig {
  return {
    idleTimeout: own.idleTimeout === undefined ? base.idleTimeout : own.idleTimeout,
    maxDuration: own.maxDuration === undefined ? base.maxDuration : own.maxDuration,
  };
}

function resolveTarget(raw: RawTarget, index: number, config: RawConfig, recipients: readonly RecipientConfig[], ctx: Context): TargetConfig {
  const at = (key: string): PathKey[] => ['targets', index, 'login', key];
  const secret = (ref: SecretRef | undefined, key: string, verbatim = false) => {
    if (ref === undefined) return null;
    return ctx.targetSecrets === 'defer' && ref.kind !== 'inline' ? deferredSecret(ref) : resolveSecret(ref, at(key), ctx, verbatim);
  };
  const chosen = raw.recipients;
  const login = {
    user: raw.login.user ?? null,
    password: secret(raw.login.password, 'password'),
    privateKey: secret(raw.login.privateKey, 'privateKey', true),
    passphrase: secret(raw.login.passphrase, 'passphrase'),
  };
  return {
    name: raw.name,
    protocol: raw.protocol,
    host: raw.host,
    port: raw.port,
    login,
    recording: {
      keystrokes: raw.recording.keystrokes ?? config.recording.keystrokes,
      required: raw.recording.required ?? config.recording.required,
    },
    limits: mergeLimits(config.limits, raw.limits),
    recipients: chosen === undefined ? recipients : recipients.filter((recipient) => chosen.includes(recipient.name)),
    options: resolveOptions(raw, index, login.password !== null, ctx),
  };
}

/** The target's protocol options, as its spec resolves them. */
function resolveOptions(raw: RawTarget, index: number, hasPassword: boolean, ctx: Context): Record<string, unknown> {
  const spec = ctx.protocols.find((p) => p.name === raw.protocol)?.targetOptions;
  if (spec?.resolve === undefined) return { ...raw.options };
  return spec.resolve(raw.options, {
    target: { name: raw.name, host: raw.host, port: raw.port, hasPassword },
    file: (value) => path.resolve(ctx.dir, value),
    problem: (key, message, atKey = false) => {
      const below = typeof key === 'object' ? key : [key];
      ctx.issues.push({ path: ['targets', index, ...below], message, atKey });
    },
  });
}

function checkSocket(socket: string, ctx: Context): void {
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    ctx.issues.push({ path: ['control', 'socket'], message: `socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes` });
  }
}

/** Builds the Config; problems are appended to `issues` (the result is unusable if any). */
export function resolveConfig(raw: RawConfig, source: string, options: ResolveOptions, issues: Issue[]): Config {
  const ctx: Context = { ...options, dir: path.dirname(source), issues };
  const file = (value: string) => path.resolve(ctx.dir, value);
  const dataDir = file(raw.gateway.dataDir);
  const recipients = resolveKeyList(raw.recipients, { section: 'recipients', what: 'recipient', parse: parseRecipientKeyLine }, ctx);
  const signers = resolveKeyList(raw.signers, { section: 'signers', what: 'signer', parse: parseSignerKeyLine, outside: dataDir }, ctx);
  const socket = raw.control.socket === undefined ? path.join(dataDir, 'control.sock') : file(raw.control.socket);
  checkSocket(socket, ctx);
  return {
    source,
    gateway: {
      dataDir,
      hostKey: raw.gateway.hostKey === undefined ? path.join(dataDir, 'host_ed25519') : file(raw.gateway.hostKey),
      // Beside the config, not in the store: whoever writes the store must not hold the key that signs it.
      signingKey: raw.gateway.signingKey === undefined ? path.join(ctx.dir, 'signing.key') : file(raw.gateway.signingKey),
      tlsCert: raw.gateway.tlsCert === undefined ? path.join(dataDir, 'tls', 'gateway.crt') : file(raw.gateway.tlsCert),
      tlsKey: raw.gateway.tlsKey === undefined ? path.join(dataDir, 'tls', 'gateway.key') : file(raw.gateway.tlsKey),
      nodeId: raw.gateway.nodeId ?? defaultNodeId(dataDir),
      drainTimeout: raw.gateway.drainTimeout,
    },
    listen: raw.listen,
    store: resolveStore(raw.store, dataDir, file, ctx),
    recipients,
    signers,
    users: raw.users.map((user) => ({
      name: user.name,
      password: user.password ?? null,
      scram: user.scram ?? null,
      mysqlNative: user.mysqlNative ?? null,
      rdpNtHash: user.rdpNtHash ?? null,
      sshKeys: user.sshKeys,
      targets: user.targets,
    })),
    targets: raw.targets.map((target, index) => resolveTarget(target, index, raw, recipients, ctx)),
    admission: raw.admission,
    log: { level: raw.log.level, file: raw.log.file === undefined ? null : file(raw.log.file) },
    recording: raw.recording,
    limits: raw.limits,
    control: { socket },
    retention: {
      days: raw.retention.days,
      archiveAfterDays: raw.retention.archiveAfterDays,
      archive: raw.retention.archive === undefined ? null : resolveLocation(raw.retention.archive, file(raw.retention.archive.dir ?? '.'), ['retention', 'archive'], ctx),
    },
    console: raw.console,
  };
}
