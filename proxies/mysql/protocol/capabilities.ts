/**
 * Capability flags (MySQL Source Code Documentation, "Client/Server
 * Protocol", section "Capabilities Flags"; MariaDB Knowledge Base,
 * "1 - Connecting" and "MariaDB Protocol Differences with MySQL"): the
 * server offers them in its initial handshake (initial-handshake.ts), the
 * client answers with those it wants in its HandshakeResponse41 or
 * SSLRequest (handshake-response.ts).
 *
 * Capability flags are a 32-bit number (`capabilities`, unsigned) and
 * MariaDB's 32 extended bits (`mariadbCapabilities`, bit 0 = MariaDB's
 * 1 << 32), sent in bytes MySQL reserves when CLIENT_LONG_PASSWORD, alias
 * CLIENT_MYSQL, is clear. A flag is in force when both sides set it.
 */

export const enum Capability {
  /** Old: "new more secure passwords". Clear from a MariaDB server or client: CLIENT_MYSQL. */
  CLIENT_LONG_PASSWORD = 0x1,
  CLIENT_FOUND_ROWS = 0x2,
  CLIENT_LONG_FLAG = 0x4,
  CLIENT_CONNECT_WITH_DB = 0x8,
  CLIENT_NO_SCHEMA = 0x10,
  CLIENT_COMPRESS = 0x20,
  CLIENT_ODBC = 0x40,
  CLIENT_LOCAL_FILES = 0x80,
  CLIENT_IGNORE_SPACE = 0x100,
  CLIENT_PROTOCOL_41 = 0x200,
  CLIENT_INTERACTIVE = 0x400,
  CLIENT_SSL = 0x800,
  CLIENT_IGNORE_SIGPIPE = 0x1000,
  CLIENT_TRANSACTIONS = 0x2000,
  CLIENT_RESERVED = 0x4000,
  CLIENT_SECURE_CONNECTION = 0x8000,
  CLIENT_MULTI_STATEMENTS = 0x1_0000,
  CLIENT_MULTI_RESULTS = 0x2_0000,
  CLIENT_PS_MULTI_RESULTS = 0x4_0000,
  CLIENT_PLUGIN_AUTH = 0x8_0000,
  CLIENT_CONNECT_ATTRS = 0x10_0000,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x20_0000,
  CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 0x40_0000,
  CLIENT_SESSION_TRACK = 0x80_0000,
  CLIENT_DEPRECATE_EOF = 0x100_0000,
  CLIENT_OPTIONAL_RESULTSET_METADATA = 0x200_0000,
  CLIENT_ZSTD_COMPRESSION_ALGORITHM = 0x400_0000,
  CLIENT_QUERY_ATTRIBUTES = 0x800_0000,
  CLIENT_MULTI_FACTOR_AUTHENTICATION = 0x1000_0000,
  /** MySQL: reserved for a capability extension. MariaDB: CLIENT_PROGRESS_OBSOLETE. */
  CLIENT_CAPABILITY_EXTENSION = 0x2000_0000,
  CLIENT_SSL_VERIFY_SERVER_CERT = 0x4000_0000,
  CLIENT_REMEMBER_OPTIONS = 0x8000_0000,
}

/** MariaDB's extended capabilities, as bits of the extra 32-bit word (bit 0 is MariaDB's 1 << 32). */
export const enum MariaDbCapability {
  MARIADB_CLIENT_PROGRESS = 0x1,
  MARIADB_CLIENT_COM_MULTI = 0x2,
  MARIADB_CLIENT_STMT_BULK_OPERATIONS = 0x4,
  MARIADB_CLIENT_EXTENDED_METADATA = 0x8,
  MARIADB_CLIENT_CACHE_METADATA = 0x10,
  MARIADB_CLIENT_BULK_UNIT_RESULTS = 0x20,
}

const CAPABILITY_NAMES: readonly string[] = [
  'CLIENT_LONG_PASSWORD',
  'CLIENT_FOUND_ROWS',
  'CLIENT_LONG_FLAG',
  'CLIENT_CONNECT_WITH_DB',
  'CLIENT_NO_SCHEMA',
  'CLIENT_COMPRESS',
  'CLIENT_ODBC',
  'CLIENT_LOCAL_FILES',
  'CLIENT_IGNORE_SPACE',
  'CLIENT_PROTOCOL_41',
  'CLIENT_INTERACTIVE',
  'CLIENT_SSL',
  'CLIENT_IGNORE_SIGPIPE',
  'CLIENT_TRANSACTIONS',
  'CLIENT_RESERVED',
  'CLIENT_SECURE_CONNECTION',
  'CLIENT_MULTI_STATEMENTS',
  'CLIENT_MULTI_RESULTS',
  'CLIENT_PS_MULTI_RESULTS',
  'CLIENT_PLUGIN_AUTH',
  'CLIENT_CONNECT_ATTRS',
  'CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA',
  'CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS',
  'CLIENT_SESSION_TRACK',
  'CLIENT_DEPRECATE_EOF',
  'CLIENT_OPTIONAL_RESULTSET_METADATA',
  'CLIENT_ZSTD_COMPRESSION_ALGORITHM',
  'CLIENT_QUERY_ATTRIBUTES',
  'CLIENT_MULTI_FACTOR_AUTHENTICATION',
  'CLIENT_CAPABILITY_EXTENSION',
  'CLIENT_SSL_VERIFY_SERVER_CERT',
  'CLIENT_REMEMBER_OPTIONS',
];

const MARIADB_CAPABILITY_NAMES: readonly string[] = [
  'MARIADB_CLIENT_PROGRESS',
  'MARIADB_CLIENT_COM_MULTI',
  'MARIADB_CLIENT_STMT_BULK_OPERATIONS',
  'MARIADB_CLIENT_EXTENDED_METADATA',
  'MARIADB_CLIENT_CACHE_METADATA',
  'MARIADB_CLIENT_BULK_UNIT_RESULTS',
];

/** The names of the flags set, for logs; unnamed bits show as "bit N" ("MARIADB bit N"). */
export function capabilityNames(capabilities: number, mariadbCapabilities = 0): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if ((capabilities >>> bit) & 1) names.push(CAPABILITY_NAMES[bit]!);
  }
  for (let bit = 0; bit < 32; bit++) {
    if ((mariadbCapabilities >>> bit) & 1) names.push(MARIADB_CAPABILITY_NAMES[bit] ?? `MARIADB bit ${bit}`);
  }
  return names;
}

/**
 * Flags a relaying proxy must keep out of what it offers the client (and
 * so out of what the two negotiate), because the observer could not follow
 * the stream with them: compression rewraps every packet; without
 * result-set metadata rows cannot be decoded. CLIENT_SSL is not here: the
 * gateway offers it only when it terminates TLS itself.
 */
export const RELAY_CLEARED_CAPABILITIES: number =
  (Capability.CLIENT_COMPRESS | Capability.CLIENT_ZSTD_COMPRESSION_ALGORITHM | Capability.CLIENT_OPTIONAL_RESULTSET_METADATA) >>> 0;

/**
 * MariaDB flags to keep out likewise: metadata caching lets the server
 * leave out column definitions it sent before; bulk execution
 * (COM_STMT_BULK_EXECUTE) is not decoded; COM_MULTI is gone from servers.
 */
export const RELAY_CLEARED_MARIADB_CAPABILITIES: number =
  MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA |
  MariaDbCapability.MARIADB_CLIENT_STMT_BULK_OPERATIONS |
  MariaDbCapability.MARIADB_CLIENT_BULK_UNIT_RESULTS |
  MariaDbCapability.MARIADB_CLIENT_COM_MULTI;
