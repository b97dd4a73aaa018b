/**
 * Flow control of the database relays through the gateway, against a real
 * PostgreSQL and a real MariaDB: a client that stops reading a large result
 * pauses the target (the gateway reads it no further than its own socket
 * buffers, and holds no more meanwhile); once the client reads again the
 * whole result arrives, and the recording counts every row.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { MyGateway } from '../fixtures/my-gateway.js';
import { ALICE_PASSWORD, PgGateway } from '../fixtures/pg-gateway.js';

let pgGateway: PgGateway;
let myGateway: MyGateway;
before(async () => {
  [pgGateway, myGateway] = await Promise.all([PgGateway.start(), MyGateway.start()]);
});
after(() => Promise.all([pgGateway?.stop(), myGateway?.stop()]));

/** Rows of 1 000 characters: 200 MB in all, far more than any buffer on the way holds. */
const ROWS = 200_000;
const PAUSE_AFTER = 8 << 20;

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds, or fails naming `what` after `ms`. */
async function until(ms: number, what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + ms; !(await check()); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
  }
}

/** Counts the bytes `socket` reads, and stops reading it once past PAUSE_AFTER (its other listeners too). */
function readsUntilPaused(socket: Socket): { received: () => number } {
  let received = 0;
  socket.on('data', (d: Buffer) => {
    const first = received <= PAUSE_AFTER;
    received += d.length;
    if (first && received > PAUSE_AFTER) socket.pause();
  });
  return { received: () => received };
}

/**
 * With the client paused: nothing more reaches it, and the gateway's memory (`rssBefore` KiB
 * before the query) has not grown with the result the target still has to send.
 */
async function assertHeldBack(pid: number, rssBefore: number, reads: { received: () => number }): Promise<void> {
  await until(30_000, 'the first 8 MiB of the result', () => reads.received() > PAUSE_AFTER);
  await sleep(1500);
  const received = reads.received();
  await sleep(3000);
  assert.equal(reads.received(), received, 'the client got more while it was not reading');
  // A gateway that reads on holds the rest of the 200 MB result (about 190 MiB more); one that
  // holds back grows by what passed through and its own buffers (15-17 MiB here).
  const growth = rssKiB(pid) - rssBefore;
  assert.ok(growth < 64 * 1024, `gateway RSS grew ${growth} KiB over the query while the client was not reading`);
}

/** Counts the rows `query` emits as `rowEvent`; `done` settles when it ends. */
function counting(query: EventEmitter, rowEvent: string): { rows: () => number; done: Promise<void> } {
  let rows = 0;
  query.on(rowEvent, () => rows++);
  const done = new Promise<void>((resolve, reject) => {
    query.on('end', () => resolve());
    query.on('error', reject);
  });
  return { rows: () => rows, done };
}

test('PostgreSQL: a client that stops reading a large result holds the target back; reading again, it gets every row, all counted in the recording', async () => {
  const before = (await pgGateway.recordings()).length;
  const client = new pg.Client({ host: '127.0.0.1', port: pgGateway.port, user: 'alice+pg01', password: ALICE_PASSWORD, database: 'app', ssl: false });
  await client.connect();
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  const reads = readsUntilPaused(socket);
  const pid = pgGateway.daemonProcess.pid!;
  const rssBefore = rssKiB(pid);
  const sql = `SELECT repeat('x', 1000) AS filler FROM generate_series(1, ${ROWS})`;
  // Rows come as events, not kept: the client holds none of the 200 MB.
  const query = counting(client.query(new pg.Query(sql)), 'row');
  await assertHeldBack(pid, rssBefore, reads);
  // The target's backend waits to write to the gateway: it was paused, not read into memory.
  const waits = await pgGateway.pg.psql(['-At', '-c', "SELECT wait_event FROM pg_stat_activity WHERE query LIKE 'SELECT repeat%' AND pid <> pg_backend_pid()"]);
  assert.equal(waits.stdout.trim(), 'ClientWrite', waits.stderr);

  socket.resume();
  await query.done;
  assert.equal(query.rows(), ROWS);
  await client.end();
  const rec = await pgGateway.endedRecording(before);
  assert.equal(rec.status, 'complete');
  const event = (await pgGateway.events(rec.id)).find((e) => e['type'] === 'query' && e['text'] === sql);
  assert.ok(event, 'the statement has its event');
  assert.equal(event['rows'], ROWS);
});

test('MySQL: a client that stops reading a large result holds the target back; reading again, it gets every row, all counted in the recording', async () => {
  const before = (await myGateway.recordings()).length;
  const mysql = (await import('mysql2')).default;
  const connection = mysql.createConnection({ host: '127.0.0.1', port: myGateway.port, user: 'alice+my01', password: ALICE_PASSWORD, database: 'app' });
  await new Promise<void>((resolve, reject) => connection.connect((err) => (err ? reject(err) : resolve())));
  const socket = (connection as unknown as { stream: Socket }).stream;
  const reads = readsUntilPaused(socket);
  const pid = myGateway.daemonProcess.pid!;
  const rssBefore = rssKiB(pid);
  const sql = `SELECT REPEAT('x', 1000) AS filler FROM seq_1_to_${ROWS}`;
  // Without a callback mysql2 hands each row to 'result' and keeps none.
  const query = counting(connection.query(sql), 'result');
  await assertHeldBack(pid, rssBefore, reads);

  socket.resume();
  await query.done;
  assert.equal(query.rows(), ROWS);
  await new Promise<void>((resolve) => connection.end(() => resolve()));
  const rec = await myGateway.endedRecording(before);
  assert.equal(rec.status, 'complete');
  const event = (await myGateway.events(rec.id)).find((e) => e['type'] === 'query' && e['text'] === sql);
  assert.ok(event, 'the statement has its event');
  assert.equal(event['rows'], ROWS);
});
