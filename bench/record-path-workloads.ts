/**
 * The wire bytes of the transactions bench/record-path.ts feeds through the
 * gateway's relays: each a list of round trips (what the client sends, what
 * the server answers), built with the protocol encoders and shaped as
 * pgbench (simple query protocol, -M prepared, and its mix as pgx sends it) and sysbench (server-side prepared
 * statements over four tables) send and receive them.
 */
import { encodeQuery as encodeMyQuery } from '../proxies/mysql/protocol/query-command.js';
import { encodeStmtExecute, encodeStmtPrepare, encodeStmtPrepareOk } from '../proxies/mysql/protocol/statement-commands.js';
import { writePacket } from '../proxies/mysql/protocol/framer.js';
import { Capability as C } from '../proxies/mysql/protocol/capabilities.js';
import { encodeEof, encodeOk } from '../proxies/mysql/protocol/packets.js';
import { ColumnFlag, encodeBinaryRow, encodeColumnCount, encodeColumnDefinition, encodeTextRow, type ColumnDefinition } from '../proxies/mysql/protocol/resultset.js';
import { ColumnType } from '../proxies/mysql/protocol/values.js';

/** One round trip: what the client sends, then what the server answers. */
export type Exchange = [client: Buffer, server: Buffer];

export interface Workload {
  name: string;
  protocol: 'postgres' | 'mysql';
  /** Round trips once per session before the transactions (prepares). */
  setup: Exchange[];
  /** One transaction's round trips; `i` varies the values. */
  transaction(i: number): Exchange[];
}

// --- PostgreSQL messages, simple query protocol as pgbench -M simple sends them

function pgMessage(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');
const int16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

function pgRowDescription(columns: { name: string; oid: number }[]): Buffer {
  return pgMessage('T', Buffer.concat([int16(columns.length), ...columns.map((c) => Buffer.concat([cstr(c.name), int32(0), int16(0), int32(c.oid), int16(4), int32(-1), int16(0)]))]));
}
function pgDataRow(values: string[]): Buffer {
  return pgMessage('D', Buffer.concat([int16(values.length), ...values.map((v) => Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v)]))]));
}
const pgQuery = (sql: string): Buffer => pgMessage('Q', cstr(sql));
const pgReady = (status: string): Buffer => pgMessage('Z', Buffer.from(status, 'latin1'));
const pgComplete = (tag: string): Buffer => pgMessage('C', cstr(tag));

function pgStatement(sql: string, tag: string, status: string, result?: { columns: { name: string; oid: number }[]; rows: string[][] }): Exchange {
  const answer = result ? [pgRowDescription(result.columns), ...result.rows.map(pgDataRow)] : [];
  return [pgQuery(sql), Buffer.concat([...answer, pgComplete(tag), pgReady(status)])];
}

const INT4 = 23;

const pgSelectOnly: Workload = {
  name: 'pg-select (pgbench -S)',
  protocol: 'postgres',
  setup: [],
  transaction: (i) => [pgStatement(`SELECT abalance FROM pgbench_accounts WHERE aid = ${(i * 7919) % 1_000_000};`, 'SELECT 1', 'I', { columns: [{ name: 'abalance', oid: INT4 }], rows: [[String(i % 5000)]] })],
};

