/**
 * Bodies of the messages a client sends after its startup packet, protocol
 * 3.0 and 3.2 (PostgreSQL documentation, "Frontend/Backend Protocol",
 * section "Message Formats"). Each decoder takes the body the framer handed
 * over (after the type byte and length) and reads every field:
 *
 *   Query     'Q'  query:String
 *   Parse     'P'  statement:String | query:String | n:Int16 | type oid:Int32 * n
 *   Bind      'B'  portal:String | statement:String | n:Int16 | format:Int16 * n
 *                  | n:Int16 | (length:Int32 (-1 = NULL) | Byten) * n
 *                  | n:Int16 | result format:Int16 * n
 *   Execute   'E'  portal:String | max rows:Int32 (0 = no limit)
 *   Describe  'D'  'S' (statement) or 'P' (portal):Byte1 | name:String
 *   Close     'C'  as Describe
 *   CopyFail  'f'  message:String
 *   FunctionCall 'F'  function oid:Int32 | n:Int16 | format:Int16 * n
 *                  | n:Int16 | (length:Int32 | Byten) * n | result format:Int16
 *   'p' in the authentication exchange, told apart by what the server asked:
 *     PasswordMessage      password:String (cleartext, or "md5" + 32 hex digits)
 *     SASLInitialResponse  mechanism:String | length:Int32 (-1 = none) | Byten
 *     SASLResponse         data:Byten (the whole body)
 *
 * CopyData's body is its data. Sync, Flush, CopyDone and Terminate have no
 * fields (message-types.ts's decodeEmpty checks them). The encoders build
 * the messages the gateway itself sends to a target server while it logs in
 * and leaves (startup packets are in startup.ts).
 *
 * Invariants: a body must hold exactly its fields (running short or bytes
 * left over are ProtocolErrors); byte fields are zero-copy subarrays of the
 * body; format codes are returned as sent, and the server, not
 * this module, rejects semantically wrong ones (format code 7, two format
 * codes for three parameters) with an ErrorResponse.
 */
import { FrontendType } from './message-types.js';
import { BodyReader, MessageWriter, protocolError } from './wire.js';

export interface Query {
  query: string;
}

export interface Parse {
  /** '' is the unnamed statement. */
  statement: string;
  query: string;
  /** 0 leaves a parameter's type to the server. */
  paramTypes: number[];
}

export interface Bind {
  /** '' is the unnamed portal. */
  portal: string;
  statement: string;
  /** As sent: none (all text), one (for all), or one per parameter; see formatCode. */
  paramFormats: number[];
  params: (Buffer | null)[];
  resultFormats: number[];
}

export interface Execute {
  portal: string;
  /** 0 means no limit. */
  maxRows: number;
}

/** Describe and Close name a prepared statement or a portal. */
export interface Target {
  target: 'statement' | 'portal';
  name: string;
}

export interface CopyFail {
  message: string;
}

export interface FunctionCall {
  functionOid: number;
  argFormats: number[];
  args: (Buffer | null)[];
  resultFormat: number;
}

export interface PasswordMessage {
  password: string;
}

export interface SASLInitialResponse {
  mechanism: string;
  /** null when the client sent length -1 (no initial response). */
  data: Buffer | null;
}

export interface SASLResponse {
  data: Buffer;
}

const reader = (body: Buffer, name: string) => new BodyReader(body, 'frontend', name);

export function decodeQuery(body: Buffer): Query {
  const r = reader(body, 'Query');
  const query = r.string('the query');
  r.end();
  return { query };
}

export function decodeParse(body: Buffer): Parse {
  const r = reader(body, 'Parse');
  const statement = r.string('the statement name');
  const query = r.string('the query');
  const n = r.count('parameter types', 4);
  const paramTypes = new Array<number>(n);
  for (let i = 0; i < n; i++) paramTypes[i] = r.uint32('parameter type', i);
  r.end();
  return { statement, query, paramTypes };
}

