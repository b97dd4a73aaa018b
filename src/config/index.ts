export { loadConfig, resolveConfigPath, DEFAULT_CONFIG, EXAMPLE_CONFIG } from './load.js';
export { Secret } from './secret.js';
export { parseDuration, parseListen, parseSize, formatListen } from './units.js';
export { parseRecipientKeyLine, RECIPIENT_KEY_PREFIX, SIGNER_KEY_PREFIX } from './formats.js';
export { isInsideDir } from './inside.js';
export { CONSOLE_LISTENER, LOG_LEVELS, METRICS_LISTENER } from './schema.js';
export { targetOptions } from './protocols.js';
export type { LoadOptions } from './load.js';
export type { OptionsContext, ProtocolSpec, TargetOptionsSpec } from './protocols.js';
export type { Env } from './resolve.js';
export type {
  AdmissionConfig,
  ConsoleAccount,
  ConsoleRole,
  Config,
  LimitsConfig,
  ListenAddress,
  LogLevel,
  RecipientConfig,
  SignerConfig,
  StoreConfig,
  TargetConfig,
  TargetLogin,
  UserConfig,
} from './types.js';
