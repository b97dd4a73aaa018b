/** The MySQL observer over the text protocol: results, errors, the prompt, the end of the connection, LOAD DATA LOCAL INFILE and the commands a client runs on its own. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../src/errors.js';
import { Command, encodeEmptyCommand, encodeInitDb } from './protocol/commands.js';
import { writePacket } from './protocol/framer.js';
import { Capability as C } from './protocol/capabilities.js';
import { ServerStatus as S, encodeEof, encodeLocalInfileRequest, encodeProgressReport } from './protocol/packets.js';
import { ColumnType as T, encodeColumnDefinition, encodeTextRow } from './protocol/resultset.js';
import { BASE, col, Conv, DEPRECATE, lines, play } from './observer-test-support.js';

describe('MysqlObserver: text protocol', () => {
  for (const [style, caps] of [
    ['EOF packets', BASE],
    ['CLIENT_DEPRECATE_EOF', DEPRECATE],
  ] as const) {
    test(`a SELECT with a text result set (${style})`, () => {
      const c = new Conv(caps);
      c.query('SELECT id, name FROM t').server(c.textResult([col('id', T.LONGLONG), col('name')], [['1', 'alice'], ['20', null]]));
      const { tty, queries, observer } = play(c);
      assert.equal(
        tty,
        lines('MariaDB [app]> SELECT id, name FROM t', ' id | name  ', '----+-------', '  1 | alice', ' 20 | ', '(2 rows)', ''),
      );
      assert.deepEqual(queries, [{ type: 'query', database: 'app', text: 'SELECT id, name FROM t', durationMs: 5, rows: 2 }]);
      assert.equal(observer.prompt, 'MariaDB [app]> ');
    });
  }

  test('an INSERT: Query OK with the affected rows, warnings and the info line', () => {
    const c = new Conv(BASE);
    c.query("INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c')").server([c.ok({ affectedRows: 3, lastInsertId: 1, warnings: 1, info: 'Records: 3  Duplicates: 0  Warnings: 1' })]);
    c.query('DELETE FROM t WHERE id = 1').server([c.ok({ affectedRows: 1 })]);
    const { tty, queries } = play(c);
    assert.equal(
      tty,
      lines(
        "MariaDB [app]> INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c')",
        'Query OK, 3 rows affected, 1 warning',
        'Records: 3  Duplicates: 0  Warnings: 1',
        '',
        'MariaDB [app]> DELETE FROM t WHERE id = 1',
        'Query OK, 1 row affected',
        '',
      ),
    );
    assert.deepEqual(
      queries.map((q) => [q.text, q.rows]),
      [
        ["INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c')", 3],
        ['DELETE FROM t WHERE id = 1', 1],
      ],
    );
  });

  test('an error, as the mariadb client prints it; a progress report is not one', () => {
    const c = new Conv(BASE);
    c.query('SELECT * FROM nope').server([encodeProgressReport({ stage: 1, maxStage: 2, progress: 500, info: 'copy' }), c.err(1146, '42S02', "Table 'app.nope' doesn't exist")]);
    const { tty, queries } = play(c);
    assert.equal(tty, lines('MariaDB [app]> SELECT * FROM nope', "ERROR 1146 (42S02): Table 'app.nope' doesn't exist"));
    assert.deepEqual(queries, [
      { type: 'query', database: 'app', text: 'SELECT * FROM nope', durationMs: 5, rows: 0, error: { code: '1146 (42S02)', message: "Table 'app.nope' doesn't exist" } },
    ]);
  });

  test('a multi-statement query: each result set shown, one event with the rows summed', () => {
    const c = new Conv(DEPRECATE);
    c.query('UPDATE t SET n = n + 1; SELECT 1 AS a; SELECT 2 AS b').server([
      c.ok({ affectedRows: 4, statusFlags: S.SERVER_MORE_RESULTS_EXISTS }),
      ...c.textResult([col('a', T.LONGLONG)], [['1']], S.SERVER_MORE_RESULTS_EXISTS),
      ...c.textResult([col('b', T.LONGLONG)], [['2']]),
    ]);
    c.query('SELECT 3; SELECT nope').server([...c.textResult([col('3', T.LONGLONG)], [['3']], S.SERVER_MORE_RESULTS_EXISTS), c.err(1054, '42S22', "Unknown column 'nope' in 'field list'")]);
    const { tty, queries } = play(c);
    assert.equal(
      tty,
      lines(
        'MariaDB [app]> UPDATE t SET n = n + 1; SELECT 1 AS a; SELECT 2 AS b',
        'Query OK, 4 rows affected',
        '',
        ' a ',
        '---',
        ' 1',
        '(1 row)',
        '',
        ' b ',
        '---',
        ' 2',
        '(1 row)',
        '',
        'MariaDB [app]> SELECT 3; SELECT nope',
        ' 3 ',
        '---',
        ' 3',
        '(1 row)',
        '',
        "ERROR 1054 (42S22): Unknown column 'nope' in 'field list'",
      ),
    );
    assert.equal(queries.length, 2);
    assert.equal(queries[0]!.rows, 6);
    assert.deepEqual(queries[1]!.error, { code: '1054 (42S22)', message: "Unknown column 'nope' in 'field list'" });
    assert.equal(queries[1]!.rows, 1);
  });

  test('rows past maxRows are counted, not decoded', () => {
    const c = new Conv(BASE);
    const rows = Array.from({ length: 10 }, (_, i) => [String(i)]);
    c.query('SELECT n FROM big').server(c.textResult([col('n', T.LONG)], rows));
    const { tty, queries, serverMessages, tables } = play(c, { maxRows: 2 });
    assert.equal(tty, lines('MariaDB [app]> SELECT n FROM big', ' n ', '---', ' 0', ' 1', '(10 rows; first 2 shown)', ''));
    // One table frame of its two kept values: version, flags, row count, cell width (2 bytes),
    // the column (count, align, name), two cells of one byte (kind, length, byte).
    assert.deepEqual(tables, [8 + 2 + 4 + 2 * 3]);
    assert.equal(queries[0]!.rows, 10);
    // Column count, definition, EOF, two rows, EOF: the other eight rows were stepped over.
    assert.equal(serverMessages, 6);
  });
});

describe('MysqlObserver: long rows', () => {
  test('a row longer than the framer keeps is shown as far as it arrived', () => {
    const c = new Conv(BASE);
    c.query('SELECT a, b, c FROM t').server(c.textResult([col('a'), col('b'), col('c')], [['x'.repeat(10), 'y'.repeat(100), 'z'], ['1', '2', '3']]));
    const { tty, queries } = play(c, { maxBuffered: 40 });
    assert.equal(
      tty,
      lines('MariaDB [app]> SELECT a, b, c FROM t', `     a      |${' '.repeat(15)}b${' '.repeat(15)}| c `, `------------+${'-'.repeat(31)}+---`, ` xxxxxxxxxx | ${'y'.repeat(28)}… | …`, ` 1          | 2${' '.repeat(29)}| 3`, '(2 rows)', ''),
    );
    assert.equal(queries[0]!.rows, 2);
  });
});

describe('MysqlObserver: prompt', () => {
  test('COM_INIT_DB and USE change the database the prompt shows', () => {
    const c = new Conv(BASE);
    c.client(encodeInitDb('shop')).server([c.ok()]);
    c.query('SELECT 1').server(c.textResult([col('1', T.LONGLONG)], [['1']]));
    c.client(encodeInitDb('nope')).server([c.err(1049, '42000', "Unknown database 'nope'")]);
    c.query('use `my``db`').server([c.ok()]);
    c.query('SELECT 2').server([c.ok()]);
    const { tty, queries, observer } = play(c, { database: null });
    assert.equal(
      tty,
      lines(
        'MariaDB [(none)]> USE `shop`',
        'Database changed',
        'MariaDB [shop]> SELECT 1',
        ' 1 ',
        '---',
        ' 1',
        '(1 row)',
        '',
        'MariaDB [shop]> USE `nope`',
        "ERROR 1049 (42000): Unknown database 'nope'",
        'MariaDB [shop]> use `my``db`',
        'Query OK, 0 rows affected',
        '',
        'MariaDB [my`db]> SELECT 2',
        'Query OK, 0 rows affected',
        '',
      ),
    );
    assert.equal(observer.prompt, 'MariaDB [my`db]> ');
    assert.deepEqual(
      queries.map((q) => [q.text, q.database ?? null]),
      [
        ['USE `shop`', null],
        ['SELECT 1', 'shop'],
        ['USE `nope`', 'shop'],
        ['use `my``db`', 'shop'],
        ['SELECT 2', 'my`db'],
      ],
    );
  });

  test('the schema a session-tracking OK reports', () => {
    const caps = BASE | C.CLIENT_SESSION_TRACK;
    const c = new Conv(caps);
    c.query('CALL switch_schema()').server([c.ok({ sessionStateChanges: [{ type: 1, schema: 'other' }] })]);
    assert.equal(play(c).observer.prompt, 'MariaDB [other]> ');
  });

  test('a transaction shows as * in the prompt', () => {
    const c = new Conv(DEPRECATE);
    c.query('BEGIN').server([c.ok({ statusFlags: S.SERVER_STATUS_IN_TRANS | S.SERVER_STATUS_AUTOCOMMIT })]);
    c.query('SELECT 1').server(c.textResult([col('1', T.LONGLONG)], [['1']], S.SERVER_STATUS_IN_TRANS));
    c.query('COMMIT').server([c.ok({ statusFlags: S.SERVER_STATUS_AUTOCOMMIT })]);
    c.query('SELECT 2').server([c.ok()]);
    const { tty } = play(c);
    const prompts = tty.split('\r\n').filter((l) => l.startsWith('MariaDB'));
    assert.deepEqual(prompts, ['MariaDB [app]> BEGIN', 'MariaDB [app]*> SELECT 1', 'MariaDB [app]*> COMMIT', 'MariaDB [app]> SELECT 2']);
  });

  test('a statement on several lines continues after the client\'s "    -> "', () => {
    const c = new Conv(BASE);
    c.query('SELECT 1\nFROM dual').server([c.ok()]);
    assert.ok(play(c).tty.startsWith(lines('MariaDB [app]> SELECT 1', '    -> FROM dual')));
  });
});

describe('MysqlObserver: the end of the connection', () => {
  test('a statement whose answer the end cut short is recorded with the rows that came', () => {
    const c = new Conv(BASE);
    const cols = [col('id', T.LONGLONG), col('name')];
    c.query('SELECT 1').server([c.ok()]);
    c.query('SELECT id, name FROM t').server([...c.head(cols), encodeTextRow(['1', 'a']), encodeTextRow(['2', 'b'])]);
    const played = play(c);
    assert.deepEqual(played.queries.map((q) => q.text), ['SELECT 1']);
    played.observer.end();
    const last = played.events.at(-1)!;
    assert.equal(last.type, 'query');
    assert.equal(last['text'], 'SELECT id, name FROM t');
    assert.equal(last['rows'], 2);
    assert.deepEqual(last['error'], { message: 'the session ended before the answer was complete' });
    const after = played.ttyNow().slice(played.tty.length);
    assert.equal(after, [' id | name ', '----+------', '  1 | a', '  2 | b', '(2 rows)', '', '-- the session ended before the answer was complete', ''].join('\r\n'));
  });

  test('nothing waits: end() records nothing more', () => {
    const c = new Conv(BASE);
    c.query('SELECT 1').server([c.ok()]);
    const played = play(c);
    played.observer.end();
    assert.deepEqual(played.queries.map((q) => q.text), ['SELECT 1']);
    assert.equal(played.events.length, 1);
  });
});

describe('MysqlObserver: other commands', () => {
  test('LOAD DATA LOCAL INFILE: the file is counted, not recorded', () => {
    const c = new Conv(BASE);
    c.query("LOAD DATA LOCAL INFILE 'data.csv' INTO TABLE t").server([encodeLocalInfileRequest('data.csv')]);
    c.steps.push({ from: 'client', bytes: Buffer.concat([writePacket(Buffer.from('1,a\n2,b\n'), 2), writePacket(Buffer.from('3,c\n'), 3), writePacket(Buffer.alloc(0), 4)]) });
    c.server([c.ok({ affectedRows: 3, info: 'Records: 3  Deleted: 0  Skipped: 0  Warnings: 0' })], 5);
    c.query('SELECT 1').server([c.ok()]);
    const { tty, events } = play(c);
    assert.equal(
      tty,
      lines(
        "MariaDB [app]> LOAD DATA LOCAL INFILE 'data.csv' INTO TABLE t",
        "-- LOAD DATA LOCAL INFILE 'data.csv': 12 bytes from client (not recorded)",
        'Query OK, 3 rows affected',
        'Records: 3  Deleted: 0  Skipped: 0  Warnings: 0',
        '',
        'MariaDB [app]> SELECT 1',
        'Query OK, 0 rows affected',
        '',
      ),
    );
    assert.deepEqual(
      events.map((e) => (e.type === 'query' ? [e.type, e.text, e.rows] : e)),
      [{ type: 'load-data-local', file: 'data.csv', bytes: 12 }, ['query', "LOAD DATA LOCAL INFILE 'data.csv' INTO TABLE t", 3], ['query', 'SELECT 1', 0]],
    );
  });

  test('LOAD DATA LOCAL INFILE: a long file whose sequence ids wrap through 0 is data to its end', () => {
    const c = new Conv(BASE);
    c.query("LOAD DATA LOCAL INFILE 'big.csv' INTO TABLE t").server([encodeLocalInfileRequest('big.csv')]);
    // 300 packets of 10 bytes: sequence ids 2..255, then 0..45; the one with id 0 starts with COM_QUERY's byte.
    const packets = Array.from({ length: 300 }, (_, i) => writePacket(Buffer.from(`\x03${String(i).padStart(8, '0')}\n`, 'latin1'), (2 + i) & 0xff));
    c.steps.push({ from: 'client', bytes: Buffer.concat([...packets, writePacket(Buffer.alloc(0), 302 & 0xff)]) });
    c.server([c.ok({ affectedRows: 300 })], 303 & 0xff);
    c.query('SELECT 1').server([c.ok()]);
    const { events } = play(c);
    assert.deepEqual(
      events.map((e) => (e.type === 'query' ? [e.text, e.rows] : e)),
      [{ type: 'load-data-local', file: 'big.csv', bytes: 3000 }, ["LOAD DATA LOCAL INFILE 'big.csv' INTO TABLE t", 300], ['SELECT 1', 0]],
    );
  });

  test('a target asking for a file it may not have breaks the protocol: push throws, the transcript says so', () => {
    const c = new Conv(BASE);
    c.query('SELECT 1').server([encodeLocalInfileRequest('/home/alice/.ssh/id_ed25519')]);
    assert.throws(
      () => play(c, { localInfile: false }),
      (err: Error) => err instanceof ProtocolError && /asked for the client's file '\/home\/alice\/\.ssh\/id_ed25519'/.test(err.message),
    );
  });

  test('commands a client runs on its own are followed, not shown', () => {
    const c = new Conv(BASE);
    c.client(encodeEmptyCommand(Command.COM_PING)).server([c.ok()]);
    c.client(encodeEmptyCommand(Command.COM_STATISTICS)).server([Buffer.from('Uptime: 5  Threads: 1')]);
    c.client(Buffer.of(Command.COM_SET_OPTION, 0, 0)).server([encodeEof({ warnings: 0, statusFlags: 0 }, BASE)]);
    c.client(Buffer.concat([Buffer.of(Command.COM_FIELD_LIST), Buffer.from('t\0')])).server([encodeColumnDefinition({ ...col('id'), defaultValue: null }), encodeEof({ warnings: 0, statusFlags: 0 }, BASE)]);
    c.query('SELECT 1').server([c.ok()]);
    c.client(encodeEmptyCommand(Command.COM_QUIT));
    const { tty, queries } = play(c);
    assert.equal(tty, lines('MariaDB [app]> SELECT 1', 'Query OK, 0 rows affected', ''));
    assert.equal(queries.length, 1);
  });

  test('an answer the observer cannot follow costs only that command', () => {
    const c = new Conv(BASE);
    // A column count that is not one, then what looks like rows: the SELECT's answer is lost…
    c.query('SELECT garbage').server([Buffer.of(0xfc), Buffer.of(1, 2, 3)]);
    // …until the next command's answer starts (sequence id 1 again).
    c.query('SELECT 1').server([c.ok({ affectedRows: 0 })]);
    c.query('SELECT 2').server([c.ok({ affectedRows: 2 })]);
    const { queries } = play(c);
    assert.deepEqual(
      queries.map((q) => [q.text, q.rows]),
      [
        ['SELECT garbage', 0],
        ['SELECT 1', 0],
        ['SELECT 2', 2],
      ],
    );
  });
});
