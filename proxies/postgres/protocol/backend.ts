/**
 * Bodies of the messages a server sends, protocol 3.0 and 3.2 (PostgreSQL
 * documentation, "Frontend/Backend Protocol", sections "Message Formats"
 * and "Error and Notice Message Fields"), and encoders for those the gateway
 * sends to a client itself while it stands in for the server (backend-encode.ts,
 * re-exported here).
 *
 *   Authentication   'R'  code:Int32 | per code (salt:Byte4, mechanisms:String* 0x00, data:Byten)
 *   BackendKeyData   'K'  pid:Int32 | secret key:Byte4..256 (more than 4 from protocol 3.2)
 *   ParameterStatus  'S'  name:String | value:String
 *   ReadyForQuery    'Z'  status:Byte1 ('I' idle, 'T' in transaction, 'E' failed transaction)
 *   RowDescription   'T'  n:Int16 | (name:String | table oid:Int32 | column:Int16
 *                         | type oid:Int32 | type size:Int16 | type modifier:Int32 | format:Int16) * n
 *   DataRow          'D'  n:Int16 | (length:Int32 (-1 = NULL) | Byten) * n
 *   CommandComplete  'C'  tag:String
 *   ErrorResponse    'E'  (field code:Byte1 | value:String)* | 0x00   (NoticeResponse 'N' alike)
 *   NotificationResponse 'A'  pid:Int32 | channel:String | payload:String
 *   CopyIn/Out/BothResponse 'G' 'H' 'W'  format:Int8 | n:Int16 | column format:Int16 * n
 *   ParameterDescription 't'  n:Int16 | type oid:Int32 * n
 *   NegotiateProtocolVersion 'v'  newest minor:Int32 | n:Int32 | option:String * n
 *
 * ParseComplete, BindComplete, CloseComplete, NoData, PortalSuspended,
 * EmptyQueryResponse and CopyDone have no fields (message-types.ts's
 * decodeEmpty checks them); CopyData's body is its data.
 *
 * Invariants: a body must hold exactly its fields; byte fields are zero-copy
 * subarrays; list-shaped messages (RowDescription, DataRow,
 * ParameterDescription) decode to arrays, the rest to objects; error and
 * notice fields of unknown codes are skipped, as the protocol asks.
 */
import { messageName } from './message-types.js';
import { checkSecretKeyLength } from './startup.js';
import { BodyReader, protocolError } from './wire.js';
import { utf8Slice } from '../../../src/node-buffer.js';

export * from './backend-encode.js';

export const enum AuthCode {
  Ok = 0,
  KerberosV5 = 2,
  CleartextPassword = 3,
  MD5Password = 5,
  GSS = 7,
  GSSContinue = 8,
  SSPI = 9,
  SASL = 10,
  SASLContinue = 11,
  SASLFinal = 12,
}

export type Authentication =
  | { kind: 'ok' }
  | { kind: 'kerberos-v5' }
  | { kind: 'cleartext-password' }
  | { kind: 'md5-password'; salt: Buffer }
  | { kind: 'gss' }
  | { kind: 'gss-continue'; data: Buffer }
  | { kind: 'sspi' }
  | { kind: 'sasl'; mechanisms: string[] }
  | { kind: 'sasl-continue'; data: Buffer }
  | { kind: 'sasl-final'; data: Buffer };

export interface BackendKeyData {
  pid: number;
  secretKey: Buffer;
}

export interface ParameterStatus {
  name: string;
  value: string;
}

export type TransactionStatus = 'I' | 'T' | 'E';

export interface ReadyForQuery {
  status: TransactionStatus;
}

export interface FieldDescription {
  name: string;
  /** 0 when the column is not a table column. */
  tableOid: number;
  /** Attribute number in that table, 0 when not a table column. */
  column: number;
  typeOid: number;
  /** pg_type.typlen: negative for variable width. */
  typeSize: number;
  typeModifier: number;
  /** 0 text, 1 binary. */
  format: number;
}

export interface CommandComplete {
  tag: string;
}

/**
 * ErrorResponse and NoticeResponse fields. `severity` is the unlocalized V
 * field when sent (PostgreSQL 9.6 on), else the S field. Missing required
 * fields read as ''.
 */
export interface NoticeFields {
  severity: string;
  /** SQLSTATE. */
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  /** 1-based character index into the query. */
  position?: string;
  internalPosition?: string;
  internalQuery?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  file?: string;
  line?: string;
  routine?: string;
}

export interface NotificationResponse {
  pid: number;
  channel: string;
  payload: string;
}

/** CopyInResponse, CopyOutResponse and CopyBothResponse. */
export interface CopyResponse {
  /** 0 textual (all columns text), 1 binary. */
  format: number;
  columnFormats: number[];
}

