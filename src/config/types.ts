/**
 * The loaded configuration: every default applied, every path absolute, every secret
 * read into a Secret, every duration in milliseconds. The object is deeply frozen
 * (the bytes of a Uint8Array cannot be frozen; treat them as read-only).
 */
import type { LogLevel, SyncMode } from './schema.js';
import type { Secret } from './secret.js';
import type { ListenAddress } from './units.js';

export type { ListenAddress } from './units.js';
export type { LogLevel } from './schema.js';

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
  /**
   * NT hash (32 hex, lower-case) for RDP Network Level Authentication (NTLM), or null.
   * Password-equivalent for NTLM: whoever reads it can sign in as the user over NLA.
   */
  readonly rdpNtHash: string | null;
  /** OpenSSH public key lines. */
  readonly sshKeys: readonly string[];
  /** Target names this user may reach; "*" means every target. */
  readonly targets: readonly string[];
}

/** Credentials the gateway injects when it logs in to a target. */
export interface TargetLogin {
  /** Null only for targets whose protocol has no user name. */
  readonly user: string | null;
  readonly password: Secret | null;
  /** OpenSSH or PEM private key text (ssh targets). */
  readonly privateKey: Secret | null;
  /** The passphrase of an encrypted `privateKey`. */
  readonly passphrase: Secret | null;
}

/** Session limits in milliseconds; null means no limit. */
export interface LimitsConfig {
  readonly idleTimeout: number | null;
  readonly maxDuration: number | null;
}

export interface TargetConfig {
  readonly name: string;
  /** The name of the protocol whose proxy serves this target. */
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly login: TargetLogin;
  /** Top-level recording.keystrokes/required with this target's overrides applied. */
  readonly recording: { readonly keystrokes: boolean; readonly required: boolean };
  /** Top-level limits with this target's overrides applied. */
  readonly limits: LimitsConfig;
  /** The recipients this target's recordings are sealed to (all of them unless restricted). */
  readonly recipients: readonly RecipientConfig[];
  /** The keys the target's protocol adds (see its spec), resolved; its proxy reads them. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** How connections are admitted, before and at login (durations in ms). */
export interface AdmissionConfig {
  /** A connection that has not logged in this long after it opened is closed. */
  readonly loginGraceTime: number;
  /** A TLS handshake with a client must finish within this. */
  readonly tlsHandshakeTimeout: number;
  /** Connections not yet logged in, over every listener together. */
  readonly maxPreLogin: number;
  /** Connections not yet logged in from one address. */
  readonly maxPreLoginPerAddress: number;
  /** Failed logins from one address, over every protocol, before it is refused for `failureWindow`. */
  readonly maxFailures: number;
  readonly failureWindow: number;
}

export type ConsoleRole = 'auditor' | 'officer' | 'admin';

/** A person who signs in to the web console. */
export interface ConsoleAccount {
  readonly name: string;
  /** Argon2id hash in PHC form (`recgate users hash`). */
  readonly password: string;
  readonly role: ConsoleRole;
  /** The recipient whose key this person holds: the console hands out the record keys sealed to it. */
  readonly recipient: string;
  /** Auditors: the targets and users whose recordings they may see ("*" every one). Ignored for other roles. */
  readonly targets: readonly string[];
  readonly users: readonly string[];
}

/** A store: the data directory's (`local`, or an archive's own `dir`) or a PostgreSQL database. */
export type StoreLocation = { readonly kind: 'local'; readonly dir: string } | { readonly kind: 'postgres'; readonly url: Secret };

export type StoreConfig = StoreLocation & {
  /** Where sealed chunks wait while PostgreSQL is unreachable, and how much may wait. */
  readonly spool: { readonly dir: string; readonly maxBytes: number };
  /** How a local store's checkpoints sync their files (store/sync-group.ts). */
  readonly sync: SyncMode;
  /** Nodes sharing a PostgreSQL store: how often each says it is alive, and after how long a silent one is taken for dead (ms). */
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
};

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
    /** This node's name among gateways sharing a store. */
    readonly nodeId: string;
    /** SIGTERM: running sessions may go on this long (ms) before they are ended; null: at once. */
    readonly drainTimeout: number | null;
  };
  /** Per protocol the gateway serves, `console` and `metrics`; null: that listener is disabled. */
  readonly listen: Readonly<Record<string, ListenAddress | null>>;
  readonly store: StoreConfig;
  readonly recipients: readonly RecipientConfig[];
  /** The only keys verification trusts; empty: `<signingKey>.pub` when it lies outside the data directory. */
  readonly signers: readonly SignerConfig[];
  readonly users: readonly UserConfig[];
  readonly targets: readonly TargetConfig[];
  readonly admission: AdmissionConfig;
  readonly log: { readonly level: LogLevel; readonly file: string | null };
  readonly recording: {
    /** Longest time recorded bytes wait before their chunk is sealed and written, ms. */
    readonly flushInterval: number;
    /** Plaintext chunk size, bytes; a busy stream's chunks grow to four times it (src/recording/stream-buffer.ts). */
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
  /** Null days: keep recordings forever. archiveAfterDays moves older recordings to the archive store. */
  readonly retention: { readonly days: number | null; readonly archiveAfterDays: number | null; readonly archive: StoreLocation | null };
  /** `tls`: the console listener speaks HTTPS with the gateway's certificate (read at start). */
  readonly console: { readonly accounts: readonly ConsoleAccount[]; readonly sessionIdle: number; readonly tls: boolean };
}
