/**
 * The loaded configuration: every default applied, every path absolute, every secret
 * read into a Secret, every duration in milliseconds. The object is deeply frozen
 * (the bytes of a Uint8Array cannot be frozen; treat them as read-only).
 */
import type { ListenerName, LogLevel, Protocol, TargetTlsMode } from './schema.js';
import type { Secret } from './secret.js';
import type { ListenAddress } from './units.js';

export type { ListenAddress } from './units.js';
export type { ListenerName, LogLevel, Protocol, TargetTlsMode } from './schema.js';

/** An auditor every recording (or a target's recordings) is sealed to. */
export interface RecipientConfig {
  readonly name: string;
  /** X25519 public key, 32 bytes. */
  readonly publicKey: Uint8Array;
  /** The key line as written: `recgate-x25519 <base64> [comment]`. */
  readonly line: string;
}

/** A gateway whose signatures (recording checkpoints, log entries) verification believes. */
export interface SignerConfig {
  readonly name: string;
  /** Ed25519 public key, 32 bytes. */
  readonly publicKey: Uint8Array;
  /** The key line as written: `recgate-signer-ed25519 <base64> [comment]`. */
  readonly line: string;
}

/** A person who logs in to the gateway. */
export interface UserConfig {
  readonly name: string;
  /** Argon2id hash in PHC form, or null when the user logs in with SSH keys only. */
  readonly password: string | null;
  /** SCRAM-SHA-256 verifier for database logins, or null (then only TLS-protected cleartext against `password`). */
  readonly scram: string | null;
  /** mysql_native_password hash (`*` + 40 hex) for MySQL logins without TLS, or null. */
  readonly mysqlNative: string | null;
  /** OpenSSH public key lines. */
  readonly sshKeys: readonly string[];
  /** Target names this user may reach; "*" means every target. */
  readonly targets: readonly string[];
}

/** Credentials the gateway injects when it logs in to a target. */
export interface TargetLogin {
  /** Null only for vnc targets, whose protocol has no user name. */
  readonly user: string | null;
  readonly password: Secret | null;
  /** OpenSSH or PEM private key text (ssh targets). */
  readonly privateKey: Secret | null;
  readonly passphrase: Secret | null;
}

/** Session limits in milliseconds; null means no limit. */
export interface LimitsConfig {
  readonly idleTimeout: number | null;
  readonly maxDuration: number | null;
}

export interface TargetConfig {
  readonly name: string;
  readonly protocol: Protocol;
  readonly host: string;
  readonly port: number;
  /** ssh: "SHA256:<base64>" pin or "trust-on-first-use"; null when unpinned (an ssh target then refuses) or not ssh. */
  readonly hostKey: string | null;
  readonly login: TargetLogin;
  /** Top-level recording.keystrokes/required with this target's overrides applied. */
  readonly recording: { readonly keystrokes: boolean; readonly required: boolean };
  /** Top-level limits with this target's overrides applied. */
  readonly limits: LimitsConfig;
  /** ssh: whether the person may open direct-tcpip forwards through the target (default false). */
  readonly portForwarding: boolean;
  /** mysql: whether LOAD DATA LOCAL INFILE may send the person's files to the target (default false). */
  readonly localInfile: boolean;
  /** Database targets: TLS towards the target (libpq sslmode semantics); 'disable' for others. */
  readonly tls: TargetTlsMode;
  /** verify-full: CA bundle file (PEM) the target's certificate must chain to; null = the system's CAs. */
  readonly tlsCa: string | null;
  /** The recipients this target's recordings are sealed to (all of them unless restricted). */
  readonly recipients: readonly RecipientConfig[];
}

export type StoreConfig = { readonly kind: 'local' } | { readonly kind: 'postgres'; readonly url: Secret };

export interface Config {
  /** Absolute path of the file this was loaded from. */
  readonly source: string;
  readonly gateway: {
    readonly dataDir: string;
    readonly hostKey: string;
    readonly signingKey: string;
    /** PEM certificate and key the database listeners terminate TLS with; generated on first start when not configured. */
    readonly tlsCert: string;
    readonly tlsKey: string;
  };
  /** Null: that listener is disabled. */
  readonly listen: { readonly [name in ListenerName]: ListenAddress | null };
  readonly store: StoreConfig;
  readonly recipients: readonly RecipientConfig[];
  /** The only keys verification trusts; empty: `<signingKey>.pub` when it lies outside the data directory. */
  readonly signers: readonly SignerConfig[];
  readonly users: readonly UserConfig[];
  readonly targets: readonly TargetConfig[];
  readonly log: { readonly level: LogLevel; readonly file: string | null };
  readonly recording: {
    /** Longest time recorded bytes wait before their chunk is sealed and written, ms. */
    readonly flushInterval: number;
    /** Largest plaintext chunk, bytes. */
    readonly chunkSize: number;
    /** Longest time between signed checkpoints, ms. */
    readonly checkpointInterval: number;
    readonly keystrokes: boolean;
    readonly required: boolean;
    /** Database transcripts: result rows rendered per statement (the rest are counted). */
    readonly maxRows: number;
  };
  readonly limits: LimitsConfig;
  readonly control: { readonly socket: string };
  /** Null days: keep recordings forever. */
  readonly retention: { readonly days: number | null };
}
