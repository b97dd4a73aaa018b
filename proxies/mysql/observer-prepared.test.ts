/** The MySQL observer over the binary protocol: prepared statements, their parameters and long data, and cursors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_TRACKED } from './observer.js';
import { Command } from './protocol/commands.js';
import { encodeStmtClose, encodeStmtExecute, encodeStmtPrepare, encodeStmtSendLongData, type Param } from './protocol/statement-commands.js';
import { writePacket } from './protocol/framer.js';
import { ServerStatus as S } from './protocol/packets.js';
import { ColumnType as T, encodeBinaryRow, encodeColumnCount, encodeColumnDefinition } from './protocol/resultset.js';
import { BASE, col, Conv, DEPRECATE, lines, play } from './observer-test-support.js';

describe('MysqlObserver: prepared statements', () => {
  const columns = [col('id', T.LONGLONG), col('name')];
  const text = 'SELECT id, name FROM t WHERE id > ? AND name <> ? AND x IS ?';
  const params = (id: number, name: string): Param[] => [
    { type: T.LONGLONG, unsigned: false, value: id },
    { type: T.VAR_STRING, unsigned: false, value: Buffer.from(name) },
    { type: T.NULL, unsigned: false, value: null },
  ];

  for (const caps of [BASE, DEPRECATE]) {
    test(`prepare, execute with parameters and a binary result, execute again reusing the types (${caps === BASE ? 'EOF' : 'DEPRECATE_EOF'})`, () => {
      const c = new Conv(caps);
      c.client(encodeStmtPrepare(text)).server(c.prepareOk(7, 3, columns));
      c.client(encodeStmtExecute({ statementId: 7, flags: 0, iterationCount: 1 }, params(5, 'bob'), caps)).server(
        c.binaryResult(columns, [
          [6, 'alice'],
          [-7, null],
        ]),
      );
      c.client(encodeStmtExecute({ statementId: 7, flags: 0, iterationCount: 1 }, params(9, 'x'), caps, false)).server(c.binaryResult(columns, []));
      c.client(encodeStmtClose(7));
      c.client(encodeStmtExecute({ statementId: 7, flags: 0, iterationCount: 1 }, params(1, 'y'), caps, false)).server([c.err(1243, 'HY000', 'Unknown prepared statement handler (7) given to mysqld_stmt_execute')]);
      const { tty, queries } = play(c);
      assert.equal(
        tty,
        lines(
          `MariaDB [app]> ${text}`,
          "-- $1 = '5', $2 = 'bob', $3 = NULL",
          ' id | name  ',
          '----+-------',
          '  6 | alice',
          ' -7 | ',
          '(2 rows)',
          '',
          `MariaDB [app]> ${text}`,
          "-- $1 = '9', $2 = 'x', $3 = NULL",
          ' id | name ',
          '----+------',
          '(0 rows)',
          '',
          'MariaDB [app]> EXECUTE statement 7',
          'ERROR 1243 (HY000): Unknown prepared statement handler (7) given to mysqld_stmt_execute',
        ),
      );
      assert.deepEqual(
        queries.map((q) => [q.text, q.params, q.rows]),
        [
          [text, ['5', 'bob', null], 2],
          [text, ['9', 'x', null], 0],
          ['EXECUTE statement 7', undefined, 0],
        ],
      );
    });
  }

  test('a failed prepare shows its statement and error; long data shows in the parameters', () => {
    const c = new Conv(BASE);
    c.client(encodeStmtPrepare('SELEC ?')).server([c.err(1064, '42000', 'You have an error in your SQL syntax')]);
    c.client(encodeStmtPrepare('INSERT INTO files VALUES (?, ?)')).server(c.prepareOk(3, 2, []));
    c.client(encodeStmtSendLongData(3, 1, Buffer.from('hello ')));
    c.client(encodeStmtSendLongData(3, 1, Buffer.from('world')));
    const ps: Param[] = [
      { type: T.LONG, unsigned: true, value: 4_000_000_000 },
      { type: T.BLOB, unsigned: false, value: null, longData: true },
    ];
    c.client(encodeStmtExecute({ statementId: 3, flags: 0, iterationCount: 1 }, ps, BASE)).server([c.ok({ affectedRows: 1 })]);
    const { tty, queries } = play(c);
    assert.equal(
      tty,
      lines(
        'MariaDB [app]> SELEC ?',
        'ERROR 1064 (42000): You have an error in your SQL syntax',
        'MariaDB [app]> INSERT INTO files VALUES (?, ?)',
        "-- $1 = '4000000000', $2 = 'hello world'",
        'Query OK, 1 row affected',
        '',
      ),
    );
    assert.deepEqual(
      queries.map((q) => [q.text, q.params ?? null, q.error ?? null]),
      [
        ['SELEC ?', null, { code: '1064 (42000)', message: 'You have an error in your SQL syntax' }],
        ['INSERT INTO files VALUES (?, ?)', ['4000000000', 'hello world'], null],
      ],
    );
  });

  test('pipelined prepare and execute of statement id 0xFFFFFFFF (MariaDB connectors)', () => {
    const c = new Conv(DEPRECATE);
    const p = [{ type: T.LONGLONG, unsigned: false, value: 42 }];
    // Both commands in one chunk, before any answer.
    c.steps.push({
      from: 'client',
      bytes: Buffer.concat([writePacket(encodeStmtPrepare('DELETE FROM t WHERE id = ?'), 0), writePacket(encodeStmtExecute({ statementId: 0xffff_ffff, flags: 0, iterationCount: 1 }, p, DEPRECATE), 0)]),
    });
    c.server(c.prepareOk(1, 1, []));
    c.server([c.ok({ affectedRows: 1 })]);
    const { tty, queries } = play(c);
    assert.equal(tty, lines('MariaDB [app]> DELETE FROM t WHERE id = ?', "-- $1 = '42'", 'Query OK, 1 row affected', ''));
    assert.deepEqual(queries.map((q) => q.params), [['42']]);
  });

  test('prepared statements tracked are capped', () => {
    const c = new Conv(DEPRECATE);
    for (let i = 1; i <= MAX_TRACKED + 1; i++) c.client(encodeStmtPrepare(`SELECT ${i}`)).server(c.prepareOk(i, 0, []));
    c.client(encodeStmtExecute({ statementId: 1, flags: 0, iterationCount: 1 }, [], DEPRECATE)).server([c.err(1243, 'HY000', 'Unknown prepared statement handler')]);
    c.client(encodeStmtExecute({ statementId: 2, flags: 0, iterationCount: 1 }, [], DEPRECATE)).server([c.ok()]);
    const { queries } = play(c);
    assert.deepEqual(
      queries.map((q) => q.text),
      ['EXECUTE statement 1', 'SELECT 2'],
    );
  });
});

describe('MysqlObserver: cursors', () => {
  const fetch = (id: number, rows: number): Buffer => {
    const b = Buffer.alloc(9);
    b[0] = Command.COM_STMT_FETCH;
    b.writeUInt32LE(id, 1);
    b.writeUInt32LE(rows, 5);
    return b;
  };
  const cols = [col('id', T.LONGLONG), col('name')];
  for (const [style, caps] of [
    ['EOF packets', BASE],
    ['CLIENT_DEPRECATE_EOF', DEPRECATE],
  ] as const) {
    test(`rows fetched from a cursor are the statement's result, shown when the last is sent (${style})`, () => {
      const c = new Conv(caps);
      c.client(encodeStmtPrepare('SELECT id, name FROM t')).server(c.prepareOk(7, 0, cols));
      // CURSOR_TYPE_READ_ONLY: the answer is the result set's head, ended with CURSOR_EXISTS.
      const head = [encodeColumnCount(2, caps), ...cols.map((x) => encodeColumnDefinition(x)), c.end(S.SERVER_STATUS_CURSOR_EXISTS)];
      c.client(encodeStmtExecute({ statementId: 7, flags: 1, iterationCount: 1 }, [], caps)).server(head);
      c.query('SELECT 2').server([c.ok()]);
      c.client(fetch(7, 2)).server([encodeBinaryRow([1, 'a'], cols), encodeBinaryRow([2, 'b'], cols), c.end(S.SERVER_STATUS_CURSOR_EXISTS)]);
      c.client(fetch(7, 2)).server([encodeBinaryRow([3, 'c'], cols), encodeBinaryRow([4, null], cols), c.end(S.SERVER_STATUS_CURSOR_EXISTS)]);
      c.client(fetch(7, 2)).server([encodeBinaryRow([5, 'e'], cols), c.end(S.SERVER_STATUS_CURSOR_EXISTS | S.SERVER_STATUS_LAST_ROW_SENT)]);
      c.query('SELECT 3').server([c.ok()]);
      const { tty, queries } = play(c);
      assert.equal(
        tty,
        lines(
          'MariaDB [app]> SELECT id, name FROM t',
          'MariaDB [app]> SELECT 2',
          'Query OK, 0 rows affected',
          '',
          ' id | name ',
          '----+------',
          '  1 | a',
          '  2 | b',
          '  3 | c',
          '(5 rows; first 3 shown)',
          '',
          'MariaDB [app]> SELECT 3',
          'Query OK, 0 rows affected',
          '',
        ),
      );
      assert.deepEqual(
        queries.map((q) => [q.text, q.rows, q.durationMs]),
        [
          ['SELECT 2', 0, 5],
          // From the execute to the last fetch's end.
          ['SELECT id, name FROM t', 5, 45],
          ['SELECT 3', 0, 5],
        ],
      );
    });
  }

  test("result sets run between a cursor's fetches leave its rows as they were", () => {
    // A connection lends the buffer of its larger tables (over 4 KiB) to one result set at a
    // time: the cursor's rows stay in theirs while other statements' tables come and go.
    const c = new Conv(DEPRECATE);
    const v = [col('v')];
    const values = (fill: string): string[] => Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(50, fill));
    const shown = (fill: string): string[] => [` ${' '.repeat(24)}v${' '.repeat(25)} `, '-'.repeat(52), ...values(fill).map((x) => ` ${x}`), '(100 rows)', ''];
    c.query('SELECT 1').server(c.textResult(v, values('x').map((x) => [x])));
    c.client(encodeStmtPrepare('SELECT id, name FROM t')).server(c.prepareOk(3, 0, cols));
    c.client(encodeStmtExecute({ statementId: 3, flags: 1, iterationCount: 1 }, [], DEPRECATE)).server([encodeColumnCount(2, DEPRECATE), ...cols.map((x) => encodeColumnDefinition(x)), c.end(S.SERVER_STATUS_CURSOR_EXISTS)]);
    c.client(fetch(3, 1)).server([encodeBinaryRow([1, 'a'.repeat(30)], cols), c.end(S.SERVER_STATUS_CURSOR_EXISTS)]);
    c.query('SELECT 2').server(c.textResult(v, values('y').map((x) => [x])));
    c.client(fetch(3, 1)).server([encodeBinaryRow([2, 'b'.repeat(30)], cols), c.end(S.SERVER_STATUS_CURSOR_EXISTS)]);
    c.query('SELECT 3').server(c.textResult(v, values('z').map((x) => [x])));
    c.client(fetch(3, 1)).server([encodeBinaryRow([3, 'c'], cols), c.end(S.SERVER_STATUS_CURSOR_EXISTS | S.SERVER_STATUS_LAST_ROW_SENT)]);
    const { tty } = play(c, { maxRows: 100 });
    assert.equal(
      tty,
      lines(
        'MariaDB [app]> SELECT 1',
        ...shown('x'),
        'MariaDB [app]> SELECT id, name FROM t',
        'MariaDB [app]> SELECT 2',
        ...shown('y'),
        'MariaDB [app]> SELECT 3',
        ...shown('z'),
        ' id |              name              ',
        '----+--------------------------------',
        '  1 | ' + 'a'.repeat(30),
        '  2 | ' + 'b'.repeat(30),
        '  3 | c',
        '(3 rows)',
        '',
      ),
    );
  });

  test('a cursor closed before its last row is recorded with the rows fetched', () => {
    const c = new Conv(DEPRECATE);
    c.client(encodeStmtPrepare('SELECT id, name FROM t')).server(c.prepareOk(3, 0, cols));
    c.client(encodeStmtExecute({ statementId: 3, flags: 1, iterationCount: 1 }, [], DEPRECATE)).server([encodeColumnCount(2, DEPRECATE), ...cols.map((x) => encodeColumnDefinition(x)), c.end(S.SERVER_STATUS_CURSOR_EXISTS)]);
    c.client(fetch(3, 1)).server([encodeBinaryRow([1, 'a'], cols), c.end(S.SERVER_STATUS_CURSOR_EXISTS)]);
    c.client(encodeStmtClose(3));
    c.query('SELECT 9').server([c.ok()]);
    const { queries } = play(c);
    assert.deepEqual(
      queries.map((q) => [q.text, q.rows]),
      [
        ['SELECT id, name FROM t', 1],
        ['SELECT 9', 0],
      ],
    );
  });

  test('a cursor still open when the connection ends is recorded by end()', () => {
    const c = new Conv(BASE);
    c.client(encodeStmtPrepare('SELECT id, name FROM t')).server(c.prepareOk(3, 0, cols));
    c.client(encodeStmtExecute({ statementId: 3, flags: 1, iterationCount: 1 }, [], BASE)).server([encodeColumnCount(2, BASE), ...cols.map((x) => encodeColumnDefinition(x)), c.end(S.SERVER_STATUS_CURSOR_EXISTS)]);
    c.client(fetch(3, 2)).server([encodeBinaryRow([1, 'a'], cols), encodeBinaryRow([2, 'b'], cols), c.end(S.SERVER_STATUS_CURSOR_EXISTS)]);
    const played = play(c);
    assert.equal(played.queries.length, 0);
    played.observer.end();
    assert.deepEqual(
      played.events.filter((e) => e.type === 'query').map((q) => [q.text, q.rows]),
      [['SELECT id, name FROM t', 2]],
    );
  });
});
