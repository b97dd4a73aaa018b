/**
 * What recording a database session costs per transaction, without sockets:
 * the wire bytes of a pgbench or sysbench transaction (built with the
 * protocol encoders, shaped as those clients send them) are fed through the
 * gateway's own relay (proxies/wire/relay.ts with the PostgreSQL or MySQL
 * protocol), its observer, a real Session and Recorder sealing into a
 * LocalStore, many times over, and the process' CPU time is divided by the
 * transactions. No socket, no other process: the figure moves little with
 * the machine's load, so it shows what a change to the recording path is
 * worth where the socket benches (bench/postgres.ts, bench/mysql.ts) are
 * too noisy.
 *
 *   node dist/bench/record-path.js [--transactions 20000] [--runs 5] [--only pg-select,my-read] [--sessions 1,10,100]
 *
 *   pg-select, pg-tpcb, my-point, my-read   as pgbench -S, pgbench's TPC-B-like mix, sysbench
 *                                           oltp_point_select and oltp_read_only send them
 *                                           (each statement on one of sysbench's four tables)
 *   pg-big, my-big                          one 100 000-row select: rows past the cap counted
 *                                           (these run --transactions / 1000 times)
 *
 * With --sessions N the transactions go round-robin to N sessions open at
 * once, as N busy clients interleave theirs: what a session's state costs
 * when the others' pass between two of its statements. The sessions' ends
 * fall inside the measured time (3-4 ms of CPU each with the local store:
 * last chunks, final checkpoint, closing files): give each session 2 000
 * transactions or more (--transactions 1000000 at 500) to amortise them.
 *
 * Each workload is run twice: recorded, and unrecorded (the session's
 * recording refused, so the relay and the observer run and nothing is
 * sealed or stored): the difference is what the recorder costs.
 *
 * Each run opens a session, relays its transactions (yielding to the event
 * loop every 50, so the store's writes and timers run as they would, and
 * waiting for 'drain' whenever the recording is behind its store, as the
 * relay stops reading then), ends the session and waits for the recording to
 * be finalized; the table shows the median and best run, and the bytes
 * recorded per transaction.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { benchArgs } from './args.js';
import type { TargetConfig } from '../src/config/index.js';
import { silentLogger } from '../src/log.js';
import { Recorder } from '../src/recording/recorder.js';
import { generateAuditorKey } from '../src/seal/keys.js';
import { generateSigningKey } from '../src/seal/signing.js';
import { defaultSodium } from '../src/seal/sodium.js';
import { Session, type SessionEnd } from '../src/session/session.js';
import { LocalStore } from '../src/store/local.js';
import { encodeQuery as encodeMyQuery, encodeStmtExecute, encodeStmtPrepare, encodeStmtPrepareOk } from '../proxies/mysql/protocol/commands.js';
import { writePacket } from '../proxies/mysql/protocol/framer.js';
import { Capability as C } from '../proxies/mysql/protocol/handshake.js';
import { encodeEof, encodeOk } from '../proxies/mysql/protocol/packets.js';
import { ColumnFlag, encodeBinaryRow, encodeColumnCount, encodeColumnDefinition, encodeTextRow, type ColumnDefinition } from '../proxies/mysql/protocol/resultset.js';
import { ColumnType } from '../proxies/mysql/protocol/values.js';
import { mysqlRelay } from '../proxies/mysql/relay.js';
import { postgresRelay } from '../proxies/postgres/relay.js';
import { StandInSocket } from '../proxies/wire/stand-in-socket.js';

/** One round trip: what the client sends, then what the server answers. */
type Exchange = [client: Buffer, server: Buffer];

