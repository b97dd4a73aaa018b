/**
 * Generic server response packets (MySQL Source Code Documentation,
 * "Client/Server Protocol", sections "Generic Response Packets" (OK_Packet,
 * ERR_Packet, EOF_Packet) and "LOCAL INFILE Request"; MariaDB Knowledge
 * Base, "OK_Packet", "ERR_Packet", "EOF_Packet"):
 *
 *   OK   0x00 (0xFE ending a result set under CLIENT_DEPRECATE_EOF)
 *        | affected rows:int<lenenc> | last insert id:int<lenenc>
 *        | with CLIENT_PROTOCOL_41: status flags:int<2> | warnings:int<2>
 *          (with only CLIENT_TRANSACTIONS: status flags:int<2>)
 *        | with CLIENT_SESSION_TRACK: [info:string<lenenc>
 *            [session state changes:string<lenenc>, if SERVER_SESSION_STATE_CHANGED]]
 *          (servers leave both out when there is nothing to say)
 *          else info:string<EOF>
 *   ERR  0xFF | error code:int<2>
 *        | code 0xFFFF (MariaDB progress report): stage:int<1> | max stage:int<1>
 *            | progress (thousandths of a percent):int<3> | info:string<lenenc>
 *        | else ['#' | SQLSTATE:string<5>] | message:string<EOF>
 *          (no SQLSTATE before capabilities are agreed, e.g. "too many connections")
 *   EOF  0xFE | with CLIENT_PROTOCOL_41: warnings:int<2> | status flags:int<2>
 *        (always shorter than 9 bytes, unlike a text row starting with 0xFE)
 *   LOCAL INFILE request  0xFB | file name:string<EOF>
 *        (the client answers with the file's bytes in packets, then an empty packet)
 *
 * Session state changes are (type:int<1> | data:string<lenenc>)*; types 0
 * (system variable: name and value string<lenenc>) and 1 (schema: name
 * string<lenenc>) are decoded, the others kept as bytes.
 *
 * Invariants: payloads must hold exactly their fields; strings are UTF-8;
 * counts above Number.MAX_SAFE_INTEGER are bigints.
 */
import { Capability } from './capabilities.js';
import { PayloadWriter } from './payload-writer.js';
import { PayloadReader, hexByte, protocolError } from './wire.js';

export const enum Header {
  Ok = 0x00,
  LocalInfile = 0xfb,
  Eof = 0xfe,
  Err = 0xff,
}

/** Server status flags (SERVER_STATUS_*), in OK and EOF packets and the handshake. */
export const enum ServerStatus {
  SERVER_STATUS_IN_TRANS = 0x1,
  SERVER_STATUS_AUTOCOMMIT = 0x2,
  SERVER_MORE_RESULTS_EXISTS = 0x8,
  SERVER_QUERY_NO_GOOD_INDEX_USED = 0x10,
  SERVER_QUERY_NO_INDEX_USED = 0x20,
  SERVER_STATUS_CURSOR_EXISTS = 0x40,
  SERVER_STATUS_LAST_ROW_SENT = 0x80,
  SERVER_STATUS_DB_DROPPED = 0x100,
  SERVER_STATUS_NO_BACKSLASH_ESCAPES = 0x200,
  SERVER_STATUS_METADATA_CHANGED = 0x400,
  SERVER_QUERY_WAS_SLOW = 0x800,
  SERVER_PS_OUT_PARAMS = 0x1000,
  SERVER_STATUS_IN_TRANS_READONLY = 0x2000,
  SERVER_SESSION_STATE_CHANGED = 0x4000,
}

/** Session state change types (CLIENT_SESSION_TRACK). */
export const enum SessionTrack {
  SystemVariables = 0,
  Schema = 1,
  StateChange = 2,
  Gtids = 3,
  TransactionCharacteristics = 4,
  TransactionState = 5,
}

export type SessionStateChange =
  | { type: SessionTrack.SystemVariables; name: string; value: string }
  | { type: SessionTrack.Schema; schema: string }
  | { type: number; data: Buffer };

export interface OkPacket {
  /** 0x00, or 0xFE for the OK that ends a result set under CLIENT_DEPRECATE_EOF. */
  header: number;
  affectedRows: number | bigint;
  lastInsertId: number | bigint;
  statusFlags: number;
  warnings: number;
  info: string;
  /** With CLIENT_SESSION_TRACK and SERVER_SESSION_STATE_CHANGED. */
  sessionStateChanges?: SessionStateChange[];
}

export interface ErrPacket {
  code: number;
  /** '' when the server sent none. */
  sqlState: string;
  message: string;
  /** MariaDB progress report (code 0xFFFF): not an error; the command goes on. */
  progress?: ProgressReport;
}

export interface ProgressReport {
  stage: number;
  maxStage: number;
  /** Thousandths of a percent of the stage. */
  progress: number;
  info: string;
}

export interface EofPacket {
  warnings: number;
  statusFlags: number;
}

/** MariaDB's error code for a progress report. */
export const PROGRESS_REPORT_CODE = 0xffff;

