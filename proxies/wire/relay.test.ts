/**
 * The database relay's ordering rules, without sockets (relay-harness.ts): reads the test
 * emits, several in one turn of the event loop as a busy socket gives them, through the
 * PostgreSQL protocol into a real recording.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeErrorResponse } from '../postgres/protocol/backend.js';
import { postgresProtocol, postgresRelay } from '../postgres/relay.js';
import type { FrameSink } from '../postgres/protocol/framer.js';
import { DatabaseRelay } from './relay.js';
import type { Observer } from './relay-protocol.js';
import { recorded, relayed as relayedBy, type Harness } from './relay-harness.js';

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const query = (sql: string): Buffer => message('Q', Buffer.from(`${sql}\0`));
/** A Query whose length field (3) is below the smallest a message can have (4). */
const MALFORMED = Buffer.from([0x51, 0, 0, 0, 3]);
/** A DataRow whose length field (2) is below 4: the target broke the protocol. */
const ROGUE_ANSWER = Buffer.from([0x44, 0, 0, 0, 2]);

const relayed = (): Promise<Harness> =>
  relayedBy('postgres', (client, server, session) => postgresRelay(client.asSocket, server.asSocket, session, { database: 'app', maxRows: 100, parameters: new Map() }));

test('a read that arrives in the same turn as a malformed client message never reaches the target', async () => {
  const h = await relayed();
  h.client.emit('data', MALFORMED);
  h.client.emit('data', query('DROP TABLE accounts'));
  await nextTurn();
  // The malformed bytes went on before the gateway looked at them; nothing after them did.
  assert.deepEqual(h.server.received, MALFORMED);
  const end = await h.ended;
  assert.equal(end.reason, 'error');
  const fatal = decodeErrorResponse(h.client.received.subarray(5));
  assert.equal(fatal.severity, 'FATAL');
  assert.equal(fatal.code, '08P01');
  assert.match(fatal.message, /invalid message from the client/);
  const { tty, events } = await recorded(h, end);
  assert.ok(events.some((e) => e.type === 'protocol-error' && e.side === 'client'), JSON.stringify(events));
  assert.doesNotMatch(tty, /DROP TABLE/);
});

test('a read forwarded before its turn ends is recorded even when the target broke the protocol meanwhile', async () => {
  const h = await relayed();
  h.server.emit('data', ROGUE_ANSWER);
  h.client.emit('data', query('SELECT 2'));
  // Forwarded at once, before anything was observed.
  assert.deepEqual(h.server.received, query('SELECT 2'));
  const end = await h.ended;
  assert.equal(end.reason, 'error');
  const { tty, events } = await recorded(h, end);
  // What reached the target is in the recording, though the session ended while it was observed.
  assert.match(tty, /SELECT 2/);
  assert.ok(events.some((e) => e.type === 'end' && e.reason === 'error'), JSON.stringify(events));
});

test('what is forwarded is observed after the turn, each read at the time it arrived', async () => {
  const h = await relayed();
  h.client.emit('data', query('SELECT 1'));
  assert.deepEqual(h.server.received, query('SELECT 1'));
  // The turn goes on for 60 ms before the answer arrives; both are observed after it, and the
  // statement's duration is still from the question's arrival to the answer's.
  const busyUntil = performance.now() + 60;
  while (performance.now() < busyUntil);
  h.server.emit('data', Buffer.concat([message('C', Buffer.from('SELECT 0\0')), message('Z', Buffer.from('I'))]));
  await nextTurn();
  h.client.emit('data', message('X', Buffer.alloc(0)));
  h.client.emit('close');
  h.server.emit('close');
  const end = await h.ended;
  assert.equal(end.reason, 'closed');
  const { events } = await recorded(h, end);
  const q = events.find((e) => e.type === 'query');
  assert.ok(q, JSON.stringify(events));
  assert.equal(q.text, 'SELECT 1');
  assert.ok((q.durationMs as number) >= 55, `durationMs ${String(q.durationMs)} should span the 60 ms between question and answer`);
});

/** The type bytes and bodies of the messages in a backend stream. */
function messages(stream: Buffer): { type: string; body: Buffer }[] {
  const out: { type: string; body: Buffer }[] = [];
  for (let at = 0; at + 5 <= stream.length; ) {
    const length = stream.readUInt32BE(at + 1);
    out.push({ type: String.fromCharCode(stream[at]!), body: stream.subarray(at + 5, at + 1 + length) });
    at += 1 + length;
  }
  return out;
}

const ROW = message('D', Buffer.from([0, 1, 0, 0, 0, 5, ...Buffer.from('hello')]));
const DONE = Buffer.concat([message('C', Buffer.from('SELECT 1\0')), message('Z', Buffer.from('I'))]);

test("an operator's message reaches the client between two server messages, never inside one", async () => {
  const h = await relayed();
  h.client.emit('data', query('SELECT 1'));
  h.server.emit('data', Buffer.concat([message('T', Buffer.from([0, 0])), ROW.subarray(0, 8)]));
  assert.equal(h.session.message('the database goes down at 18:00'), true);
  h.server.emit('data', Buffer.concat([ROW.subarray(8), DONE]));
  await nextTurn();
  const shown = messages(h.client.received);
  assert.deepEqual(
    shown.map((m) => m.type),
    ['T', 'D', 'N', 'C', 'Z'],
  );
  assert.deepEqual(shown[1]!.body, ROW.subarray(5));
  assert.match(shown[2]!.body.toString('latin1'), /the database goes down at 18:00/);
});

