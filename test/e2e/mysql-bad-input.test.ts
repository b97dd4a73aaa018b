/**
 * Bad input to the MySQL proxy from either side, end to end (a real MariaDB
 * spawned by the test, the gateway as `recgate start`): malformed, garbage
 * and fuzzed packets from clients before and after login, and hostile
 * targets (RogueMysql) that ask for a client's file, send a malformed
 * greeting or a broken column count. Each costs only its own connection.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { ALICE_PASSWORD, MyGateway } from '../fixtures/my-gateway.js';
import { RogueMysql } from '../fixtures/rogue-mysql.js';

let g: MyGateway;
let rogue: RogueMysql;
let garbled: RogueMysql;
/** What the hostile target asks the client for. */
const SECRET_FILE = join(tmpdir(), `recgate-secret-${process.pid}.txt`);
const SECRET = 'the contents of a private file\n';

before(async () => {
  await writeFile(SECRET_FILE, SECRET);
  [rogue, garbled] = await Promise.all([RogueMysql.start(SECRET_FILE), RogueMysql.start(SECRET_FILE, { greeting: 'garbage' })]);
  g = await MyGateway.start({
    extraTargets: [
      { name: 'rogue01', port: rogue.port },
      { name: 'garbled01', port: garbled.port },
    ],
  });
});
after(async () => {
  await g?.stop();
  await rogue?.stop();
  await garbled?.stop();
  await rm(SECRET_FILE, { force: true });
});

test('malformed packets close that connection only; the gateway serves others', async () => {
  const answer = await new Promise<Buffer>((resolve) => {
    const s = connect(g.port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (d) => {
      got.push(d);
      // After the greeting: a packet claiming 16 MiB during the login.
      if (got.length === 1) s.write(Buffer.from([0xff, 0xff, 0xff, 0x01, 0x00]));
    });
    s.on('close', () => resolve(Buffer.concat(got)));
    s.on('error', () => undefined);
    setTimeout(() => s.destroy(), 10_000).unref();
  });
  assert.match(answer.toString('latin1'), /08S01recgate: bad handshake/);
  const ok = await g.mariadb(['-e', 'SELECT 42 AS answer']);
  assert.equal(ok.stdout, 'answer\n42\n');
});

test('garbage after login ends that connection only; the gateway serves others', async () => {
  const mysql = (await import('mysql2/promise')).default;
  for (const garbage of [
    // A packet of a command the protocol does not have.
    Buffer.from([0x01, 0x00, 0x00, 0x00, 0xee]),
    // A truncated COM_STMT_EXECUTE for a statement that does not exist.
    Buffer.from([0x05, 0x00, 0x00, 0x00, 0x17, 0x01, 0x00, 0x00, 0x00]),
    // Random bytes: the target sees a nonsense packet and the framer a nonsense length.
    Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff)),
  ]) {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: g.port, user: 'alice+my01', password: ALICE_PASSWORD, database: 'app' });
    const stream = (c as unknown as { connection: { stream: import('node:net').Socket } }).connection.stream;
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    c.on('error', () => undefined);
    stream.write(garbage);
    await Promise.race([closed, c.query('SELECT 1').then(() => undefined, () => undefined)]);
    c.destroy();
  }
  const ok = await g.mariadb(['-e', 'SELECT 7 AS still']);
  assert.equal(ok.stdout, 'still\n7\n');
  // Nothing the gateway did not expect: no error-level log line.
  assert.doesNotMatch(g.log, /"level":50/);
});

