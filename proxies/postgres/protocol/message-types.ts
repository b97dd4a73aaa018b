/**
 * The type bytes of protocol version 3 messages (3.0 and 3.2), per the
 * PostgreSQL documentation, "Frontend/Backend Protocol", section "Message
 * Formats". The same byte means different messages on the two sides ('S' is
 * Sync from the client but ParameterStatus from the server), so every lookup
 * names its side.
 *
 * Invariant: FRONTEND_NAMES holds exactly the types a client may send; the
 * framer refuses any other type byte from a client.
 */
import { BodyReader, type Side } from './wire.js';

/** Messages a client sends after the startup packet. */
export const enum FrontendType {
  Bind = 0x42, // 'B'
  Close = 0x43, // 'C'
  CopyData = 0x64, // 'd'
  CopyDone = 0x63, // 'c'
  CopyFail = 0x66, // 'f'
  Describe = 0x44, // 'D'
  Execute = 0x45, // 'E'
  Flush = 0x48, // 'H'
  FunctionCall = 0x46, // 'F'
  Parse = 0x50, // 'P'
  /** PasswordMessage, SASLInitialResponse, SASLResponse or GSSResponse: the auth exchange says which. */
  AuthResponse = 0x70, // 'p'
  Query = 0x51, // 'Q'
  Sync = 0x53, // 'S'
  Terminate = 0x58, // 'X'
}

/** Messages a server sends. */
export const enum BackendType {
  Authentication = 0x52, // 'R'
  BackendKeyData = 0x4b, // 'K'
  BindComplete = 0x32, // '2'
  CloseComplete = 0x33, // '3'
  CommandComplete = 0x43, // 'C'
  CopyData = 0x64, // 'd'
  CopyDone = 0x63, // 'c'
  CopyInResponse = 0x47, // 'G'
  CopyOutResponse = 0x48, // 'H'
  CopyBothResponse = 0x57, // 'W'
  DataRow = 0x44, // 'D'
  EmptyQueryResponse = 0x49, // 'I'
  ErrorResponse = 0x45, // 'E'
  FunctionCallResponse = 0x56, // 'V'
  NegotiateProtocolVersion = 0x76, // 'v'
  NoData = 0x6e, // 'n'
  NoticeResponse = 0x4e, // 'N'
  NotificationResponse = 0x41, // 'A'
  ParameterDescription = 0x74, // 't'
  ParameterStatus = 0x53, // 'S'
  ParseComplete = 0x31, // '1'
  PortalSuspended = 0x73, // 's'
  ReadyForQuery = 0x5a, // 'Z'
  RowDescription = 0x54, // 'T'
}

function table(entries: [number, string][]): readonly (string | undefined)[] {
  const names: (string | undefined)[] = new Array(256).fill(undefined);
  for (const [type, name] of entries) names[type] = name;
  return names;
}

const FRONTEND_NAMES = table([
  [FrontendType.Bind, 'Bind'],
  [FrontendType.Close, 'Close'],
  [FrontendType.CopyData, 'CopyData'],
  [FrontendType.CopyDone, 'CopyDone'],
  [FrontendType.CopyFail, 'CopyFail'],
  [FrontendType.Describe, 'Describe'],
  [FrontendType.Execute, 'Execute'],
  [FrontendType.Flush, 'Flush'],
  [FrontendType.FunctionCall, 'FunctionCall'],
  [FrontendType.Parse, 'Parse'],
  [FrontendType.AuthResponse, 'authentication response'],
  [FrontendType.Query, 'Query'],
  [FrontendType.Sync, 'Sync'],
  [FrontendType.Terminate, 'Terminate'],
]);

const BACKEND_NAMES = table([
  [BackendType.Authentication, 'Authentication'],
  [BackendType.BackendKeyData, 'BackendKeyData'],
  [BackendType.BindComplete, 'BindComplete'],
  [BackendType.CloseComplete, 'CloseComplete'],
  [BackendType.CommandComplete, 'CommandComplete'],
  [BackendType.CopyData, 'CopyData'],
  [BackendType.CopyDone, 'CopyDone'],
  [BackendType.CopyInResponse, 'CopyInResponse'],
  [BackendType.CopyOutResponse, 'CopyOutResponse'],
  [BackendType.CopyBothResponse, 'CopyBothResponse'],
  [BackendType.DataRow, 'DataRow'],
  [BackendType.EmptyQueryResponse, 'EmptyQueryResponse'],
  [BackendType.ErrorResponse, 'ErrorResponse'],
  [BackendType.FunctionCallResponse, 'FunctionCallResponse'],
  [BackendType.NegotiateProtocolVersion, 'NegotiateProtocolVersion'],
  [BackendType.NoData, 'NoData'],
  [BackendType.NoticeResponse, 'NoticeResponse'],
  [BackendType.NotificationResponse, 'NotificationResponse'],
  [BackendType.ParameterDescription, 'ParameterDescription'],
  [BackendType.ParameterStatus, 'ParameterStatus'],
  [BackendType.ParseComplete, 'ParseComplete'],
  [BackendType.PortalSuspended, 'PortalSuspended'],
  [BackendType.ReadyForQuery, 'ReadyForQuery'],
  [BackendType.RowDescription, 'RowDescription'],
]);

/** True for the type bytes a client may send after startup. */
export function isFrontendType(type: number): boolean {
  return FRONTEND_NAMES[type] !== undefined;
}

/** The message's name ("Bind"), or its type byte shown safely ("type 0x07") when unknown. */
export function messageName(side: Side, type: number): string {
  const name = (side === 'frontend' ? FRONTEND_NAMES : BACKEND_NAMES)[type];
  if (name !== undefined) return name;
  const hex = `0x${type.toString(16).padStart(2, '0')}`;
  return type >= 0x21 && type <= 0x7e ? `type ${hex} '${String.fromCharCode(type)}'` : `type ${hex}`;
}

/**
 * Checks a message that has no fields (Sync, Flush, CopyDone, Terminate;
 * ParseComplete, BindComplete, CloseComplete, NoData, PortalSuspended,
 * EmptyQueryResponse) arrived with an empty body.
 */
export function decodeEmpty(side: Side, type: number, body: Buffer): void {
  new BodyReader(body, side, messageName(side, type)).end();
}