interface Workload {
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

// --- MySQL packets, as sysbench sends them with server-side prepared statements

const CAPS = C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS | C.CLIENT_SECURE_CONNECTION | C.CLIENT_MULTI_STATEMENTS | C.CLIENT_MULTI_RESULTS | C.CLIENT_PS_MULTI_RESULTS | C.CLIENT_PLUGIN_AUTH;

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

const WORKLOADS = [pgSelectOnly, pgTpcb, myPointSelect, myReadOnly, pgBig, myBig];

// --- running

const sodium = defaultSodium();
const auditor = generateAuditorKey(sodium);
const signer = generateSigningKey(sodium);

function targetConfig(protocol: Workload['protocol'], recorded: boolean): TargetConfig {
  return {
    name: 'db01',
    protocol,
    host: '127.0.0.1',
    port: 5432,
    login: { user: 'app', password: null, privateKey: null, passphrase: null },
    recording: { keystrokes: true, required: recorded },
    limits: { idleTimeout: null, maxDuration: null },
    recipients: [{ name: 'officer', publicKey: auditor.publicKey, line: '' }],
    options: {},
  } as unknown as TargetConfig;
}

interface RunResult {
  cpuUsPerTx: number;
  recordedBytesPerTx: number;
}

interface Relayed {
  session: Session;
  play(exchanges: Exchange[]): void;
  close(): Promise<SessionEnd>;
}

async function openRelayed(w: Workload, store: LocalStore, recorded: boolean): Promise<Relayed> {
  const session = await Session.open(
    {
      log: silentLogger(),
      startRecording: (who) =>
        !recorded
          ? Promise.reject(new Error('not recorded'))
          : Recorder.start({ store, sodium, signer, recipients: [{ name: 'officer', publicKey: auditor.publicKey }], log: silentLogger() }, who, {
          flushInterval: 1000,
          chunkSize: 64 * 1024,
          checkpointInterval: 10_000,
          keystrokes: true,
        }),
    },
    { user: 'alice', clientAddress: '127.0.0.1' },
    targetConfig(w.protocol, recorded),
  );
  const client = new StandInSocket();
  const server = new StandInSocket();
  const relay =
    w.protocol === 'postgres'
      ? postgresRelay(client.asSocket, server.asSocket, session, { database: 'app', maxRows: 100, parameters: new Map([['is_superuser', 'off']]) })
      : mysqlRelay(client.asSocket, server.asSocket, session, { database: 'app', maxRows: 100, capabilities: CAPS });
  relay.start(Buffer.alloc(0), Buffer.alloc(0));
  const play = (exchanges: Exchange[]): void => {
    for (const [request, answer] of exchanges) {
      client.emit('data', request);
      server.emit('data', answer);
    }
  };
  play(w.setup);
  const close = (): Promise<SessionEnd> => {
    client.emit('close');
    server.emit('close');
    return session.end('closed');
  };
  return { session, play, close };
}

/** Where asRead copies bytes: as the gateway's reads do, chunks are views of large buffers off V8's heap. */
let readSlab = new ArrayBuffer(0);
let readSlabUsed = 0;

/**
 * `bytes` as a socket read hands them over: a view of a large buffer off V8's heap. A Buffer of
 * 64 bytes or fewer made on its own lives on V8's heap, and the first view taken of one (the
 * framers take them) costs V8 a copy of it off the heap, which no socket read costs.
 */
function asRead(bytes: Buffer): Buffer {
  if (readSlab.byteLength - readSlabUsed < bytes.length) {
    readSlab = new ArrayBuffer(Math.max(1 << 20, bytes.length));
    readSlabUsed = 0;
  }
  const view = Buffer.from(readSlab, readSlabUsed, bytes.length);
  bytes.copy(view);
  readSlabUsed += bytes.length;
  return view;
}

/** `transactions` in all, spread round-robin over `sessions` relayed sessions. */
async function runOnce(w: Workload, store: LocalStore, transactions: number, recorded: boolean, sessions: number): Promise<RunResult> {
  const relayed: Relayed[] = [];
  for (let k = 0; k < sessions; k++) relayed.push(await openRelayed(w, store, recorded));
  // The transactions' bytes are built before the clock starts: building them is the client's work.
  const batch = Array.from({ length: w.name.includes('big') ? 1 : 500 }, (_, i) => w.transaction(i).map(([client, server]): Exchange => [asRead(client), asRead(server)]));
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < transactions; i++) {
    const { session, play } = relayed[i % sessions]!;
    play(batch[i % batch.length]!);
    // As the relay does: no more reads while the recording is behind its store.
    if (!session.writable) await once(session, 'drain');
    else if (i % 50 === 49) await yieldLoop();
  }
  const ends = await Promise.all(relayed.map((r) => r.close()));
  const cpu = process.cpuUsage(cpu0);
  if (!recorded) return { cpuUsPerTx: (cpu.user + cpu.system) / transactions, recordedBytesPerTx: 0 };
  let size = 0;
  for (const end of ends) {
    if (!end.recording?.ok) throw new Error(`the recording failed: ${end.recording?.error?.message ?? 'no recording'}`);
    size += (await store.get(end.recording.id))?.bytes ?? 0;
  }
  return { cpuUsPerTx: (cpu.user + cpu.system) / transactions, recordedBytesPerTx: size / transactions };
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: { transactions: { type: 'string', default: '20000' }, runs: { type: 'string', default: '5' }, only: { type: 'string', default: '' }, sessions: { type: 'string', default: '1' } } });
  const transactions = Number(values.transactions);
  const runs = Number(values.runs);
  const only = values.only ? values.only.split(',') : undefined;
  const sessionCounts = values.sessions.split(',').map(Number);
  const dir = await mkdtemp(join(tmpdir(), 'recgate-record-path-'));
  try {
    const store = new LocalStore(dir);
    console.log('recgate recording path: transactions fed through the relay, observer, session and recorder in one process, no sockets');
    console.log(`${transactions} transactions per run (mysql-ish read_only: 16 statements, 301 rows), ${runs} runs after one warm-up; maxRows 100\n`);
    const head = ['workload', 'sessions', 'median CPU µs/tx', 'best CPU µs/tx', 'unrecorded median', 'unrecorded best', 'recorded bytes/tx'];
    const rows: string[][] = [];
    for (const w of WORKLOADS.filter((x) => !only || only.some((o) => x.name.startsWith(o)))) for (const sessions of sessionCounts) {
      const measure = async (recorded: boolean): Promise<RunResult[]> => {
        const results: RunResult[] = [];
        for (let r = 0; r <= runs; r++) {
          const n = w.name.includes('big') ? Math.max(1, Math.round(transactions / 1000)) : transactions;
          const result = await runOnce(w, store, r === 0 ? Math.min(2000, n) : n, recorded, sessions);
          if (r > 0) results.push(result);
        }
        return results.sort((a, b) => a.cpuUsPerTx - b.cpuUsPerTx);
      };
      const recorded = await measure(true);
      const bare = await measure(false);
      const median = (rs: RunResult[]): string => rs[Math.floor(rs.length / 2)]!.cpuUsPerTx.toFixed(1);
      rows.push([w.name, String(sessions), median(recorded), recorded[0]!.cpuUsPerTx.toFixed(1), median(bare), bare[0]!.cpuUsPerTx.toFixed(1), recorded[0]!.recordedBytesPerTx.toFixed(0)]);
    }
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(line(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) console.log(line(r));
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
