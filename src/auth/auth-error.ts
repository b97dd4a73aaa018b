/**
 * The error the password exchanges (SCRAM, PostgreSQL MD5, the MySQL plugins)
 * throw: code RG_ERR_AUTH, and a message that never carries a secret.
 */
import { GatewayError } from '../errors.js';

/** An exchange that is malformed, out of order or cannot be carried out. */
export class AuthError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_AUTH', message, options);
  }
}