const pgTpcb: Workload = {
  name: 'pg-tpcb (pgbench default)',
  protocol: 'postgres',
  setup: [],
  transaction: (i) => {
    const aid = (i * 7919) % 1_000_000;
    const delta = (i % 10_000) - 5000;
    return [
      pgStatement('BEGIN;', 'BEGIN', 'T'),
      pgStatement(`UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid};`, 'UPDATE 1', 'T'),
      pgStatement(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`, 'SELECT 1', 'T', { columns: [{ name: 'abalance', oid: INT4 }], rows: [[String(delta)]] }),
      pgStatement(`UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${i % 100};`, 'UPDATE 1', 'T'),
      pgStatement(`UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = ${i % 10};`, 'UPDATE 1', 'T'),
      pgStatement(`INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${i % 100}, ${i % 10}, ${aid}, ${delta}, CURRENT_TIMESTAMP);`, 'INSERT 0 1', 'T'),
      pgStatement('END;', 'COMMIT', 'I'),
    ];
  },
};

// --- PostgreSQL's extended protocol, as pgbench -M prepared (libpq's PQprepare, then PQexecPrepared) sends it

const PGBENCH_TPCB = [
  'BEGIN;',
  'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;',
  'SELECT abalance FROM pgbench_accounts WHERE aid = $1;',
  'UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;',
  'UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2;',
  'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP);',
  'END;',
];
const pgSync = pgMessage('S', Buffer.alloc(0));

/** Parse of statement P_k with no parameter types given, then Sync: ParseComplete, ReadyForQuery. */
const pgPrepare = (k: number): Exchange => [Buffer.concat([pgMessage('P', Buffer.concat([cstr(`P_${k}`), cstr(PGBENCH_TPCB[k]!), int16(0)])), pgSync]), Buffer.concat([pgMessage('1', Buffer.alloc(0)), pgReady('I')])];

/**
 * Bind of `statement` to the unnamed portal with text parameters, Describe of the portal,
 * Execute, Sync; `balance`, the row the SELECT returns.
 */
function pgExecute(statement: string, params: number[], tag: string, status: string, balance?: number): Exchange {
  const values = params.map((p) => Buffer.from(String(p)));
  const bind = pgMessage('B', Buffer.concat([cstr(''), cstr(statement), int16(0), int16(values.length), ...values.flatMap((v) => [int32(v.length), v]), int16(0)]));
  const request = Buffer.concat([bind, pgMessage('D', Buffer.from('P\0')), pgMessage('E', Buffer.concat([cstr(''), int32(0)])), pgSync]);
  const described = balance === undefined ? [pgMessage('n', Buffer.alloc(0))] : [pgRowDescription([{ name: 'abalance', oid: INT4 }]), pgDataRow([String(balance)])];
  return [request, Buffer.concat([pgMessage('2', Buffer.alloc(0)), ...described, pgComplete(tag), pgReady(status)])];
}

/** pgbench's TPC-B-like transaction `i`: each statement's parameters, in PGBENCH_TPCB's order, and the balance its SELECT returns. */
function tpcbValues(i: number): { params: number[][]; balance: number } {
  const aid = (i * 7919) % 1_000_000;
  const delta = (i % 10_000) - 5000;
  return { params: [[], [delta, aid], [aid], [delta, i % 100], [delta, i % 10], [i % 100, i % 10, aid, delta], []], balance: delta };
}
/** Each statement's command tag; all but the last leave the transaction open. */
const TPCB_TAGS = ['BEGIN', 'UPDATE 1', 'SELECT 1', 'UPDATE 1', 'UPDATE 1', 'INSERT 0 1', 'COMMIT'];
const TPCB_SELECT = 2;

/**
 * pgbench's TPC-B-like transaction `i`, each statement `k` as `send` puts it on the wire: its
 * parameters, its tag, the transaction status after it, and the balance the SELECT returns.
 */
function tpcbTransaction(i: number, send: (k: number, params: number[], tag: string, status: string, balance?: number) => Exchange): Exchange[] {
  const { params, balance } = tpcbValues(i);
  return params.map((p, k) => send(k, p, TPCB_TAGS[k]!, k === TPCB_TAGS.length - 1 ? 'I' : 'T', k === TPCB_SELECT ? balance : undefined));
}

const pgTpcbPrepared: Workload = {
  name: 'pg-prep (pgbench default, -M prepared)',
  protocol: 'postgres',
  setup: PGBENCH_TPCB.map((_, k) => pgPrepare(k)),
  transaction: (i) => tpcbTransaction(i, (k, ...answer) => pgExecute(`P_${k}`, ...answer)),
};

/**
 * The same mix as pgbench -M extended sends it (libpq's PQexecParams, and how node-postgres and
 * psycopg run a statement with parameters): each statement parsed as the unnamed statement, its
 * parameters' types left to the server, then bound, described, executed and synced.
 */
const pgTpcbExtended: Workload = {
  name: 'pg-ext (pgbench default, -M extended)',
  protocol: 'postgres',
  setup: [],
  transaction: (i) =>
    tpcbTransaction(i, (k, params, ...answer) => {
      const [request, response] = pgExecute('', params, ...answer);
      const parse = pgMessage('P', Buffer.concat([cstr(''), cstr(PGBENCH_TPCB[k]!), int16(params.length), ...params.map(() => int32(0))]));
      return [Buffer.concat([parse, request]), Buffer.concat([pgMessage('1', Buffer.alloc(0)), response])];
    }),
};

// --- The same mix as pgx sends it: binary parameters and results, statements described once

/** Parse of statement P_k, Describe of it, Sync: ParseComplete, ParameterDescription, RowDescription or NoData, ReadyForQuery. */
function pgxPrepare(k: number): Exchange {
  const params = tpcbValues(0).params[k]!.length;
  const request = Buffer.concat([pgMessage('P', Buffer.concat([cstr(`P_${k}`), cstr(PGBENCH_TPCB[k]!), int16(0)])), pgMessage('D', Buffer.concat([Buffer.from('S'), cstr(`P_${k}`)])), pgSync]);
  const types = pgMessage('t', Buffer.concat([int16(params), ...Array.from({ length: params }, () => int32(INT4))]));
  const columns = k === TPCB_SELECT ? pgRowDescription([{ name: 'abalance', oid: INT4 }]) : pgMessage('n', Buffer.alloc(0));
  return [request, Buffer.concat([pgMessage('1', Buffer.alloc(0)), types, columns, pgReady('I')])];
}

/** Bind of P_k with its int4 values and results in binary, Execute, Sync (no Describe: the statement's was kept). */
function pgxExecute(k: number, params: number[], tag: string, status: string, row?: number): Exchange {
  const binary = int16(1);
  const bind = pgMessage('B', Buffer.concat([cstr(''), cstr(`P_${k}`), int16(params.length), ...params.map(() => binary), int16(params.length), ...params.flatMap((p) => [int32(4), int32(p)]), int16(1), binary]));
  const request = Buffer.concat([bind, pgMessage('E', Buffer.concat([cstr(''), int32(0)])), pgSync]);
  const rows = row === undefined ? [] : [pgMessage('D', Buffer.concat([int16(1), int32(4), int32(row)]))];
  return [request, Buffer.concat([pgMessage('2', Buffer.alloc(0)), ...rows, pgComplete(tag), pgReady(status)])];
}

const pgTpcbBinary: Workload = {
  name: 'pg-bin (pgbench default, as pgx sends it)',
  protocol: 'postgres',
  setup: PGBENCH_TPCB.map((_, k) => pgxPrepare(k)),
  transaction: (i) => tpcbTransaction(i, pgxExecute),
};

// --- MySQL packets, as sysbench sends them with server-side prepared statements

export const CAPS = C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS | C.CLIENT_SECURE_CONNECTION | C.CLIENT_MULTI_STATEMENTS | C.CLIENT_MULTI_RESULTS | C.CLIENT_PS_MULTI_RESULTS | C.CLIENT_PLUGIN_AUTH;

/** sysbench's --tables: every statement is prepared for each table, and each execute picks one. */
const TABLES = 4;

function myColumn(name: string, type: number, table: string): ColumnDefinition {
  const numeric = type !== ColumnType.STRING;
  return { catalog: 'def', schema: 'app', table, orgTable: table, name, orgName: name, charset: numeric ? 63 : 45, columnLength: numeric ? 11 : 480, type, flags: numeric ? ColumnFlag.NUM : 0, decimals: 0 };
}

const packets = (payloads: Buffer[], firstSeq: number): Buffer => Buffer.concat(payloads.map((p, i) => writePacket(p, firstSeq + i)));
const eof = (): Buffer => encodeEof({ warnings: 0, statusFlags: 0 }, CAPS);

interface MyStatement {
  id: number;
  sql: string;
  params: number;
  columns: ColumnDefinition[];
}

/** oltp_read_only's statements on table `table` (1-based), with the ids sysbench's order of preparing gives them. */
function tableStatements(table: number): MyStatement[] {
  const t = `sbtest${table}`;
  const c = [myColumn('c', ColumnType.STRING, t)];
  const id = (k: number): number => (table - 1) * 5 + k;
  return [
    { id: id(1), sql: `SELECT c FROM ${t} WHERE id=?`, params: 1, columns: c },
    { id: id(2), sql: `SELECT c FROM ${t} WHERE id BETWEEN ? AND ?`, params: 2, columns: c },
    { id: id(3), sql: `SELECT SUM(k) FROM ${t} WHERE id BETWEEN ? AND ?`, params: 2, columns: [myColumn('SUM(k)', ColumnType.NEWDECIMAL, t)] },
    { id: id(4), sql: `SELECT c FROM ${t} WHERE id BETWEEN ? AND ? ORDER BY c`, params: 2, columns: c },
    { id: id(5), sql: `SELECT DISTINCT c FROM ${t} WHERE id BETWEEN ? AND ? ORDER BY c`, params: 2, columns: c },
  ];
}
const STMTS = Array.from({ length: TABLES }, (_, t) => tableStatements(t + 1));

function myPrepare(s: MyStatement): Exchange {
  const param = myColumn('?', ColumnType.LONGLONG, '');
  const answer = [
    encodeStmtPrepareOk({ statementId: s.id, columnCount: s.columns.length, paramCount: s.params, warnings: 0, metadataFollows: true }, CAPS),
    ...Array.from({ length: s.params }, () => encodeColumnDefinition(param)),
    eof(),
    ...s.columns.map((c) => encodeColumnDefinition(c)),
    eof(),
  ];
  return [writePacket(encodeStmtPrepare(s.sql), 0), packets(answer, 1)];
}

const cValue = (id: number): string => `${String(id).padStart(11, '0')}-68487932199-96439406143-93774651418-41631865787-96406072701-20604855487-25459966574-28203206787`;

function myExecute(s: MyStatement, params: number[], rows: (string | Buffer)[][]): Exchange {
  const request = encodeStmtExecute({ statementId: s.id, flags: 0, iterationCount: 1 }, params.map((v) => ({ type: ColumnType.LONG, unsigned: false, value: v })), CAPS);
  const answer = [encodeColumnCount(s.columns.length, CAPS), ...s.columns.map((c) => encodeColumnDefinition(c)), eof(), ...rows.map((r) => encodeBinaryRow(r, s.columns)), eof()];
  return [writePacket(request, 0), packets(answer, 1)];
}

function myText(sql: string): Exchange {
  return [writePacket(encodeMyQuery(sql, CAPS), 0), writePacket(encodeOk({}, CAPS), 1)];
}

/** Statement `kind` (0-based in tableStatements) on the table the `pick`th choice lands on. */
const statement = (kind: number, pick: number): MyStatement => STMTS[(pick * 7919) % TABLES]![kind]!;
const pointSelect = (id: number, pick: number): Exchange => myExecute(statement(0, pick), [id], [[cValue(id)]]);
const range = (from: number, n: number): string[][] => Array.from({ length: n }, (_, k) => [cValue(from + k)]);

const myPointSelect: Workload = {
  name: 'my-point (oltp_point_select)',
  protocol: 'mysql',
  setup: STMTS.map((table) => myPrepare(table[0]!)),
  transaction: (i) => [pointSelect((i * 7919) % 10_000, i)],
};

const myReadOnly: Workload = {
  name: 'my-read (oltp_read_only)',
  protocol: 'mysql',
  setup: STMTS.flat().map(myPrepare),
  transaction: (i) => {
    const at = (k: number): number => (i * 7919 + k * 104_729) % 9_900;
    const pick = (k: number): number => i * 16 + k;
    return [
      myText('BEGIN'),
      ...Array.from({ length: 10 }, (_, k) => pointSelect(at(k), pick(k))),
      myExecute(statement(1, pick(10)), [at(10), at(10) + 99], range(at(10), 100)),
      myExecute(statement(2, pick(11)), [at(11), at(11) + 99], [[Buffer.from('503829')]]),
      myExecute(statement(3, pick(12)), [at(12), at(12) + 99], range(at(12), 100)),
      myExecute(statement(4, pick(13)), [at(13), at(13) + 99], range(at(13), 100)),
      myText('COMMIT'),
    ];
  },
};

/** One SELECT of BIG_ROWS rows (an int and a 20-character text): all but recording.maxRows only counted. */
const BIG_ROWS = 100_000;
const TEXT = 25;

const pgBig: Workload = {
  name: 'pg-big (100 000-row select)',
  protocol: 'postgres',
  setup: [],
  transaction: () => [
    pgStatement(`SELECT g, repeat('x', 20) FROM generate_series(1, ${BIG_ROWS}) g`, `SELECT ${BIG_ROWS}`, 'I', {
      columns: [
        { name: 'g', oid: INT4 },
        { name: 'repeat', oid: TEXT },
      ],
      rows: Array.from({ length: BIG_ROWS }, (_, k) => [String(k + 1), 'xxxxxxxxxxxxxxxxxxxx']),
    }),
  ],
};

const myBig: Workload = {
  name: 'my-big (100 000-row select)',
  protocol: 'mysql',
  setup: [],
  transaction: () => {
    const columns = [myColumn('seq', ColumnType.LONGLONG, `seq_1_to_${BIG_ROWS}`), myColumn('pad', ColumnType.STRING, '')];
    const rows = Array.from({ length: BIG_ROWS }, (_, k) => encodeTextRow([String(k + 1), 'xxxxxxxxxxxxxxxxxxxx']));
    const answer = [encodeColumnCount(columns.length, CAPS), ...columns.map((c) => encodeColumnDefinition(c)), eof(), ...rows, eof()];
    return [[writePacket(encodeMyQuery(`SELECT seq, REPEAT('x', 20) FROM seq_1_to_${BIG_ROWS}`, CAPS), 0), packets(answer, 1)]];
  },
};

export const WORKLOADS = [pgSelectOnly, pgTpcb, pgTpcbPrepared, pgTpcbExtended, pgTpcbBinary, myPointSelect, myReadOnly, pgBig, myBig];
