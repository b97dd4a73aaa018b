/** The MySQL observer under random input: the same bytes cut anywhere, random packets, and valid sessions with random answers. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MysqlObserver } from './observer.js';
import { encodeInitDb } from './protocol/commands.js';
import { encodeStmtExecute, encodeStmtPrepare } from './protocol/statement-commands.js';
import { PacketFramer, writePacket } from './protocol/framer.js';
import { Capability as C } from './protocol/capabilities.js';
import { ServerStatus as S, encodeLocalInfileRequest } from './protocol/packets.js';
import { ColumnType as T } from './protocol/resultset.js';
import { BASE, col, Conv, DEPRECATE, play } from './observer-test-support.js';
import { renderTableFrame } from '../../src/transcript/table-frame.js';

/** A session touching every path: results, errors, multi-statements, prepared statements, LOAD DATA. */
function session(caps: number): Conv {
  const c = new Conv(caps);
  const cols = [col('id', T.LONGLONG), col('name')];
  c.query('SELECT id, name FROM t').server(c.textResult(cols, [['1', 'a'], ['2', null], ['3', 'ccc'], ['4', 'd']]));
  c.query('INSERT INTO t VALUES (5, "e")').server([c.ok({ affectedRows: 1, lastInsertId: 5, statusFlags: S.SERVER_STATUS_IN_TRANS })]);
  c.query('SELECT 1; SELECT nope').server([...c.textResult([col('1', T.LONGLONG)], [['1']], S.SERVER_MORE_RESULTS_EXISTS), c.err(1054, '42S22', 'Unknown column')]);
  c.client(encodeInitDb('other')).server([c.ok()]);
  c.client(encodeStmtPrepare('SELECT id, name FROM t WHERE id = ?')).server(c.prepareOk(1, 1, cols));
  c.client(encodeStmtExecute({ statementId: 1, flags: 0, iterationCount: 1 }, [{ type: T.LONGLONG, unsigned: false, value: 2 }], caps)).server(c.binaryResult(cols, [[2, 'b']]));
  c.query("LOAD DATA LOCAL INFILE 'f' INTO TABLE t").server([encodeLocalInfileRequest('f')]);
  c.steps.push({ from: 'client', bytes: Buffer.concat([writePacket(Buffer.from('x\ny\n'), 2), writePacket(Buffer.alloc(0), 3)]) });
  c.server([c.ok({ affectedRows: 2 })], 4);
  return c;
}

describe('MysqlObserver: properties', () => {
  test('the same bytes cut anywhere give the same transcript and events', () => {
    for (const caps of [BASE, DEPRECATE]) {
      const whole = play(session(caps), { maxRows: 2 });
      assert.equal(whole.queries.length, 6);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), (sizes) => {
          const cut = (bytes: Buffer): Buffer[] => {
            const out: Buffer[] = [];
            let at = 0;
            for (let k = 0; at < bytes.length; k++) {
              const n = sizes[k % sizes.length]!;
              out.push(bytes.subarray(at, at + n));
              at += n;
            }
            return out;
          };
          const split = play(session(caps), { maxRows: 2, chunks: cut });
          assert.equal(split.tty, whole.tty);
          assert.deepEqual(split.events, whole.events);
        }),
        { numRuns: 200 },
      );
    }
  });

  test('packets read where they lie give what the same packets as views give', () => {
    for (const caps of [BASE, DEPRECATE, BASE | C.CLIENT_SESSION_TRACK]) {
      for (const maxRows of [0, 2, 10]) {
        const inPlace = play(session(caps), { maxRows });
        const views = play(session(caps), { maxRows, views: true });
        assert.ok(inPlace.tty.includes('ccc') || maxRows < 3, 'rows are shown');
        assert.equal(inPlace.tty, views.tty);
        assert.deepEqual(inPlace.events, views.events);
        assert.equal(inPlace.serverMessages, views.serverMessages);
        // Each packet lies whole in its chunk, and no command waits behind another: none needed a view.
        assert.equal(inPlace.views, 0);
        assert.ok(views.views > views.serverMessages, 'the client commands came as views too');
        // Rows are taken where they lie up to the cap: four of the first result set, one of each other.
        assert.equal(inPlace.taken, Math.min(maxRows, 4) + (maxRows > 0 ? 2 : 0));
        assert.equal(views.taken, 0);
      }
    }
  });

  test('random well-framed packets never throw out of push', () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      fc.constantFrom(0x00, 0x03, 0x16, 0x17, 0x18, 0x19, 0x02, 0xfb, 0xfe, 0xff).chain((first) => fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.concat([Buffer.of(first), b]))),
    );
    const packet = fc.record({ from: fc.constantFrom('client' as const, 'server' as const), seq: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 255 })), payload });
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 60 }), fc.constantFrom(BASE, DEPRECATE, BASE | C.CLIENT_SESSION_TRACK | C.CLIENT_QUERY_ATTRIBUTES), fc.integer({ min: 0, max: 3 }), (packets, caps, maxRows) => {
        const observer = new MysqlObserver({ tty: () => {}, table: (p) => void renderTableFrame(p), event: () => {}, now: () => 0 }, { database: 'app', maxRows, capabilities: caps, localInfile: true });
        const framers = { client: new PacketFramer({ side: 'client' }), server: new PacketFramer({ side: 'server' }) };
        for (const p of packets) framers[p.from].push(writePacket(p.payload, p.seq), p.from === 'client' ? observer.client : observer.server);
        assert.equal(typeof observer.prompt, 'string');
      }),
      { numRuns: 2000 },
    );
  });

  test('valid sessions with random answers never throw and end with one event per statement', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('ok', 'err', 'rows', 'multi'), { maxLength: 20 }), fc.integer({ min: 0, max: 3 }), (kinds, maxRows) => {
        const c = new Conv(DEPRECATE);
        for (const k of kinds) {
          c.query(`SELECT ${k}`);
          if (k === 'ok') c.server([c.ok({ affectedRows: 1 })]);
          else if (k === 'err') c.server([c.err(1, 'HY000', 'e')]);
          else if (k === 'rows') c.server(c.textResult([col('a')], [['1'], ['2'], ['3']]));
          else c.server([c.ok({ statusFlags: S.SERVER_MORE_RESULTS_EXISTS }), ...c.textResult([col('a')], [['1']])]);
        }
        const { queries } = play(c, { maxRows });
        assert.equal(queries.length, kinds.length);
      }),
    );
  });
});
