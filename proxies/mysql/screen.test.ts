import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Command, encodeChangeUser, encodeEmptyCommand } from './protocol/commands.js';
import { encodeQuery } from './protocol/query-command.js';
import { MAX_PACKET_PAYLOAD, writePacket } from './protocol/framer.js';
import { Capability as C } from './protocol/capabilities.js';
import { decodeErr } from './protocol/packets.js';
import { CommandScreen, REFUSED_COMMANDS, type ScreenState } from './screen.js';
import { killJudge } from './kill.js';
import { ThreadIds } from './threads.js';

const CAPS = C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION | C.CLIENT_PLUGIN_AUTH;

const query = (text: string): Buffer => writePacket(encodeQuery(text, CAPS), 0);
const changeUser = (user: string): Buffer => writePacket(encodeChangeUser({ username: user, authResponse: Buffer.alloc(20, 1), schema: 'app', charset: 45, authPluginName: 'mysql_native_password' }, CAPS), 0);

function run(screen: CommandScreen, chunks: Buffer[]): { forwarded: Buffer; refused: { command: string; answer: Buffer | null }[] } {
  const forwarded: Buffer[] = [];
  const refused: { command: string; answer: Buffer | null }[] = [];
  for (const chunk of chunks) {
    const r = screen.screen(chunk);
    forwarded.push(r.forward);
    for (const x of r.refused) refused.push({ command: x.command, answer: x.answer() });
  }
  return { forwarded: Buffer.concat(forwarded), refused };
}

function cutAt(bytes: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of sorted) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

const idle: ScreenState = { receivingData: false, idle: true };