export interface NegotiateProtocolVersion {
  /** The newest minor version the server supports for the requested major version. */
  newestMinor: number;
  /** `_pq_.` options from the StartupMessage the server does not know. */
  unsupportedOptions: string[];
}

const reader = (body: Buffer, name: string) => new BodyReader(body, 'backend', name);

export function decodeAuthentication(body: Buffer): Authentication {
  const r = reader(body, 'Authentication');
  const code = r.int32('the request code');
  let message: Authentication;
  switch (code) {
    case AuthCode.Ok:
      message = { kind: 'ok' };
      break;
    case AuthCode.KerberosV5:
      message = { kind: 'kerberos-v5' };
      break;
    case AuthCode.CleartextPassword:
      message = { kind: 'cleartext-password' };
      break;
    case AuthCode.MD5Password:
      message = { kind: 'md5-password', salt: r.bytes(4, 'the salt') };
      break;
    case AuthCode.GSS:
      message = { kind: 'gss' };
      break;
    case AuthCode.GSSContinue:
      message = { kind: 'gss-continue', data: r.rest() };
      break;
    case AuthCode.SSPI:
      message = { kind: 'sspi' };
      break;
    case AuthCode.SASL:
      message = { kind: 'sasl', mechanisms: stringList(r, 'mechanism') };
      break;
    case AuthCode.SASLContinue:
      message = { kind: 'sasl-continue', data: r.rest() };
      break;
    case AuthCode.SASLFinal:
      message = { kind: 'sasl-final', data: r.rest() };
      break;
    default:
      throw protocolError('backend', `Authentication request code ${code} is not defined by protocol 3`);
  }
  r.end();
  return message;
}

/** Strings up to an empty one. */
function stringList(r: BodyReader, field: string): string[] {
  const list: string[] = [];
  for (let s = r.string(field, 0); s !== ''; s = r.string(field, list.length)) list.push(s);
  return list;
}

export function decodeBackendKeyData(body: Buffer): BackendKeyData {
  const r = reader(body, 'BackendKeyData');
  const pid = r.int32('the process id');
  checkSecretKeyLength('backend', 'BackendKeyData', r.remaining);
  return { pid, secretKey: r.rest() };
}

export function decodeParameterStatus(body: Buffer): ParameterStatus {
  const r = reader(body, 'ParameterStatus');
  const name = r.string('the parameter name');
  const value = r.string('the parameter value');
  r.end();
  return { name, value };
}

const TRANSACTION_STATUS: Readonly<Record<number, TransactionStatus>> = { 0x49: 'I', 0x54: 'T', 0x45: 'E' };

export function decodeReadyForQuery(body: Buffer): ReadyForQuery {
  const r = reader(body, 'ReadyForQuery');
  const byte = r.int8('the transaction status');
  r.end();
  const status = TRANSACTION_STATUS[byte];
  if (status === undefined) {
    throw protocolError('backend', `ReadyForQuery transaction status 0x${byte.toString(16).padStart(2, '0')} is not 'I', 'T' or 'E'`);
  }
  return { status };
}

export function decodeRowDescription(body: Buffer): FieldDescription[] {
  const r = reader(body, 'RowDescription');
  const n = r.count('fields', 19);
  const fields = new Array<FieldDescription>(n);
  for (let i = 0; i < n; i++) {
    fields[i] = {
      name: r.string('the name of field', i),
      tableOid: r.uint32('the table oid of field', i),
      column: r.int16('the column number of field', i),
      typeOid: r.uint32('the type oid of field', i),
      typeSize: r.int16('the type size of field', i),
      typeModifier: r.int32('the type modifier of field', i),
      format: r.int16('the format code of field', i),
    };
  }
  r.end();
  return fields;
}

/** The column values, null for SQL NULL, each a subarray of `body`. */
export function decodeDataRow(body: Buffer): (Buffer | null)[] {
  const r = reader(body, 'DataRow');
  const n = r.count('columns', 4);
  const values = new Array<Buffer | null>(n);
  for (let i = 0; i < n; i++) values[i] = r.nullableBytes('column', i);
  r.end();
  return values;
}

export function decodeCommandComplete(body: Buffer): CommandComplete {
  const r = reader(body, 'CommandComplete');
  const tag = r.string('the command tag');
  r.end();
  return { tag };
}

/** The longest command tag read in place; a longer one goes through the decoder. */
const SHORT_TAG = 64;

/**
 * decodeCommandComplete(bytes.subarray(start, end)).tag, read where it lies: a tag is a few
 * bytes (`SELECT 1`), and the view and reader cost more than reading them. Anything out of the
 * ordinary goes through the decoder, for its error.
 */
