/** The PostgreSQL observer over the simple query protocol, COPY, asynchronous messages, long messages and chunking. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { serialize as fe } from 'pg-protocol';
import { decodeDataRow, encodeParameterStatus } from './protocol/backend.js';
import { be, client, code, INT4, lines, MALFORMED_ROW, pgQuery, play, query, scenarios, server, splitter, type Step, users } from './observer-test-support.js';

describe('simple query', () => {
  test('a result: prompt, statement, table and row count; one query event', () => {
    const { tty, events } = play(scenarios.simpleSelect());
    assert.deepEqual(lines(tty), [
      'app=> SELECT id, name FROM users;',
      ' id | name  ',
      '----+-------',
      '  1 | alice',
      '  2 | bob',
      '(2 rows)',
      '',
    ]);
    assert.deepEqual(events, [query({ text: 'SELECT id, name FROM users;', durationMs: 10, rows: 2, tag: 'SELECT 2' })]);
  });

  test("an answer's messages whole in their chunk are read where they lie, the Query too: none needs a view", () => {
    const views: string[] = [];
    const { events } = play(scenarios.simpleSelect(), {
      wrap: (sink) => ({
        ...sink,
        message: (type, ...rest) => {
          views.push(String.fromCharCode(type));
          sink.message(type, ...rest);
        },
      }),
    });
    assert.equal(events.length, 1);
    assert.deepEqual(views, []);
  });

  test('more rows than maxRows: only maxRows shown, all counted, rows past the cap never decoded', () => {
    assert.throws(() => decodeDataRow(MALFORMED_ROW.subarray(5)), 'the fifth row would not decode');
    let decoded = 0;
    let skipped = 0;
    const { tty, events } = play(scenarios.overCap(), {
      wrap: (sink, side) =>
        side === 'client'
          ? sink
          : {
              wants: (type, length) => sink.wants(type, length),
              message: (type, ...rest) => {
                if (type === code('D')) decoded++;
                sink.message(type, ...rest);
              },
              skipped: (type, length) => {
                if (type === code('D')) skipped++;
                sink.skipped?.(type, length);
              },
            },
    });
    assert.equal(decoded, 3);
    assert.equal(skipped, 2);
    assert.deepEqual(lines(tty), [
      'app=> SELECT id, name FROM users;',
      ' id | name  ',
      '----+-------',
      '  1 | alice',
      '  2 | bob',
      '  3 | carol',
      '(5 rows; first 3 shown)',
      '',
    ]);
    assert.deepEqual(events, [query({ text: 'SELECT id, name FROM users;', durationMs: 10, rows: 5, tag: 'SELECT 5' })]);
  });

  test('a malformed DataRow inside the cap costs its detail only', () => {
    const { tty, events } = play([
      client(fe.query('SELECT name FROM users;')),
      server(be.rowDescription(['name']), MALFORMED_ROW, be.dataRow(['bob']), be.commandComplete('SELECT 2'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT name FROM users;', ' name ', '------', ' bob', '(1 row)', '']);
    assert.equal(events.length, 1);
    assert.equal(events[0]!['tag'], 'SELECT 2');
  });

  test('two statements in one Query: two tables, one event with the rows of both', () => {
    const { tty, events } = play(scenarios.multiStatement());
    assert.deepEqual(lines(tty), ['app=> SELECT 1 AS a; SELECT 2 AS b;', ' a ', '---', ' 1', '(1 row)', '', ' b ', '---', ' 2', '(1 row)', '']);
    assert.deepEqual(events, [query({ text: 'SELECT 1 AS a; SELECT 2 AS b;', durationMs: 10, rows: 2, tag: 'SELECT 1' })]);
  });

  test('a command and a query in one Query: rows affected plus rows returned', () => {
    const { tty, events } = play([
      client(fe.query('UPDATE t SET x = 1; SELECT x FROM t;')),
      server(be.commandComplete('UPDATE 3'), be.rowDescription(['x']), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> UPDATE t SET x = 1; SELECT x FROM t;', 'UPDATE 3', ' x ', '---', ' 1', '(1 row)', '']);
    assert.deepEqual(events, [query({ text: 'UPDATE t SET x = 1; SELECT x FROM t;', durationMs: 10, rows: 4, tag: 'SELECT 1' })]);
  });

  test('RETURNING rows are not counted twice (once as DataRows, once from the tag)', () => {
    const { tty, events } = play([
      client(fe.query('UPDATE t SET x = 1 RETURNING id;')),
      server(be.rowDescription([{ name: 'id', type: INT4 }]), be.dataRow(['1']), be.dataRow(['2']), be.commandComplete('UPDATE 2'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> UPDATE t SET x = 1 RETURNING id;', ' id ', '----', '  1', '  2', '(2 rows)', '', 'UPDATE 2']);
    assert.deepEqual(events, [query({ text: 'UPDATE t SET x = 1 RETURNING id;', durationMs: 10, rows: 2, tag: 'UPDATE 2' })]);
  });

  test('a result with no rows shows its header and (0 rows)', () => {
    const { tty, events } = play([client(fe.query('SELECT name FROM users WHERE false;')), server(be.rowDescription(['name']), be.commandComplete('SELECT 0'), be.ready())]);
    assert.deepEqual(lines(tty), ['app=> SELECT name FROM users WHERE false;', ' name ', '------', '(0 rows)', '']);
    assert.deepEqual(events, [query({ text: 'SELECT name FROM users WHERE false;', durationMs: 10, rows: 0, tag: 'SELECT 0' })]);
  });

  test('an empty query', () => {
    const { tty, events } = play([client(fe.query('')), server(be.emptyQuery(), be.ready())]);
    assert.deepEqual(lines(tty), ['app=> ']);
    assert.deepEqual(events, [query({ text: '', durationMs: 10, rows: 0 })]);
  });
});

describe('the end of the connection', () => {
  test('a statement still being answered is recorded with the rows that came', () => {
    const played = play([client(fe.query('SELECT id, name FROM users;')), server(users, be.dataRow(['1', 'alice']), be.dataRow(['2', 'bob']))]);
    assert.deepEqual(played.events, []);
    played.observer.end();
    assert.deepEqual(played.events, [query({ text: 'SELECT id, name FROM users;', durationMs: 10, rows: 2, error: { message: 'the session ended before the answer was complete' } })]);
    assert.deepEqual(lines(played.ttyNow()).slice(lines(played.tty).length), [' id | name  ', '----+-------', '  1 | alice', '  2 | bob', '(2 rows)', '', '-- the session ended before the answer was complete']);
  });

  test('nothing waits: end() records nothing more', () => {
    const played = play(scenarios.simpleSelect());
    played.observer.end();
    assert.equal(played.events.length, 1);
  });
});

describe('errors and transactions', () => {
  test('an error: ERROR line, the event carries code and message; the prompt follows ReadyForQuery', () => {
    const { tty, queries } = play(scenarios.transaction());
    assert.deepEqual(lines(tty), [
      'app=> BEGIN;',
      'BEGIN',
      'app=*> INSERT INTO t VALUES (1);',
      'INSERT 0 1',
      'app=*> SELECT 1/0;',
      'ERROR:  division by zero',
      'app=!> SELECT 1;',
      'ERROR:  current transaction is aborted, commands ignored until end of transaction block',
      'app=!> ROLLBACK;',
      'ROLLBACK',
      'app=> SELECT nope FROM t;',
      'ERROR:  column "nope" does not exist',
      'LINE 1: SELECT nope FROM t;',
      '               ^',
    ]);
    assert.deepEqual(queries, [
      query({ text: 'BEGIN;', durationMs: 10, rows: 0, tag: 'BEGIN' }),
      query({ text: 'INSERT INTO t VALUES (1);', durationMs: 10, rows: 1, tag: 'INSERT 0 1' }),
      query({ text: 'SELECT 1/0;', durationMs: 10, rows: 0, error: { code: '22012', message: 'division by zero' } }),
      query({ text: 'SELECT 1;', durationMs: 10, rows: 0, error: { code: '25P02', message: 'current transaction is aborted, commands ignored until end of transaction block' } }),
      query({ text: 'ROLLBACK;', durationMs: 10, rows: 0, tag: 'ROLLBACK' }),
      query({ text: 'SELECT nope FROM t;', durationMs: 10, rows: 0, error: { code: '42703', message: 'column "nope" does not exist' } }),
    ]);
  });

  test('an error after some rows: the rows so far, then the error, in the transcript and the event', () => {
    const { tty, events } = play([
      client(fe.query('SELECT 10 / x FROM t;')),
      server(be.rowDescription([{ name: '?column?', type: INT4 }]), be.dataRow(['5']), be.error('22012', 'division by zero'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT 10 / x FROM t;', ' ?column? ', '----------', '        5', '(1 row)', '', 'ERROR:  division by zero']);
    assert.deepEqual(events, [query({ text: 'SELECT 10 / x FROM t;', durationMs: 10, rows: 1, error: { code: '22012', message: 'division by zero' } })]);
  });

  test('a superuser gets #, and a ParameterStatus can take it away', () => {
    const { tty, events } = play(
      [
        client(fe.query('SET SESSION AUTHORIZATION alice;')),
        server(encodeParameterStatus('is_superuser', 'off'), encodeParameterStatus('session_authorization', 'alice'), be.commandComplete('SET'), be.ready()),
        client(fe.query('SELECT 1;')),
        server(be.rowDescription([{ name: '?column?', type: INT4 }]), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
      ],
      { parameters: [['is_superuser', 'on']] },
    );
    assert.deepEqual(lines(tty).filter((l) => l.startsWith('app')), ['app=# SET SESSION AUTHORIZATION alice;', 'app=> SELECT 1;']);
    assert.deepEqual(
      events.filter((e) => e.type === 'parameter'),
      [
        { type: 'parameter', name: 'is_superuser', value: 'off' },
        { type: 'parameter', name: 'session_authorization', value: 'alice' },
      ],
    );
  });
});


describe('messages longer than the framer keeps', () => {
  const big = 'x'.repeat(1100 * 1024);

  test('a Bind cut short still answers its BindComplete and names its statement', () => {
    const { tty, events } = play([
      client(...pgQuery('SELECT 1 AS one', []), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.rowDescription(['one']), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
      client(...pgQuery('INSERT INTO files VALUES ($1)', [big]), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.noData(), be.commandComplete('INSERT 0 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty).slice(-2), ['app=> INSERT INTO files VALUES ($1)', 'INSERT 0 1']);
    assert.deepEqual(events[1], query({ text: 'INSERT INTO files VALUES ($1)', durationMs: 10, rows: 1, tag: 'INSERT 0 1' }));
  });

  test('a Parse cut short keeps its place in the queue and the start of its text', () => {
    const text = `INSERT INTO t VALUES ('${big}')`;
    const { events } = play([
      client(fe.parse({ text: 'SELECT 1' }), fe.sync()),
      server(be.parseComplete(), be.ready()),
      client(...pgQuery(text, []), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.noData(), be.commandComplete('INSERT 0 1'), be.ready()),
    ]);
    assert.equal(events.length, 1);
    assert.ok(String(events[0]!['text']).startsWith("INSERT INTO t VALUES ('xxx"));
    assert.equal(events[0]!['truncated'], true);
    assert.equal(events[0]!['tag'], 'INSERT 0 1');
  });

  test('a DataRow cut short is shown as far as it came, the cut marked, and counted', () => {
    const { tty, events } = play([
      client(fe.query('SELECT doc, id FROM docs;')),
      server(be.rowDescription(['doc', { name: 'id', type: INT4 }]), be.dataRow(['small', '1']), be.dataRow([big, '2']), be.commandComplete('SELECT 2'), be.ready()),
    ]);
    const table = lines(tty);
    assert.equal(table.length, 6 + 1);
    assert.match(table[3]!, /^ small +\| +1$/);
    assert.match(table[4]!, /^ x+… \| +…$/);
    assert.equal(table[5], '(2 rows)');
    assert.deepEqual(events, [query({ text: 'SELECT doc, id FROM docs;', durationMs: 10, rows: 2, tag: 'SELECT 2' })]);
  });
});

describe('COPY', () => {
  test('COPY FROM STDIN: a copy event with the exact bytes and the rows; the data is not in the transcript', () => {
    const { tty, events } = play(scenarios.copyIn());
    assert.deepEqual(lines(tty), ['app=> COPY t FROM STDIN;', '-- COPY data: 33 bytes, 3 rows from client (not recorded)', 'COPY 3']);
    assert.ok(!tty.includes('secret'));
    assert.deepEqual(events, [
      { type: 'copy', direction: 'in', bytes: 33, rows: 3 },
      query({ text: 'COPY t FROM STDIN;', durationMs: 40, rows: 3, tag: 'COPY 3' }),
    ]);
  });

  test('COPY TO STDOUT: the same, from the server', () => {
    const { tty, events } = play(scenarios.copyOut());
    assert.deepEqual(lines(tty), ['app=> COPY t TO STDOUT;', '-- COPY data: 33 bytes, 3 rows from server (not recorded)', 'COPY 3']);
    assert.ok(!tty.includes('secret'));
    assert.deepEqual(events, [
      { type: 'copy', direction: 'out', bytes: 33, rows: 3 },
      query({ text: 'COPY t TO STDOUT;', durationMs: 10, rows: 3, tag: 'COPY 3' }),
    ]);
  });

  test('a command before COPY in the same Query does not hide the rows copied', () => {
    const { events } = play([
      client(fe.query('UPDATE t SET x = 1; COPY t TO STDOUT;')),
      server(be.commandComplete('UPDATE 2'), be.copyResponse('H', 1), be.copyData('1\n'), be.copyDone(), be.commandComplete('COPY 1'), be.ready()),
    ]);
    assert.deepEqual(events.at(-1), query({ text: 'UPDATE t SET x = 1; COPY t TO STDOUT;', durationMs: 10, rows: 3, tag: 'COPY 1' }));
  });

  test('a COPY that fails part way still reports the data that went by', () => {
    const { tty, events } = play([
      client(fe.query('COPY (SELECT secret, 1 / (n - 3) FROM t) TO STDOUT;')),
      server(be.copyResponse('H', 2), be.copyData('a\t0\n'), be.copyData('b\t0\n'), be.error('22012', 'division by zero'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> COPY (SELECT secret, 1 / (n - 3) FROM t) TO STDOUT;', '-- COPY data: 8 bytes from server (not recorded)', 'ERROR:  division by zero']);
    assert.deepEqual(events, [
      { type: 'copy', direction: 'out', bytes: 8 },
      query({ text: 'COPY (SELECT secret, 1 / (n - 3) FROM t) TO STDOUT;', durationMs: 10, rows: 0, error: { code: '22012', message: 'division by zero' } }),
    ]);
  });

  test('CopyFail is recorded, and the data sent before it', () => {
    const { events } = play([
      client(fe.query('COPY t FROM STDIN;')),
      server(be.copyResponse('G', 1)),
      client(fe.copyData(Buffer.from('1\n')), fe.copyFail('cancelled by the user')),
      server(be.error('57014', 'COPY from stdin failed: cancelled by the user'), be.ready()),
    ]);
    assert.deepEqual(events, [
      { type: 'copy-fail', message: 'cancelled by the user' },
      { type: 'copy', direction: 'in', bytes: 2 },
      query({ text: 'COPY t FROM STDIN;', durationMs: 30, rows: 0, error: { code: '57014', message: 'COPY from stdin failed: cancelled by the user' } }),
    ]);
  });
});

describe('asynchronous messages', () => {
  test('notifications and notices between and during statements', () => {
    const { tty, events } = play(scenarios.asynchronous());
    assert.deepEqual(lines(tty), [
      'app=> LISTEN jobs;',
      'LISTEN',
      'Asynchronous notification "jobs" with payload "job 7 done" received from server process with PID 4242.',
      'WARNING:  the gateway will restart',
      'app=> COMMIT;',
      'WARNING:  there is no transaction in progress',
      'COMMIT',
    ]);
    assert.deepEqual(events, [
      query({ text: 'LISTEN jobs;', durationMs: 10, rows: 0, tag: 'LISTEN' }),
      { type: 'notification', channel: 'jobs', pid: 4242, payload: 'job 7 done' },
      query({ text: 'COMMIT;', durationMs: 10, rows: 0, tag: 'COMMIT' }),
    ]);
  });
});

// ---------------------------------------------------------------------------


describe('chunking', () => {
  const all = Object.entries(scenarios);

  test('any split of the bytes gives the same events and transcript', () => {
    for (const [name, scenario] of all) {
      const steps = scenario();
      const whole = play(steps);
      fc.assert(
        fc.property(fc.array(fc.array(fc.nat(), { maxLength: 12 }), { minLength: steps.length, maxLength: steps.length }), (picks) => {
          const split = play(steps, { chunks: splitter(picks) });
          assert.deepEqual(split.events, whole.events, name);
          assert.equal(split.tty, whole.tty, name);
        }),
        { numRuns: 25 },
      );
    }
  });

  test('one byte at a time', () => {
    for (const [name, scenario] of all) {
      const steps = scenario();
      const whole = play(steps);
      const bytewise = play(steps, { chunks: (b) => [...b].map((x) => Buffer.of(x)) });
      assert.deepEqual(bytewise.events, whole.events, name);
      assert.equal(bytewise.tty, whole.tty, name);
    }
  });

  test('consecutive chunks of one side merged into one give the same result', () => {
    const mergeable = ['copyIn', 'asynchronous'] as const;
    for (const name of mergeable) {
      const steps = scenarios[name]();
      const merged: Step[] = [];
      for (const step of steps) {
        const last = merged.at(-1);
        if (last?.from === step.from) merged[merged.length - 1] = { from: step.from, bytes: Buffer.concat([last.bytes, step.bytes]) };
        else merged.push(step);
      }
      assert.ok(merged.length < steps.length, name);
      const a = play(steps, { tick: 0 });
      const b = play(merged, { tick: 0 });
      assert.deepEqual(b.events, a.events, name);
      assert.equal(b.tty, a.tty, name);
    }
  });
});

// ---------------------------------------------------------------------------