test('a target that asks for a file it was not allowed gets nothing, and the session ends with the reason', async () => {
  const before = (await g.recordings()).length;
  // A client willing to send files: only the gateway stands between the target and the file.
  const r = await g.mariadb(['--local-infile=1', '-e', 'SELECT 1'], { login: 'alice+rogue01' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /recgate: mysql\/server: the target asked for the client's file '[^']*recgate-secret-\d+\.txt'/);
  const received = Buffer.concat(rogue.received.flat()).toString('latin1');
  assert.doesNotMatch(received, /the contents of a private file/);
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'error');
  assert.match(g.log, /the target broke the protocol/);
});

test('a target that sends a malformed greeting or column count: the client is told, the statement is recorded, the gateway serves others', async () => {
  let before = (await g.recordings()).length;
  const greeting = await g.mariadb(['-e', 'SELECT 1'], { login: 'alice+garbled01' });
  assert.notEqual(greeting.code, 0);
  assert.match(greeting.stderr, /ERROR 1105 \(HY000\): recgate: login to garbled01 failed: .*server version/);
  assert.equal((await g.recordings()).length, before);

  // The gateway relays what it cannot read (the client judges it, as it would directly) and records the statement.
  before = (await g.recordings()).length;
  const columns = await g.mariadb(['-e', "SELECT 'BROKEN COLUMNS'"], { login: 'alice+rogue01' });
  assert.notEqual(columns.code, 0);
  assert.match(columns.stderr, /ERROR 2013 \(HY000\).*Lost connection/);
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'target-closed');
  const events = await g.events(rec.id);
  assert.ok(events.some((e) => e['type'] === 'query' && e['text'] === "SELECT 'BROKEN COLUMNS'"), JSON.stringify(events));

  const ok = await g.mariadb(['-N', '-e', 'SELECT 42']);
  assert.equal(ok.stdout, '42\n', ok.stderr);
});

/** Opens a raw TCP connection, runs `talk` with each chunk received, and resolves when the gateway closes it (or after `ms`). */
function rawConnection(talk: (chunk: Buffer, socket: import('node:net').Socket) => void, ms = 5000): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = connect(g.port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (d) => {
      got.push(d);
      talk(d, s);
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(got)));
    setTimeout(() => s.destroy(), ms).unref();
  });
}

test('fuzzed login packets and fuzzed commands after login close only their own connection', async () => {
  const logFrom = g.log.length;
  // During the login: random bytes after the greeting, whole or cut short.
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), async (bytes, framed) => {
      const payload = Buffer.from(bytes);
      const packet = framed ? Buffer.concat([Buffer.from([payload.length & 0xff, payload.length >> 8, 0, 1]), payload]) : payload;
      let sent = false;
      await rawConnection((_chunk, s) => {
        if (sent) return;
        sent = true;
        s.write(packet);
        // A packet that promises more than it sends leaves the gateway waiting: the client gives up.
        setTimeout(() => s.destroy(), 300).unref();
      });
    }),
    { numRuns: 40 },
  );
  // After the login: random packets of random commands, then random bytes. COM_DROP_DB (0x06)
  // is left out: the target would drop the test's database, which the gateway may not prevent.
  const mysql = (await import('mysql2/promise')).default;
  const command = fc.integer({ min: 0, max: 255 }).filter((c) => c !== 0x06);
  const packet = fc.tuple(command, fc.uint8Array({ maxLength: 60 }), fc.integer({ min: 0, max: 3 })).map(([c, body, seq]) => {
    const payload = Buffer.concat([Buffer.of(c), body]);
    return Buffer.concat([Buffer.from([payload.length, 0, 0, seq]), payload]);
  });
  await fc.assert(
    fc.asyncProperty(fc.array(packet, { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 20 }), async (packets, tail) => {
      const c = await mysql.createConnection({ host: '127.0.0.1', port: g.port, user: 'alice+my01', password: ALICE_PASSWORD, database: 'app' });
      const stream = (c as unknown as { connection: { stream: import('node:net').Socket } }).connection.stream;
      c.on('error', () => undefined);
      stream.write(Buffer.concat([...packets, Buffer.from(tail)]));
      await new Promise((r) => setTimeout(r, 50));
      c.destroy();
    }),
    { numRuns: 40 },
  );
  const ok = await g.mariadb(['-e', 'SELECT 8 AS still']);
  assert.equal(ok.stdout, 'still\n8\n');
  const log = g.log.slice(logFrom);
  // Each was the client's fault: nothing at error level, no internal error.
  assert.doesNotMatch(log, /"level":(50|60)/);
});