const reader = (payload: Buffer, name: string, start = 0, end = payload.length) => new PayloadReader(payload, 'server', name, start, end);

/**
 * True when a packet read where a result set's rows are is the packet that
 * ends them (EOF, or OK with a 0xFE header): a row can start with 0xFE
 * only when its first value is at least 0xFFFFFF bytes long.
 */
export function isResultSetEnd(firstByte: number, firstPacketLength: number): boolean {
  return firstByte === Header.Eof && firstPacketLength < 0xff_ffff;
}

/** True when a 0xFE packet is an EOF packet rather than an OK or a row. */
export function isEofPacket(firstByte: number, length: number): boolean {
  return firstByte === Header.Eof && length < 9;
}

/** The OK packet at `payload[start, end)` (by default the whole of `payload`). */
export function decodeOk(payload: Buffer, capabilities: number, start = 0, end = payload.length): OkPacket {
  const r = reader(payload, 'OK packet', start, end);
  const header = r.int1('the header');
  if (header !== Header.Ok && header !== Header.Eof) r.fail(`starts with ${hexByte(header)}, not 0x00 or 0xfe`);
  const ok: OkPacket = {
    header,
    affectedRows: r.lenencInt('the affected rows'),
    lastInsertId: r.lenencInt('the last insert id'),
    statusFlags: 0,
    warnings: 0,
    info: '',
  };
  if (capabilities & Capability.CLIENT_PROTOCOL_41) {
    ok.statusFlags = r.int2('the status flags');
    ok.warnings = r.int2('the warning count');
  } else if (capabilities & Capability.CLIENT_TRANSACTIONS) {
    ok.statusFlags = r.int2('the status flags');
  }
  if (capabilities & Capability.CLIENT_SESSION_TRACK) {
    if (r.remaining > 0) ok.info = r.lenencString('the info');
    if (ok.statusFlags & ServerStatus.SERVER_SESSION_STATE_CHANGED && r.remaining > 0) {
      ok.sessionStateChanges = decodeSessionState(r.lenencBytes('the session state changes'));
    }
  } else if (r.remaining > 0) {
    // The documented form is string<EOF>, but MariaDB and MySQL servers write the info
    // length-encoded either way (net_store_data): a first byte that is exactly the length
    // of the rest is that prefix, not text.
    const first = payload[end - r.remaining]!;
    ok.info = first < 0xfb && first === r.remaining - 1 ? r.lenencString('the info') : r.restString();
  }
  r.end();
  return ok;
}

function decodeSessionState(block: Buffer): SessionStateChange[] {
  const r = reader(block, 'OK packet session state');
  const changes: SessionStateChange[] = [];
  for (let i = 0; r.remaining > 0; i++) {
    const type = r.int1('the type of change', i);
    const data = r.lenencBytes('change', i);
    if (type === SessionTrack.SystemVariables) {
      const d = reader(data, 'OK packet system variable change');
      changes.push({ type, name: d.lenencString('the variable name'), value: d.lenencString('the variable value') });
      d.end();
    } else if (type === SessionTrack.Schema) {
      const d = reader(data, 'OK packet schema change');
      changes.push({ type, schema: d.lenencString('the schema name') });
      d.end();
    } else {
      changes.push({ type, data });
    }
  }
  return changes;
}

function encodeSessionState(changes: readonly SessionStateChange[]): Buffer {
  const w = new PayloadWriter('server');
  for (const change of changes) {
    const d = new PayloadWriter('server');
    if ('name' in change) d.lenencString(change.name).lenencString(change.value);
    else if ('schema' in change) d.lenencString(change.schema);
    else d.bytes(change.data);
    w.int1(change.type).lenencBytes(d.finish());
  }
  return w.finish();
}

/**
 * Writes an OK packet for the given capabilities. Under CLIENT_SESSION_TRACK
 * the info is always written (as string<lenenc>), and the session state
 * changes when given, with SERVER_SESSION_STATE_CHANGED set to match.
 */
export function encodeOk(ok: Partial<OkPacket>, capabilities: number): Buffer {
  let statusFlags = ok.statusFlags ?? 0;
  const w = new PayloadWriter('server')
    .int1(ok.header ?? Header.Ok)
    .lenencInt(ok.affectedRows ?? 0, 'affected rows')
    .lenencInt(ok.lastInsertId ?? 0, 'last insert id');
  const tracking = (capabilities & Capability.CLIENT_SESSION_TRACK) !== 0;
  if (tracking) {
    if (ok.sessionStateChanges !== undefined) statusFlags |= ServerStatus.SERVER_SESSION_STATE_CHANGED;
    else statusFlags &= ~ServerStatus.SERVER_SESSION_STATE_CHANGED;
  }
  if (capabilities & Capability.CLIENT_PROTOCOL_41) w.int2(statusFlags).int2(ok.warnings ?? 0);
  else if (capabilities & Capability.CLIENT_TRANSACTIONS) w.int2(statusFlags);
  if (tracking) {
    w.lenencString(ok.info ?? '');
    if (ok.sessionStateChanges !== undefined) w.lenencBytes(encodeSessionState(ok.sessionStateChanges));
  } else if (ok.info) {
    // Length-encoded, as servers write it (see decodeOk).
    w.lenencString(ok.info);
  }
  return w.finish();
}