describe('CommandScreen', () => {
  test('commands pass unchanged, the very chunk when nothing is refused', () => {
    const screen = new CommandScreen(idle, CAPS);
    const chunk = Buffer.concat([query('SELECT 1'), writePacket(encodeEmptyCommand(Command.COM_PING), 0)]);
    const r = screen.screen(chunk);
    assert.equal(r.forward, chunk);
    assert.equal(r.refused.length, 0);
  });

  test('COM_CHANGE_USER is dropped and answered with an ERR numbered after it', () => {
    const screen = new CommandScreen(idle, CAPS);
    const { forwarded, refused } = run(screen, [changeUser('root')]);
    assert.equal(forwarded.length, 0);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.command, 'COM_CHANGE_USER');
    const answer = refused[0]!.answer!;
    assert.equal(answer[3], 1, 'sequence id after the command');
    const err = decodeErr(answer.subarray(4), CAPS);
    assert.equal(err.code, 1227);
    assert.equal(err.sqlState, '42000');
    assert.match(err.message, /COM_CHANGE_USER is not allowed through the gateway/);
  });

  test('with a command still unanswered, a refusal has no answer (the session ends)', () => {
    const screen = new CommandScreen({ receivingData: false, idle: false }, CAPS);
    const { refused } = run(screen, [changeUser('root')]);
    assert.equal(refused[0]!.answer, null);
  });

  test('replication commands are refused too', () => {
    for (const command of [Command.COM_BINLOG_DUMP, Command.COM_BINLOG_DUMP_GTID, Command.COM_REGISTER_SLAVE, Command.COM_TABLE_DUMP]) {
      const { forwarded, refused } = run(new CommandScreen(idle, CAPS), [writePacket(Buffer.of(command, 1, 2, 3, 4), 0)]);
      assert.equal(forwarded.length, 0);
      assert.match(refused[0]!.command, /^COM_/);
    }
  });

  test('LOAD DATA LOCAL INFILE data is never taken for a command, whatever its first byte and sequence id', () => {
    const screen = new CommandScreen({ receivingData: true, idle: false }, CAPS);
    const data = Buffer.concat([writePacket(Buffer.of(Command.COM_CHANGE_USER, 0x41), 0), writePacket(Buffer.of(Command.COM_BINLOG_DUMP), 2), writePacket(Buffer.alloc(0), 3)]);
    const { forwarded, refused } = run(screen, [data]);
    assert.deepEqual(forwarded, data);
    assert.equal(refused.length, 0);
  });

  test('a multi-packet refused command is dropped whole, and the answer follows its last packet', () => {
    const payload = Buffer.alloc(MAX_PACKET_PAYLOAD + 10, 0x61);
    payload[0] = Command.COM_CHANGE_USER;
    const stream = Buffer.concat([query('SELECT 1'), writePacket(payload, 0), query('SELECT 2')]);
    const { forwarded, refused } = run(new CommandScreen(idle, CAPS), cutAt(stream, [3, 30, 70_000, MAX_PACKET_PAYLOAD + 15]));
    assert.deepEqual(forwarded, Buffer.concat([query('SELECT 1'), query('SELECT 2')]));
    assert.equal(refused[0]!.answer![3], 2);
  });

  test('property: cut anywhere, the forwarded bytes are the stream less the refused messages', () => {
    const message = fc.oneof(
      fc.string({ maxLength: 40 }).map((t) => ({ bytes: query(t), refused: false })),
      fc.string({ maxLength: 20 }).map((u) => ({ bytes: changeUser(u), refused: true })),
      fc.constantFrom(...REFUSED_COMMANDS).map((c) => ({ bytes: writePacket(Buffer.of(c, 0, 0, 0, 0), 0), refused: true })),
      fc.uint8Array({ maxLength: 30 }).map((b) => ({ bytes: writePacket(Buffer.concat([Buffer.of(Command.COM_QUERY), b]), 0), refused: false })),
      fc.constant({ bytes: writePacket(Buffer.alloc(0), 0), refused: false }),
    );
    fc.assert(
      fc.property(fc.array(message, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 12 }), (messages, points) => {
        const stream = Buffer.concat(messages.map((m) => m.bytes));
        const { forwarded, refused } = run(new CommandScreen(idle, CAPS), cutAt(stream, points));
        assert.deepEqual(forwarded, Buffer.concat(messages.filter((m) => !m.refused).map((m) => m.bytes)));
        assert.equal(refused.length, messages.filter((m) => m.refused).length);
      }),
      { numRuns: 1000 },
    );
  });

  test('property: arbitrary bytes never throw, and nothing is lost or invented', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, points) => {
        const stream = Buffer.from(bytes);
        const screen = new CommandScreen(idle, CAPS);
        const { forwarded } = run(screen, cutAt(stream, points));
        // What is forwarded is the stream with whole messages taken out, so never longer.
        assert.ok(forwarded.length <= stream.length);
      }),
      { numRuns: 1000 },
    );
  });

  describe('with a KILL judge', () => {
    const ids = new ThreadIds();
    const mine = ids.reserve();
    mine.bind({ user: 'alice', target: 'my01' }, 77);
    const judge = killJudge(ids, { user: 'alice', target: 'my01' }, () => undefined);
    const select = query('SELECT SLEEP(30)');
    const stream = Buffer.concat([select, query(`KILL QUERY ${mine.id}`), query('KILL QUERY 123456'), query('SELECT 1')]);

    test('cut at every byte: translated in place, a foreign id refused with 1094 after its packet', () => {
      for (let cut = 0; cut <= stream.length; cut++) {
        for (let cut2 = cut; cut2 <= stream.length; cut2 += 7) {
          const { forwarded, refused } = run(new CommandScreen(idle, CAPS, judge), [stream.subarray(0, cut), stream.subarray(cut, cut2), stream.subarray(cut2)]);
          assert.deepEqual(forwarded, Buffer.concat([select, query('KILL QUERY 77'), query('SELECT 1')]));
          assert.equal(refused.length, 1);
          assert.equal(refused[0]!.command, 'KILL');
          assert.equal(refused[0]!.answer![3], 1);
          assert.equal(decodeErr(refused[0]!.answer!.subarray(4), CAPS).code, 1094);
        }
      }
    });

    test('property: queries without KILL pass unchanged however cut', () => {
      fc.assert(
        fc.property(fc.array(fc.string({ maxLength: 40 }).filter((t) => !/kill/i.test(t)), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (texts, points) => {
          const all = Buffer.concat(texts.map(query));
          const { forwarded, refused } = run(new CommandScreen(idle, CAPS, judge), cutAt(all, points));
          assert.deepEqual(forwarded, all);
          assert.equal(refused.length, 0);
        }),
      );
    });
  });
});
