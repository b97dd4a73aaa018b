/**
 * The MySQL relay's screen in the relay's order, without sockets
 * (proxies/wire/relay-harness.ts): commands the gateway refuses never reach
 * the target, whether they arrive alone or pipelined behind a command still
 * waiting for its answer, and the recording says so.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { recorded, relayed } from '../wire/relay-harness.js';
import { Command } from './protocol/commands.js';
import { encodeQuery } from './protocol/query-command.js';
import { writePacket } from './protocol/framer.js';
import { Capability as C } from './protocol/capabilities.js';
import { decodeErr, encodeOk } from './protocol/packets.js';
import { DatabaseRelay } from '../wire/relay.js';
import { mysqlProtocol, mysqlRelay } from './relay.js';

const CAPS = C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS | C.CLIENT_SECURE_CONNECTION | C.CLIENT_MULTI_STATEMENTS | C.CLIENT_MULTI_RESULTS | C.CLIENT_PLUGIN_AUTH;

const query = (sql: string): Buffer => writePacket(encodeQuery(sql, CAPS), 0);
const CHANGE_USER = writePacket(Buffer.from([Command.COM_CHANGE_USER, ...Buffer.from('root\0')]), 0);
const OK = writePacket(encodeOk({}, CAPS), 1);
const QUIT = writePacket(Buffer.from([Command.COM_QUIT]), 0);

const mysql = () => relayed('mysql', (client, server, session) => mysqlRelay(client.asSocket, server.asSocket, session, { database: 'app', maxRows: 100, capabilities: CAPS }));

/** The ERR packets in what the client received (after a 4-byte header, 0xff first). */
function errors(received: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at + 4 <= received.length; ) {
    const length = received.readUIntLE(at, 3);
    const payload = received.subarray(at + 4, at + 4 + length);
    if (payload[0] === 0xff) out.push(decodeErr(payload, CAPS).message);
    at += 4 + length;
  }
  return out;
}

test('COM_CHANGE_USER on an idle connection is answered by the gateway; the target never sees it and the session goes on', async () => {
  const h = await mysql();
  h.client.emit('data', CHANGE_USER);
  await nextTurn();
  assert.equal(h.server.written, 0);
  assert.deepEqual(errors(h.client.received), ['recgate: COM_CHANGE_USER is not allowed through the gateway; connect again as <gateway user>+<target> to use another login']);
  h.client.emit('data', query('SELECT 1'));
  assert.deepEqual(h.server.received, query('SELECT 1'));
  h.server.emit('data', OK);
  h.client.emit('data', QUIT);
  h.client.emit('close');
  h.server.emit('close');
  const end = await h.ended;
  assert.equal(end.reason, 'closed');
  const { tty, events } = await recorded(h, end);
  assert.ok(events.some((e) => e.type === 'command-refused' && e.command === 'COM_CHANGE_USER'), JSON.stringify(events));
  assert.ok(events.some((e) => e.type === 'query' && e.text === 'SELECT 1'), JSON.stringify(events));
  assert.match(tty, /COM_CHANGE_USER is not allowed/);
  assert.match(tty, /^-- recgate: COM_CHANGE_USER is not allowed/m, 'the transcript names the gateway once');
});

test('COM_CHANGE_USER pipelined behind an unanswered query ends the session; only the query reaches the target', async () => {
  const h = await mysql();
  h.client.emit('data', Buffer.concat([query('SELECT 1'), CHANGE_USER]));
  // Its ERR could not be put in its place behind the query's answer: the session ends, and the
  // target gets the query, then the gateway's COM_QUIT.
  assert.deepEqual(h.server.received, Buffer.concat([query('SELECT 1'), QUIT]));
  const end = await h.ended;
  assert.equal(end.reason, 'error');
  assert.match(errors(h.client.received).join('\n'), /COM_CHANGE_USER is not allowed/);
  const { tty, events } = await recorded(h, end);
  assert.ok(events.some((e) => e.type === 'command-refused' && e.command === 'COM_CHANGE_USER'), JSON.stringify(events));
  assert.match(tty, /SELECT 1/);
});

test("a fault in the client screen lets none of the client's bytes through and ends only that session", async () => {
  const protocol = mysqlProtocol({ database: 'app', maxRows: 100, capabilities: CAPS });
  const broken = {
    ...protocol,
    clientScreen: () => ({
      screen: (): never => {
        throw new Error('screen fault');
      },
    }),
  };
  const h = await relayed('mysql', (client, server, session) => new DatabaseRelay(client.asSocket, server.asSocket, session, broken));
  h.client.emit('data', query('SELECT 1'));
  const end = await h.ended;
  assert.equal(end.reason, 'error');
  assert.ok(!h.server.received.includes(query('SELECT 1')), 'the query reached the target');
  assert.deepEqual(errors(h.client.received), ['recgate: internal error']);
  // Another session relays on as before.
  const other = await mysql();
  other.client.emit('data', query('SELECT 2'));
  assert.deepEqual(other.server.received, query('SELECT 2'));
});
