/** The observer on MariaDB-only paths: bulk execute, metadata caching, and the prompt per family. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RecordedEvent } from '../../src/recording/frames.js';
import { MysqlObserver } from './observer.js';
import { encodeQuery } from './protocol/query-command.js';
import { encodeStmtExecute, encodeStmtPrepare, encodeStmtPrepareOk } from './protocol/statement-commands.js';
import { encodeStmtBulkExecute, Indicator } from './protocol/bulk.js';
import { PacketFramer, writePacket } from './protocol/framer.js';
import { Capability as C, MariaDbCapability as M } from './protocol/capabilities.js';
import { encodeEof, encodeOk } from './protocol/packets.js';
import { ColumnFlag as F, ColumnType as T, encodeBinaryRow, encodeColumnCount, encodeColumnDefinition, encodeTextRow, type ColumnDefinition } from './protocol/resultset.js';
import { renderTableFrame } from '../../src/transcript/table-frame.js';

const BASE = C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS | C.CLIENT_SECURE_CONNECTION | C.CLIENT_MULTI_RESULTS | C.CLIENT_PS_MULTI_RESULTS | C.CLIENT_PLUGIN_AUTH;
const MARIA = M.MARIADB_CLIENT_STMT_BULK_OPERATIONS | M.MARIADB_CLIENT_CACHE_METADATA;

function col(name: string, type: number): ColumnDefinition {
  const numeric = type === T.LONGLONG;
  return { catalog: 'def', schema: 'app', table: 't', orgTable: 't', name, orgName: name, charset: numeric ? 63 : 45, columnLength: 20, type, flags: numeric ? F.NUM : 0, decimals: 0 };
}

/** Plays client and server packets (each step a list of payloads, server ones numbered from 1), cut at every byte when `bytewise`. */
function play(caps: number, steps: { client?: Buffer; server?: Buffer[] }[], family?: 'MariaDB' | 'MySQL', bytewise = false) {
  const tty: string[] = [];
  const events: RecordedEvent[] = [];
  let clock = 0;
  const observer = new MysqlObserver(
    { tty: (t) => void tty.push(t), table: (p) => void tty.push(renderTableFrame(p)), event: (e) => void events.push(e), now: () => (clock += 5) },
    { database: 'app', maxRows: 10, capabilities: caps, mariadbCapabilities: MARIA, ...(family ? { family } : {}) },
  );
  const client = new PacketFramer({ side: 'client' });
  const server = new PacketFramer({ side: 'server' });
  const push = (framer: PacketFramer, bytes: Buffer, sink: typeof observer.client) => {
    if (!bytewise) return framer.push(bytes, sink);
    for (let i = 0; i < bytes.length; i++) framer.push(bytes.subarray(i, i + 1), sink);
  };
  for (const s of steps) {
    if (s.client) push(client, writePacket(s.client, 0), observer.client);
    if (s.server) push(server, Buffer.concat(s.server.map((p, i) => writePacket(p, i + 1))), observer.server);
  }
  return { tty: tty.join(''), queries: events.filter((e) => e.type === 'query'), observer };
}

