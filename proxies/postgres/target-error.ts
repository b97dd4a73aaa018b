/** Why the gateway could not open a PostgreSQL target. */
import { GatewayError } from '../../src/errors.js';
import type { NoticeFields } from './protocol/backend.js';

/** `sqlstate` and `message` are what the person is told. */
export class TargetError extends GatewayError {
  constructor(
    readonly sqlstate: string,
    message: string,
    options: { cause?: unknown; serverError?: NoticeFields } = {},
  ) {
    super('RG_ERR_PROTOCOL', message, options);
    this.serverError = options.serverError;
  }
  readonly serverError: NoticeFields | undefined;
}