export function decodeBind(body: Buffer): Bind {
  const r = reader(body, 'Bind');
  const portal = r.string('the portal name');
  const statement = r.string('the statement name');
  const paramFormats = formatCodes(r, 'parameter format codes', 'parameter format code');
  const n = r.count('parameters', 4);
  const params = new Array<Buffer | null>(n);
  for (let i = 0; i < n; i++) params[i] = r.nullableBytes('parameter', i);
  const resultFormats = formatCodes(r, 'result format codes', 'result format code');
  r.end();
  return { portal, statement, paramFormats, params, resultFormats };
}

/**
 * The format code that applies to value `index` (0 text, 1 binary) under the
 * Bind or FunctionCall rule: no codes means all text, one code covers every
 * value, otherwise one code per value.
 */
export function formatCode(formats: readonly number[], index: number): number {
  if (formats.length === 0) return 0;
  if (formats.length === 1) return formats[0]!;
  return formats[index] ?? 0;
}

export function decodeExecute(body: Buffer): Execute {
  const r = reader(body, 'Execute');
  const portal = r.string('the portal name');
  const maxRows = r.int32('the row limit');
  r.end();
  return { portal, maxRows };
}

export function decodeDescribe(body: Buffer): Target {
  return decodeTarget(body, 'Describe');
}

export function decodeClose(body: Buffer): Target {
  return decodeTarget(body, 'Close');
}

const TARGET_STATEMENT = 0x53; // 'S'
const TARGET_PORTAL = 0x50; // 'P'

function decodeTarget(body: Buffer, name: string): Target {
  const r = reader(body, name);
  const kind = r.int8('the target kind');
  if (kind !== TARGET_STATEMENT && kind !== TARGET_PORTAL) {
    throw protocolError('frontend', `${name} message targets kind 0x${kind.toString(16).padStart(2, '0')}, not 'S' or 'P'`);
  }
  const target = r.string('the target name');
  r.end();
  return { target: kind === TARGET_STATEMENT ? 'statement' : 'portal', name: target };
}

export function decodeCopyFail(body: Buffer): CopyFail {
  const r = reader(body, 'CopyFail');
  const message = r.string('the error message');
  r.end();
  return { message };
}

export function decodeFunctionCall(body: Buffer): FunctionCall {
  const r = reader(body, 'FunctionCall');
  const functionOid = r.uint32('the function oid');
  const argFormats = formatCodes(r, 'argument format codes', 'argument format code');
  const n = r.count('arguments', 4);
  const args = new Array<Buffer | null>(n);
  for (let i = 0; i < n; i++) args[i] = r.nullableBytes('argument', i);
  const resultFormat = r.int16('the result format code');
  r.end();
  return { functionOid, argFormats, args, resultFormat };
}

export function decodePasswordMessage(body: Buffer): PasswordMessage {
  const r = reader(body, 'PasswordMessage');
  const password = r.string('the password');
  r.end();
  return { password };
}

export function decodeSASLInitialResponse(body: Buffer): SASLInitialResponse {
  const r = reader(body, 'SASLInitialResponse');
  const mechanism = r.string('the mechanism name');
  const data = r.nullableBytes('the initial response');
  r.end();
  return { mechanism, data };
}

export function decodeSASLResponse(body: Buffer): SASLResponse {
  return { data: body };
}

function formatCodes(r: BodyReader, items: string, item: string): number[] {
  const n = r.count(items, 2);
  const codes = new Array<number>(n);
  for (let i = 0; i < n; i++) codes[i] = r.int16(item, i);
  return codes;
}

const writer = () => new MessageWriter('frontend');

/** A cleartext password, or "md5" + hex digest, as the server asked. */
export function encodePasswordMessage(password: string): Buffer {
  return writer().string(password, 'password').finish(FrontendType.AuthResponse);
}

/** `data` null sends length -1: no initial response. */
export function encodeSASLInitialResponse(mechanism: string, data: Uint8Array | null): Buffer {
  return writer().string(mechanism, 'SASL mechanism name').nullableBytes(data).finish(FrontendType.AuthResponse);
}

export function encodeSASLResponse(data: Uint8Array): Buffer {
  return writer().bytes(data).finish(FrontendType.AuthResponse);
}

export function encodeTerminate(): Buffer {
  return writer().finish(FrontendType.Terminate);
}