export function commandTagAt(bytes: Buffer, start: number, end: number): string {
  const last = end - 1;
  if (last < start || last - start > SHORT_TAG || bytes[last] !== 0) return decodeCommandComplete(bytes.subarray(start, end)).tag;
  for (let i = start; i < last; i++) if (bytes[i] === 0) return decodeCommandComplete(bytes.subarray(start, end)).tag;
  return utf8Slice(bytes, start, last);
}

/** decodeReadyForQuery(bytes.subarray(start, end)).status, read where it lies. */
export function transactionStatusAt(bytes: Buffer, start: number, end: number): TransactionStatus {
  const status = end - start === 1 ? TRANSACTION_STATUS[bytes[start]!] : undefined;
  return status ?? decodeReadyForQuery(bytes.subarray(start, end)).status;
}

export const enum NoticeCode {
  End = 0,
  Severity = 0x53, // 'S', localized
  SeverityUnlocalized = 0x56, // 'V'
}

type OptionalNoticeKey = Exclude<keyof NoticeFields, 'severity'>;

/** Field codes other than S and V, in the order the server writes them. */
export const NOTICE_KEYS: readonly [number, OptionalNoticeKey][] = [
  [0x43, 'code'], // 'C'
  [0x4d, 'message'], // 'M'
  [0x44, 'detail'], // 'D'
  [0x48, 'hint'], // 'H'
  [0x50, 'position'], // 'P'
  [0x70, 'internalPosition'], // 'p'
  [0x71, 'internalQuery'], // 'q'
  [0x57, 'where'], // 'W'
  [0x73, 'schema'], // 's'
  [0x74, 'table'], // 't'
  [0x63, 'column'], // 'c'
  [0x64, 'dataType'], // 'd'
  [0x6e, 'constraint'], // 'n'
  [0x46, 'file'], // 'F'
  [0x4c, 'line'], // 'L'
  [0x52, 'routine'], // 'R'
];

const NOTICE_KEY_BY_CODE = new Map(NOTICE_KEYS);

export function decodeErrorResponse(body: Buffer): NoticeFields {
  return decodeNoticeFields(body, 'ErrorResponse');
}

export function decodeNoticeResponse(body: Buffer): NoticeFields {
  return decodeNoticeFields(body, 'NoticeResponse');
}

function decodeNoticeFields(body: Buffer, name: string): NoticeFields {
  const r = reader(body, name);
  const fields: NoticeFields = { severity: '', code: '', message: '' };
  let localized: string | undefined;
  let unlocalized: string | undefined;
  for (let i = 0; ; i++) {
    const code = r.int8('field code', i);
    if (code === NoticeCode.End) break;
    const value = r.string('field', i);
    if (code === NoticeCode.Severity) localized = value;
    else if (code === NoticeCode.SeverityUnlocalized) unlocalized = value;
    else {
      const key = NOTICE_KEY_BY_CODE.get(code);
      if (key !== undefined) fields[key] = value;
    }
  }
  r.end();
  fields.severity = unlocalized ?? localized ?? '';
  return fields;
}

export function decodeNotificationResponse(body: Buffer): NotificationResponse {
  const r = reader(body, 'NotificationResponse');
  const pid = r.int32('the process id');
  const channel = r.string('the channel name');
  const payload = r.string('the payload');
  r.end();
  return { pid, channel, payload };
}

/** CopyInResponse, CopyOutResponse or CopyBothResponse, named by `type` in errors. */
export function decodeCopyResponse(type: number, body: Buffer): CopyResponse {
  const r = reader(body, messageName('backend', type));
  const format = r.int8('the overall format');
  const n = r.count('column format codes', 2);
  const columnFormats = new Array<number>(n);
  for (let i = 0; i < n; i++) columnFormats[i] = r.int16('column format code', i);
  r.end();
  return { format, columnFormats };
}

/** The parameter type oids of a prepared statement. */
export function decodeParameterDescription(body: Buffer): number[] {
  const r = reader(body, 'ParameterDescription');
  const n = r.count('parameter types', 4);
  const types = new Array<number>(n);
  for (let i = 0; i < n; i++) types[i] = r.uint32('parameter type', i);
  r.end();
  return types;
}

export function decodeNegotiateProtocolVersion(body: Buffer): NegotiateProtocolVersion {
  const r = reader(body, 'NegotiateProtocolVersion');
  const newestMinor = r.int32('the newest minor version');
  const n = r.int32('the count of options');
  if (n < 0) throw protocolError('backend', `NegotiateProtocolVersion message announces ${n} options`);
  r.expectRoom(n, 'options', 1);
  const unsupportedOptions: string[] = [];
  for (let i = 0; i < n; i++) unsupportedOptions.push(r.string('option', i));
  r.end();
  return { newestMinor, unsupportedOptions };
}
