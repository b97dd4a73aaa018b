/**
 * The server's messages the gateway writes itself while it stands in for the
 * server (authentication, errors and notices, parameters, the key data,
 * ReadyForQuery, NegotiateProtocolVersion); formats in backend.ts.
 */
import { AuthCode, NOTICE_KEYS, NoticeCode, type NoticeFields, type TransactionStatus } from './backend.js';
import { BackendType } from './message-types.js';
import { checkSecretKeyLength } from './startup.js';
import { MessageWriter, byteCount, protocolError } from './wire.js';

const writer = () => new MessageWriter('backend');

function authentication(code: AuthCode): MessageWriter {
  return writer().int32(code);
}

export function encodeAuthenticationOk(): Buffer {
  return authentication(AuthCode.Ok).finish(BackendType.Authentication);
}

export function encodeAuthenticationCleartextPassword(): Buffer {
  return authentication(AuthCode.CleartextPassword).finish(BackendType.Authentication);
}

export function encodeAuthenticationMD5Password(salt: Uint8Array): Buffer {
  if (salt.length !== 4) throw protocolError('backend', `MD5 salt of ${byteCount(salt.length)}; it is always 4`);
  return authentication(AuthCode.MD5Password).bytes(salt).finish(BackendType.Authentication);
}

export function encodeAuthenticationSASL(mechanisms: readonly string[]): Buffer {
  const w = authentication(AuthCode.SASL);
  for (const m of mechanisms) {
    if (m === '') throw protocolError('backend', 'SASL mechanism name is empty');
    w.string(m, 'SASL mechanism name');
  }
  return w.int8(0).finish(BackendType.Authentication);
}

export function encodeAuthenticationSASLContinue(data: Uint8Array): Buffer {
  return authentication(AuthCode.SASLContinue).bytes(data).finish(BackendType.Authentication);
}

export function encodeAuthenticationSASLFinal(data: Uint8Array): Buffer {
  return authentication(AuthCode.SASLFinal).bytes(data).finish(BackendType.Authentication);
}

/** `severity` is written as both S and V: ERROR, FATAL or PANIC. */
export function encodeErrorResponse(fields: NoticeFields): Buffer {
  return encodeNoticeFields(fields).finish(BackendType.ErrorResponse);
}

/** `severity` is written as both S and V: WARNING, NOTICE, DEBUG, INFO or LOG. */
export function encodeNoticeResponse(fields: NoticeFields): Buffer {
  return encodeNoticeFields(fields).finish(BackendType.NoticeResponse);
}

function encodeNoticeFields(fields: NoticeFields): MessageWriter {
  const w = writer();
  w.int8(NoticeCode.Severity).string(fields.severity, 'severity');
  w.int8(NoticeCode.SeverityUnlocalized).string(fields.severity, 'severity');
  for (const [code, key] of NOTICE_KEYS) {
    const value = fields[key];
    if (value !== undefined) w.int8(code).string(value, key);
  }
  return w.int8(NoticeCode.End);
}

export function encodeParameterStatus(name: string, value: string): Buffer {
  return writer().string(name, 'parameter name').string(value, `parameter ${name}`).finish(BackendType.ParameterStatus);
}

/** A 4-byte `secretKey` for protocol 3.0; up to 256 bytes under 3.2. */
export function encodeBackendKeyData(pid: number, secretKey: Uint8Array): Buffer {
  checkSecretKeyLength('backend', 'BackendKeyData', secretKey.length);
  return writer().int32(pid).bytes(secretKey).finish(BackendType.BackendKeyData);
}

export function encodeReadyForQuery(status: TransactionStatus): Buffer {
  return writer().int8(status.charCodeAt(0)).finish(BackendType.ReadyForQuery);
}

export function encodeNegotiateProtocolVersion(newestMinor: number, unsupportedOptions: readonly string[]): Buffer {
  const w = writer().int32(newestMinor).int32(unsupportedOptions.length);
  for (const option of unsupportedOptions) w.string(option, 'protocol option name');
  return w.finish(BackendType.NegotiateProtocolVersion);
}