test('a terminate while a server message is half forwarded: the FATAL follows that message, nothing after it', async () => {
  const h = await relayed();
  h.client.emit('data', query('SELECT 1'));
  h.server.emit('data', Buffer.concat([message('T', Buffer.from([0, 0])), ROW.subarray(0, 8)]));
  const ending = h.session.terminate('maintenance: please reconnect in 10 minutes');
  h.server.emit('data', Buffer.concat([ROW.subarray(8), DONE]));
  const end = await ending;
  assert.equal(end.reason, 'terminated');
  const shown = messages(h.client.received);
  assert.deepEqual(
    shown.map((m) => m.type),
    ['T', 'D', 'E'],
  );
  const fatal = decodeErrorResponse(shown[2]!.body);
  assert.equal(fatal.severity, 'FATAL');
  assert.equal(fatal.code, '57P01');
  assert.match(fatal.message, /please reconnect in 10 minutes/);
  const { tty } = await recorded(h, end);
  assert.match(tty, /please reconnect in 10 minutes/);
});

test('a side that stops taking writes stops the reading of the other, until it drains', async () => {
  const h = await relayed();
  h.client.emit('data', query('SELECT 1'));
  assert.equal(h.server.isPaused(), false);
  // The client reads no more: the target is not read until the client drains.
  h.client.full = true;
  h.server.emit('data', Buffer.concat([message('T', Buffer.from([0, 0])), ROW]));
  assert.equal(h.server.isPaused(), true);
  h.client.full = false;
  h.client.emit('drain');
  assert.equal(h.server.isPaused(), false);
  // And the other way round: a target that takes nothing more stops the client's reading.
  h.server.emit('data', DONE);
  h.server.full = true;
  h.client.emit('data', query('SELECT 2'));
  assert.equal(h.client.isPaused(), true);
  h.server.full = false;
  h.server.emit('drain');
  assert.equal(h.client.isPaused(), false);
});

test('a store that falls behind stops the reading of both sides until it catches up, and nothing recorded is lost', async () => {
  // Small chunks and a small backlog allowed: a few statements' recording outgrows it.
  const h = await relayedBy('postgres', (client, server, session) => postgresRelay(client.asSocket, server.asSocket, session, { database: 'app', maxRows: 100, parameters: new Map() }), {
    chunkSize: 1024,
    highWaterMark: 4096,
  });
  // The store takes no append until released (a disk that stalls).
  let release!: () => void;
  const stalled = new Promise<void>((resolve) => (release = resolve));
  const append = h.store.appendChunks.bind(h.store);
  h.store.appendChunks = async (...args) => {
    await stalled;
    return append(...args);
  };
  let statements = 0;
  while (!h.client.isPaused() && statements < 200) {
    h.client.emit('data', query(`SELECT ${statements}, '${'x'.repeat(300)}'`));
    h.server.emit('data', DONE);
    await nextTurn();
    statements++;
  }
  assert.ok(statements < 200, 'the client was never paused while the store took nothing');
  assert.equal(h.server.isPaused(), true);
  release();
  for (let i = 0; i < 100 && (h.client.isPaused() || h.server.isPaused()); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(h.client.isPaused(), false);
  assert.equal(h.server.isPaused(), false);
  const { events } = await recorded(h, await h.session.end('closed'));
  const texts = events.filter((e) => e.type === 'query').map((e) => e['text']);
  assert.equal(texts.length, statements);
  assert.equal(texts.at(-1), `SELECT ${statements - 1}, '${'x'.repeat(300)}'`);
});

/** The PostgreSQL observer, but failing on every client message and at the end. */
function failing(observer: Observer<FrameSink>): Observer<FrameSink> {
  const fault = (): never => {
    throw new Error('observer fault');
  };
  return {
    // Both ways a client message reaches the observer: as a Buffer, and read where it lies.
    client: { ...observer.client, message: fault, messageAt: fault },
    server: observer.server,
    get clientLeft() {
      return observer.clientLeft;
    },
    get idle() {
      return observer.idle;
    },
    note: (text) => observer.note(text),
    end: fault,
  };
}

test('an observer that fails, even as the session ends, ends its own session and nothing else', async () => {
  const protocol = postgresProtocol({ database: 'app', maxRows: 100, parameters: new Map() });
  const h = await relayedBy('postgres', (client, server, session) => new DatabaseRelay(client.asSocket, server.asSocket, session, { ...protocol, observer: (out) => failing(protocol.observer(out)) }));
  h.client.emit('data', query('SELECT 1'));
  assert.deepEqual(h.server.received.subarray(0, query('SELECT 1').length), query('SELECT 1'));
  const end = await h.ended;
  assert.equal(end.reason, 'error');
  const fatal = decodeErrorResponse(h.client.received.subarray(5));
  assert.equal(fatal.severity, 'FATAL');
  assert.equal(fatal.message, 'recgate: internal error');
  assert.equal(end.recording?.ok, true);
  // Another session relays on as before.
  const other = await relayed();
  other.client.emit('data', query('SELECT 2'));
  assert.deepEqual(other.server.received, query('SELECT 2'));
});
