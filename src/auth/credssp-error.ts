/**
 * Why a Network Level Authentication (CredSSP) exchange ended, in words for the
 * log and as the NTSTATUS a TSRequest errorCode carries (MS-CSSP 2.2.1), so an
 * RDP client shows its own message ("logon failure", "account restricted", ...).
 */
import { GatewayError } from '../errors.js';

export const Status = {
  LOGON_FAILURE: 0xc000006d,
  ACCESS_DENIED: 0xc0000022,
  NOT_SUPPORTED: 0xc00000bb,
  INVALID_PARAMETER: 0xc000000d,
} as const;

const NAMES = new Map<number, string>(Object.entries(Status).map(([k, v]) => [v, `STATUS_${k}`]));

export function statusName(status: number): string {
  return NAMES.get(status) ?? `NTSTATUS 0x${status.toString(16).padStart(8, '0')}`;
}

export class NlaError extends GatewayError {
  /** The NTSTATUS to tell the peer, or the one the peer told us. */
  readonly status: number;
  /** The TSRequest to send the peer before closing, when there is one. */
  readonly reply: Buffer | null;

  constructor(message: string, status: number, options: { reply?: Buffer; cause?: unknown } = {}) {
    super('RG_ERR_AUTH', message, options.cause === undefined ? {} : { cause: options.cause });
    this.status = status;
    this.reply = options.reply ?? null;
  }
}
