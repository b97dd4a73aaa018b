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
 *   node dist/bench/record-path.js [--transactions 20000] [--runs 5] [--only pg-select,my-read] [--sessions 1,10,100] [--wire]
 *                                  [--half recorded|unrecorded] [--flush-ms 1000] [--checkpoint-ms 10000]
 *                                  [--large-hash openssl|libsodium] [--chunk-kib 64]
 *
 *   pg-select, pg-tpcb, my-point, my-read   as pgbench -S, pgbench's TPC-B-like mix, sysbench
 *                                           oltp_point_select and oltp_read_only send them
 *                                           (each statement on one of sysbench's four tables)
 *   pg-prep, pg-ext, pg-bin                 pgbench's mix as -M prepared and -M extended send it,
 *                                           and as pgx does (binary values, described once)
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
 * sealed or stored): the difference is what the recorder costs. The two
 * share a process, so the second half runs on the first's heap and
 * compiled code; `--half recorded` or `--half unrecorded` runs one alone
 * (run the bench twice to compare them each in a fresh process, or to
 * profile one).
 *
 * With --wire, no relay and no observer: each statement's query event (its
 * text only) and the server's answer as its wire bytes (Session.output) are
 * recorded, and the bytes written on: the floor of a recording that keeps a
 * result set as the server sent it and lays its table out only when it is
 * read, against what laying it out as it passes costs.
 *
 * --flush-ms and --checkpoint-ms set the recorder's flushInterval and checkpointInterval (the
 * gateway's defaults: a flush a second, a checkpoint every 10 s). bench/instructions.ts sets
 * both to an hour, so that what it counts per transaction does not depend on how long a
 * transaction takes under valgrind. --large-hash names the library that computes the chunk
 * digests, which the gateway otherwise picks by timing both at first use.
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
import { asRead, openSession } from './in-process.js';
import { CAPS, WORKLOADS, type Exchange, type Workload } from './record-path-workloads.js';
import { setLargeHashBackend, type LargeHashBackend } from '../src/seal/sodium-native.js';
import type { Session, SessionEnd } from '../src/session/session.js';
import { queryEvent } from '../src/transcript/query-event.js';
import { LocalStore } from '../src/store/local.js';
import { mysqlRelay } from '../proxies/mysql/relay.js';
import { postgresRelay } from '../proxies/postgres/relay.js';
import { TRANSCRIPT_TERMINAL } from '../proxies/wire/relay.js';
import { StandInSocket } from '../proxies/wire/stand-in-socket.js';

interface RunResult {
  cpuUsPerTx: number;
  recordedBytesPerTx: number;
}

interface Relayed {
  session: Session;
  play(exchanges: Exchange[]): void;
  close(): Promise<SessionEnd>;
}

/** The statement's text as a query event would hold it (prepared executes by name only). */
function statementText(request: Buffer, protocol: Workload['protocol']): string {
  if (protocol === 'postgres') return request[0] === 0x51 ? request.toString('utf8', 5, request.length - 1) : 'EXECUTE';
  return request[4] === 0x03 ? request.toString('utf8', 5) : 'EXECUTE';
}

/** The recorder's flush and checkpoint intervals, ms (--flush-ms, --checkpoint-ms), and its chunk size (--chunk-kib). */
const intervals = { flush: 1000, checkpoint: 10_000, chunkSize: 64 * 1024 };

async function openRelayed(w: Workload, store: LocalStore, recorded: boolean, wire = false): Promise<Relayed> {
  const options = { flushInterval: intervals.flush, chunkSize: intervals.chunkSize, checkpointInterval: intervals.checkpoint, keystrokes: true };
  const session = await openSession(store, w.protocol, recorded, options, { terminal: TRANSCRIPT_TERMINAL });
  const client = new StandInSocket();
  const server = new StandInSocket();
  if (wire) {
    // --wire: no observer; each statement's event (its text only), and the server's answer recorded as its bytes.
    const play = (exchanges: Exchange[]): void => {
      for (const [request, answer] of exchanges) {
        server.asSocket.write(request);
        session.queryEvent(queryEvent({ text: statementText(request, w.protocol), durationMs: 0.1 }));
        session.output(answer);
        client.asSocket.write(answer);
      }
    };
    return { session, play, close: () => session.end('closed') };
  }
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

/** `transactions` in all, spread round-robin over `sessions` relayed sessions. */
async function runOnce(w: Workload, store: LocalStore, transactions: number, recorded: boolean, sessions: number, wire = false): Promise<RunResult> {
  const relayed: Relayed[] = [];
  for (let k = 0; k < sessions; k++) relayed.push(await openRelayed(w, store, recorded, wire));
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
  const { values } = benchArgs({ options: { transactions: { type: 'string', default: '20000' }, runs: { type: 'string', default: '5' }, only: { type: 'string', default: '' }, sessions: { type: 'string', default: '1' }, wire: { type: 'boolean', default: false }, half: { type: 'string', default: '' }, 'flush-ms': { type: 'string', default: '1000' }, 'checkpoint-ms': { type: 'string', default: '10000' }, 'chunk-kib': { type: 'string', default: '64' }, 'large-hash': { type: 'string', default: '' } } });
  if (values['large-hash'] !== '') {
    if (!['openssl', 'libsodium'].includes(values['large-hash'])) throw new Error(`--large-hash: openssl or libsodium, not ${values['large-hash']}`);
    setLargeHashBackend(values['large-hash'] as LargeHashBackend);
  }
  intervals.flush = Number(values['flush-ms']);
  intervals.checkpoint = Number(values['checkpoint-ms']);
  intervals.chunkSize = Number(values['chunk-kib']) * 1024;
  const transactions = Number(values.transactions);
  const runs = Number(values.runs);
  const only = values.only ? values.only.split(',') : undefined;
  if (!['', 'recorded', 'unrecorded'].includes(values.half)) throw new Error(`--half: recorded or unrecorded, not ${values.half}`);
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
          const result = await runOnce(w, store, r === 0 ? Math.min(2000, n) : n, recorded, sessions, values.wire);
          if (r > 0) results.push(result);
        }
        return results.sort((a, b) => a.cpuUsPerTx - b.cpuUsPerTx);
      };
      const recorded = values.half === 'unrecorded' ? undefined : await measure(true);
      const bare = values.half === 'recorded' ? undefined : await measure(false);
      const median = (rs: RunResult[] | undefined): string => (rs ? rs[Math.floor(rs.length / 2)]!.cpuUsPerTx.toFixed(1) : '-');
      const best = (rs: RunResult[] | undefined): string => (rs ? rs[0]!.cpuUsPerTx.toFixed(1) : '-');
      rows.push([w.name, String(sessions), median(recorded), best(recorded), median(bare), best(bare), recorded ? recorded[0]!.recordedBytesPerTx.toFixed(0) : '-']);
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
