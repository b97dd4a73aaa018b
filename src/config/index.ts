export { loadConfig, resolveConfigPath, DEFAULT_CONFIG, EXAMPLE_CONFIG } from './load.js';
export { Secret } from './secret.js';
export { parseDuration, parseListen, parseSize, formatListen } from './units.js';
export { parseRecipientKeyLine, RECIPIENT_KEY_PREFIX, SIGNER_KEY_PREFIX, TRUST_ON_FIRST_USE } from './formats.js';
export { isInsideDir } from './inside.js';
export { DEFAULT_PORTS, LISTENERS, LOG_LEVELS, PROTOCOLS } from './schema.js';
export type { Env } from './resolve.js';
export type {
  Config,
  LimitsConfig,
  ListenAddress,
  ListenerName,
  LogLevel,
  Protocol,
  RecipientConfig,
  SignerConfig,
  StoreConfig,
  TargetConfig,
  TargetLogin,
  TargetTlsMode,
  UserConfig,
} from './types.js';