export function decodeErr(payload: Buffer, capabilities: number, start = 0, end = payload.length): ErrPacket {
  const r = reader(payload, 'ERR packet', start, end);
  const header = r.int1('the header');
  if (header !== Header.Err) r.fail(`starts with ${hexByte(header)}, not 0xff`);
  const code = r.int2('the error code');
  if (code === PROGRESS_REPORT_CODE) {
    const progress: ProgressReport = {
      stage: r.int1('the progress stage'),
      maxStage: r.int1('the progress max stage'),
      progress: r.int3('the progress'),
      info: r.lenencString('the progress info'),
    };
    r.end();
    return { code, sqlState: '', message: progress.info, progress };
  }
  let sqlState = '';
  // Errors sent before capabilities are agreed carry no SQLSTATE, whatever the client will say.
  if (capabilities & Capability.CLIENT_PROTOCOL_41 && r.peek() === 0x23 /* '#' */ && r.remaining >= 6) {
    r.skip(1, 'the SQLSTATE marker');
    sqlState = r.string(5, 'the SQLSTATE');
  }
  return { code, sqlState, message: r.restString() };
}

/** Writes an ERR packet; the SQLSTATE goes only with CLIENT_PROTOCOL_41 and must be 5 ASCII characters. */
export function encodeErr(err: Pick<ErrPacket, 'code' | 'sqlState' | 'message'>, capabilities: number): Buffer {
  const w = new PayloadWriter('server').int1(Header.Err).int2(err.code);
  if (capabilities & Capability.CLIENT_PROTOCOL_41) {
    if (!/^[\x20-\x7e]{5}$/.test(err.sqlState)) throw protocolError('server', 'ERR packet SQLSTATE must be 5 printable ASCII characters');
    w.string('#').string(err.sqlState);
  }
  return w.string(err.message).finish();
}

export function encodeProgressReport(p: ProgressReport): Buffer {
  return new PayloadWriter('server')
    .int1(Header.Err)
    .int2(PROGRESS_REPORT_CODE)
    .int1(p.stage)
    .int1(p.maxStage)
    .int3(p.progress)
    .lenencString(p.info)
    .finish();
}

export function decodeEof(payload: Buffer, capabilities: number, start = 0, end = payload.length): EofPacket {
  // The EOF of every result set, read without a reader: 0xFE, then the warnings and status flags.
  if (end - start === 5 && payload[start] === Header.Eof && capabilities & Capability.CLIENT_PROTOCOL_41) {
    return { warnings: payload[start + 1]! | (payload[start + 2]! << 8), statusFlags: payload[start + 3]! | (payload[start + 4]! << 8) };
  }
  const r = reader(payload, 'EOF packet', start, end);
  const header = r.int1('the header');
  if (header !== Header.Eof) r.fail(`starts with ${hexByte(header)}, not 0xfe`);
  if (end - start >= 9) r.fail(`is ${end - start} bytes long; an EOF packet is shorter than 9`);
  const eof: EofPacket = { warnings: 0, statusFlags: 0 };
  if (capabilities & Capability.CLIENT_PROTOCOL_41) {
    eof.warnings = r.int2('the warning count');
    eof.statusFlags = r.int2('the status flags');
  }
  r.end();
  return eof;
}

export function encodeEof(eof: EofPacket, capabilities: number): Buffer {
  const w = new PayloadWriter('server').int1(Header.Eof);
  if (capabilities & Capability.CLIENT_PROTOCOL_41) w.int2(eof.warnings).int2(eof.statusFlags);
  return w.finish();
}

/**
 * The packet that ends a result set's rows, as OK fields: an OK packet
 * under CLIENT_DEPRECATE_EOF, else an EOF packet (whose warnings and status
 * flags are all it has).
 */
export function decodeResultSetEnd(payload: Buffer, capabilities: number, start = 0, end = payload.length): OkPacket {
  if (capabilities & Capability.CLIENT_DEPRECATE_EOF) return decodeOk(payload, capabilities, start, end);
  const eof = decodeEof(payload, capabilities, start, end);
  return { header: Header.Eof, affectedRows: 0, lastInsertId: 0, statusFlags: eof.statusFlags, warnings: eof.warnings, info: '' };
}

export function decodeLocalInfileRequest(payload: Buffer): { filename: string } {
  const r = reader(payload, 'LOCAL INFILE request');
  const header = r.int1('the header');
  if (header !== Header.LocalInfile) r.fail(`starts with ${hexByte(header)}, not 0xfb`);
  return { filename: r.restString() };
}

export function encodeLocalInfileRequest(filename: string): Buffer {
  return new PayloadWriter('server').int1(Header.LocalInfile).string(filename).finish();
}