describe('MysqlObserver: MariaDB extended capabilities', () => {
  for (const caps of [BASE, BASE | C.CLIENT_DEPRECATE_EOF]) {
    const eofStyle = caps & C.CLIENT_DEPRECATE_EOF ? 'DEPRECATE_EOF' : 'EOF';
    const eof = caps & C.CLIENT_DEPRECATE_EOF ? [] : [encodeEof({ warnings: 0, statusFlags: 0 }, caps)];
    const end = caps & C.CLIENT_DEPRECATE_EOF ? encodeOk({ header: 0xfe }, caps) : encodeEof({ warnings: 0, statusFlags: 0 }, caps);
    const columns = [col('id', T.LONGLONG), col('name', T.VAR_STRING)];
    const prepared = [
      encodeStmtPrepareOk({ statementId: 4, columnCount: 2, paramCount: 1, warnings: 0, metadataFollows: true }, caps),
      encodeColumnDefinition(col('?', T.VAR_STRING)),
      ...eof,
      ...columns.map((c) => encodeColumnDefinition(c)),
      ...eof,
    ];
    const execute = (id: number) => encodeStmtExecute({ statementId: 4, flags: 0, iterationCount: 1 }, [{ type: T.LONGLONG, unsigned: false, value: id }], caps);

    for (const bytewise of [false, true]) {
      test(`an execute answered without metadata is read with the cached definitions (${eofStyle}${bytewise ? ', cut at every byte' : ''})`, () => {
        const { tty, queries } = play(
          caps,
          [
            { client: encodeStmtPrepare('SELECT id, name FROM t WHERE id = ?'), server: prepared },
            // The server leaves the definitions out: the client has them from PREPARE.
            { client: execute(1), server: [encodeColumnCount(2, caps, MARIA, false), ...eof, encodeBinaryRow([1, 'alice'], columns), end] },
            { client: execute(2), server: [encodeColumnCount(2, caps, MARIA, false), ...eof, encodeBinaryRow([2, 'bob'], columns), end] },
          ],
          undefined,
          bytewise,
        );
        assert.match(tty, / 1 \| alice/);
        assert.match(tty, / 2 \| bob/);
        assert.deepEqual(
          queries.map((q) => [q['params'], q['rows']]),
          [
            [['1'], 1],
            [['2'], 1],
          ],
        );
      });
    }

    test(`an execute answered without metadata for more columns than were cached names the rest by position (${eofStyle})`, () => {
      const wider = [...columns, col('extra', T.VAR_STRING)];
      const { tty } = play(caps, [
        { client: encodeStmtPrepare('SELECT id, name FROM t WHERE id = ?'), server: prepared },
        // The table changed under the statement: a third column, its definition left out.
        { client: execute(1), server: [encodeColumnCount(3, caps, MARIA, false), ...eof, encodeBinaryRow([1, 'alice', 'x'], wider), end] },
        // The same execute again still reads the two cached definitions by name.
        { client: execute(2), server: [encodeColumnCount(2, caps, MARIA, false), ...eof, encodeBinaryRow([2, 'bob'], columns), end] },
      ]);
      assert.match(tty, / id \| name {2}\| \?column3\? /);
      assert.match(tty, / 1 \| alice \| x/);
      assert.match(tty, / 2 \| bob\r\n/);
    });

    for (const bytewise of [false, true]) {
      test(`a text result set under metadata caching: its column count's metadata byte is read, and a row led by NULL is a row (${eofStyle}${bytewise ? ', cut at every byte' : ''})`, () => {
        // What mariadb-dump asks of a view (MariaDB 10.11 sends the count as 0x02 0x01); the row
        // starts with 0xFB, NULL, which at the start of an answer would ask for a LOCAL INFILE.
        const sql = "SELECT engine, table_type FROM INFORMATION_SCHEMA.TABLES WHERE table_name = 'v'";
        const defs = [col('engine', T.VAR_STRING), col('table_type', T.VAR_STRING)].map((c) => encodeColumnDefinition(c));
        const { tty, queries, observer } = play(
          caps,
          [
            { client: encodeQuery(sql, caps), server: [encodeColumnCount(2, caps, MARIA), ...defs, ...eof, encodeTextRow([null, 'VIEW']), end] },
            { client: encodeQuery('SELECT 1', caps), server: [encodeColumnCount(1, caps, MARIA), encodeColumnDefinition(col('1', T.LONGLONG)), ...eof, encodeTextRow(['1']), end] },
          ],
          'MariaDB',
          bytewise,
        );
        assert.match(tty, / engine \| table_type \r\n/);
        // NULL shows as an empty cell, as everywhere in the transcript.
        assert.match(tty, /\r\n {8}\| VIEW\r\n\(1 row\)\r\n/);
        assert.deepEqual(queries.map((q) => [q['text'], q['rows'], q['error']]), [[sql, 1, undefined], ['SELECT 1', 1, undefined]]);
        assert.ok(observer.idle);
      });
    }

    test(`a bulk execute: the statement once, one event per row with its parameters, the answer on the last (${eofStyle})`, () => {
      const types = [{ type: T.LONGLONG, unsigned: false }];
      const rows = [[{ value: 1 }], [{ indicator: Indicator.Null as const }], [{ value: 3 }]];
      const { tty, queries, observer } = play(
        caps,
        [
          { client: encodeStmtPrepare('INSERT INTO t (id) VALUES (?)'), server: [encodeStmtPrepareOk({ statementId: 4, columnCount: 0, paramCount: 1, warnings: 0, metadataFollows: true }, caps), encodeColumnDefinition(col('?', T.VAR_STRING)), ...eof] },
          { client: encodeStmtBulkExecute(4, types, rows), server: [encodeOk({ affectedRows: 3 }, caps)] },
          // Types not sent again: those of the last bulk execute.
          { client: encodeStmtBulkExecute(0xffff_ffff, types, [[{ value: 9 }]], false), server: [encodeOk({ affectedRows: 1 }, caps)] },
          // A text result set carries the metadata-follows byte too (always 1 there).
          { client: encodeQuery('SELECT 1', caps), server: [encodeColumnCount(1, caps, MARIA), encodeColumnDefinition(col('1', T.LONGLONG)), ...eof, encodeTextRow(['1']), end] },
        ],
        'MySQL',
      );
      assert.match(tty, /MySQL \[app\]> INSERT INTO t \(id\) VALUES \(\?\)\r\n-- bulk execute: 3 rows of parameters\r\nQuery OK, 3 rows affected/);
      assert.match(tty, /-- bulk execute: 1 row of parameters/);
      assert.deepEqual(
        queries.map((q) => [q['text'], q['params'], q['rows'], q['bulkRow'], q['bulkRows']]),
        [
          ['INSERT INTO t (id) VALUES (?)', ['1'], undefined, 1, 3],
          ['INSERT INTO t (id) VALUES (?)', [null], undefined, 2, 3],
          ['INSERT INTO t (id) VALUES (?)', ['3'], 3, 3, 3],
          ['INSERT INTO t (id) VALUES (?)', ['9'], 1, 1, 1],
          ['SELECT 1', undefined, 1, undefined, undefined],
        ],
      );
      assert.ok(observer.idle);
    });
  }

  test('a bulk execute pipelined behind its prepare (statement id 0xFFFFFFFF) keeps all its rows', () => {
    const caps = BASE | C.CLIENT_DEPRECATE_EOF;
    const types = [{ type: T.VAR_STRING, unsigned: false }];
    const rows = Array.from({ length: 2000 }, (_, i) => [{ value: Buffer.from(`value number ${i}`) }]);
    const { queries } = play(caps, [
      { client: encodeStmtPrepare('INSERT INTO t (name) VALUES (?)') },
      { client: encodeStmtBulkExecute(0xffff_ffff, types, rows), server: [encodeStmtPrepareOk({ statementId: 5, columnCount: 0, paramCount: 1, warnings: 0, metadataFollows: true }, caps), encodeColumnDefinition(col('?', T.VAR_STRING))] },
      { server: [encodeOk({ affectedRows: 2000 }, caps)] },
    ]);
    assert.equal(queries.length, 2000);
    assert.deepEqual(queries[1999]!['params'], ['value number 1999']);
    assert.equal(queries[1999]!['rows'], 2000);
    assert.equal(queries[0]!['truncated'], undefined);
  });

  test('the prompt follows the family the client was told of', () => {
    assert.equal(play(BASE, [], 'MySQL').observer.prompt, 'MySQL [app]> ');
    assert.equal(play(BASE, [], 'MariaDB').observer.prompt, 'MariaDB [app]> ');
    assert.equal(play(BASE, []).observer.prompt, 'MariaDB [app]> ');
  });
});
