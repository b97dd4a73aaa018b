/**
 * One error tree with stable codes. A code names the kind of failure for
 * scripts and logs; the message is the one clear line a person reads.
 * Messages never carry secrets (passwords, keys, plaintext).
 */
export type ErrorCode =
  | 'RG_ERR_CONFIG'
  | 'RG_ERR_AUTH'
  | 'RG_ERR_KEY'
  | 'RG_ERR_CRYPTO'
  | 'RG_ERR_PROTOCOL'
  | 'RG_ERR_RECORDING'
  | 'RG_ERR_STORE'
  | 'RG_ERR_NOT_FOUND'
  | 'RG_ERR_VERIFY'
  | 'RG_ERR_USAGE';

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly fatal: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; fatal?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fatal = options.fatal ?? true;
  }
}

/** A command used wrongly: the CLI prints the message and exits with status 2. */
export function usageError(message: string): GatewayError {
  return new GatewayError('RG_ERR_USAGE', message);
}

export class ConfigError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_CONFIG', message, options);
  }
}

/** A key file that is missing, corrupt, or opened with the wrong passphrase. */
export class KeyError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_KEY', message, options);
  }
}

/** Authentication of ciphertext failed: tampering, wrong key, or a chunk out of place. */
export class CryptoError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_CRYPTO', message, options);
  }
}

export class RecordingError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_RECORDING', message, options);
  }
}

export class StoreError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_STORE', message, options);
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string) {
    super('RG_ERR_NOT_FOUND', message);
  }
}

/** A wire parser met bytes it cannot accept; `layers` is the path it took, outermost first. */
export class ProtocolError extends GatewayError {
  readonly layers: string[];
  constructor(layers: string[], message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_PROTOCOL', `${layers.join('/')}: ${message}`, options);
    this.layers = layers;
  }
}
