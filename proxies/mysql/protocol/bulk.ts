/**
 * MariaDB's COM_STMT_BULK_EXECUTE (MariaDB Knowledge Base,
 * "COM_STMT_BULK_EXECUTE"; with MARIADB_CLIENT_STMT_BULK_OPERATIONS): one
 * command runs a prepared statement for many rows of parameters.
 *
 *   0xFA | statement id:int<4> | bulk flags:int<2>
 *   | if SEND_TYPES_TO_SERVER (128): per parameter, type:int<1> flags:int<1> (0x80 unsigned)
 *   | per row, per parameter: indicator:int<1> (0 value, 1 NULL, 2 DEFAULT, 3 IGNORE)
 *     and, for 0, the value in the binary protocol's encoding
 *
 * Rows run to the end of the payload. The server answers with one OK or ERR
 * (a result set per row with SEND_UNIT_RESULTS, which needs
 * MARIADB_CLIENT_BULK_UNIT_RESULTS; the gateway does not offer it).
 *
 * Invariants: pure; a payload cut short (a long packet the framer kept in
 * part) gives the rows that arrived whole and `cut`; any other malformation
 * throws a ProtocolError.
 */
import { Command } from './commands.js';
import type { ParamType } from './statement-commands.js';
import { PayloadWriter } from './payload-writer.js';
import { PayloadReader } from './wire.js';
import { readBinaryValue, writeBinaryValue, type BinaryValue } from './values.js';

export const enum BulkFlag {
  SEND_UNIT_RESULTS = 64,
  SEND_TYPES_TO_SERVER = 128,
}

export const enum Indicator {
  None = 0,
  Null = 1,
  Default = 2,
  Ignore = 3,
}

/** A row's value: a binary value, or what an indicator stands for. */
export type BulkValue = { value: BinaryValue } | { indicator: Indicator.Null | Indicator.Default | Indicator.Ignore };

export interface StmtBulkExecute {
  statementId: number;
  flags: number;
  /** The types sent with this command, or those it was read with. */
  types: ParamType[];
  typesSent: boolean;
  rows: BulkValue[][];
  /** The payload ended inside a row: the rows read are those that arrived whole. */
  cut: boolean;
}

const UNSIGNED = 0x80;

/**
 * Reads a COM_STMT_BULK_EXECUTE of a statement with `paramCount` parameters; `previousTypes`
 * are the types last sent for it (needed when this command does not send them). `cut` says the
 * payload is a kept prefix of a longer packet.
 */
export function decodeStmtBulkExecute(payload: Buffer, paramCount: number, previousTypes?: readonly ParamType[], cut = false): StmtBulkExecute {
  const r = new PayloadReader(payload, 'client', 'COM_STMT_BULK_EXECUTE');
  if (r.int1('the command') !== Command.COM_STMT_BULK_EXECUTE) r.fail('is not COM_STMT_BULK_EXECUTE');
  const statementId = r.int4('the statement id');
  const flags = r.int2('the bulk flags');
  const typesSent = (flags & BulkFlag.SEND_TYPES_TO_SERVER) !== 0;
  let types: ParamType[];
  if (typesSent) {
    types = [];
    for (let i = 0; i < paramCount; i++) {
      const type = r.int1('the parameter type', i);
      const f = r.int1('the parameter flags', i);
      types.push({ type, unsigned: (f & UNSIGNED) !== 0 });
    }
  } else if (previousTypes && previousTypes.length >= paramCount) {
    types = previousTypes.slice(0, paramCount);
  } else {
    types = [];
    r.fail('sends no parameter types and none were sent before');
  }
  const rows: BulkValue[][] = [];
  let partial = false;
  while (r.remaining > 0 && paramCount > 0) {
    try {
      const row: BulkValue[] = [];
      for (let i = 0; i < paramCount; i++) {
        const indicator = r.int1('the indicator', i);
        if (indicator === Indicator.None) row.push({ value: readBinaryValue(r, types[i]!.type, types[i]!.unsigned, i) });
        else if (indicator === Indicator.Null || indicator === Indicator.Default || indicator === Indicator.Ignore) row.push({ indicator });
        else r.fail(`has an unknown indicator ${indicator} for parameter ${i}`);
      }
      rows.push(row);
    } catch (err) {
      // Only a kept prefix may end inside a row.
      if (!cut) throw err;
      partial = true;
      break;
    }
  }
  return { statementId, flags, types, typesSent, rows, cut: partial || (cut && r.remaining === 0) };
}

/** Writes a COM_STMT_BULK_EXECUTE (for tests and fixtures). */
export function encodeStmtBulkExecute(statementId: number, types: readonly ParamType[], rows: readonly BulkValue[][], sendTypes = true): Buffer {
  const w = new PayloadWriter('client').int1(Command.COM_STMT_BULK_EXECUTE).int4(statementId).int2(sendTypes ? BulkFlag.SEND_TYPES_TO_SERVER : 0);
  if (sendTypes) for (const t of types) w.int1(t.type).int1(t.unsigned ? UNSIGNED : 0);
  for (const row of rows) {
    row.forEach((v, i) => {
      if ('indicator' in v) w.int1(v.indicator);
      else {
        w.int1(Indicator.None);
        if (v.value !== null) writeBinaryValue(w, 'client', types[i]!.type, types[i]!.unsigned, v.value);
      }
    });
  }
  return w.finish();
}
