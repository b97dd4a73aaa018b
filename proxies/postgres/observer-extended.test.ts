/** The PostgreSQL observer over the extended query protocol: pipelines, portals, and errors before a Sync. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serialize as fe } from 'pg-protocol';
import { be, bind, client, int4, INT4, lines, pgQuery, play, query, scenarios, server, users } from './observer-test-support.js';

describe('extended protocol', () => {
  test('node-postgres: Parse/Bind/Describe/Execute/Sync in one chunk, text and binary parameters', () => {
    const { tty, events } = play(scenarios.nodePostgres());
    assert.deepEqual(lines(tty), [
      'app=> SELECT $1::text AS greeting, $2::int4 AS n',
      "-- $1 = 'hi', $2 = '42'",
      ' greeting | n  ',
      '----------+----',
      ' hi       | 42',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [query({ text: 'SELECT $1::text AS greeting, $2::int4 AS n', params: ['hi', '42'], durationMs: 10, rows: 1, tag: 'SELECT 1' })]);
  });

  test('node-postgres binary results: values read with the format codes of the described portal', () => {
    const { tty, events } = play([
      client(...pgQuery('SELECT n, t FROM nums WHERE n = $1', [null], { binary: true }), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: 'n', type: INT4, format: 1 }, { name: 't', format: 1 }]), be.dataRow([int4(-7), 'seven']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT n, t FROM nums WHERE n = $1', '-- $1 = NULL', ' n  |   t   ', '----+-------', ' -7 | seven', '(1 row)', '']);
    assert.deepEqual(events, [query({ text: 'SELECT n, t FROM nums WHERE n = $1', params: [null], durationMs: 10, rows: 1, tag: 'SELECT 1' })]);
  });

  test('a described SELECT with no rows shows its header and (0 rows); a command its tag', () => {
    const { tty, events } = play([
      client(...pgQuery('SELECT name FROM users WHERE id = $1', ['9']), fe.sync(), ...pgQuery('INSERT INTO t VALUES ($1)', ['1']), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.rowDescription(['name']), be.commandComplete('SELECT 0'), be.ready()),
      server(be.parseComplete(), be.bindComplete(), be.noData(), be.commandComplete('INSERT 0 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), [
      'app=> SELECT name FROM users WHERE id = $1',
      "-- $1 = '9'",
      'app=> INSERT INTO t VALUES ($1)',
      "-- $1 = '1'",
      ' name ',
      '------',
      '(0 rows)',
      '',
      'INSERT 0 1',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT name FROM users WHERE id = $1', params: ['9'], durationMs: 10, rows: 0, tag: 'SELECT 0' }),
      query({ text: 'INSERT INTO t VALUES ($1)', params: ['1'], durationMs: 20, rows: 1, tag: 'INSERT 0 1' }),
    ]);
  });

  test('pipelined with one Sync: each Execute its own event, its own parameters, in order', () => {
    const { tty, events } = play(scenarios.pipelined());
    assert.deepEqual(lines(tty), [
      'app=> SELECT $1::int AS a',
      "-- $1 = '1'",
      'app=> SELECT $1::text AS b',
      "-- $1 = 'two'",
      'app=> UPDATE t SET x = $1',
      '-- $1 = NULL',
      ' a ',
      '---',
      ' 1',
      '(1 row)',
      '',
      '  b  ',
      '-----',
      ' two',
      '(1 row)',
      '',
      'UPDATE 2',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT $1::int AS a', params: ['1'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
      query({ text: 'SELECT $1::text AS b', params: ['two'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
      query({ text: 'UPDATE t SET x = $1', params: [null], durationMs: 10, rows: 2, tag: 'UPDATE 2' }),
    ]);
  });

  test('pipelined with a Sync each: the same events and transcript', () => {
    const one = play(scenarios.pipelined());
    const each = play(scenarios.pipelinedSyncs());
    assert.deepEqual(each.events, one.events);
    assert.equal(each.tty, one.tty);
  });

  test('a named prepared statement parsed once, bound again with other parameters', () => {
    const { tty, events } = play(scenarios.namedStatement());
    assert.deepEqual(lines(tty), [
      'app=> SELECT name FROM users WHERE id = $1',
      "-- $1 = '1'",
      ' name  ',
      '-------',
      ' alice',
      '(1 row)',
      '',
      'app=> SELECT name FROM users WHERE id = $1',
      "-- $1 = '2'",
      ' name ',
      '------',
      ' bob',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT name FROM users WHERE id = $1', params: ['1'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
      query({ text: 'SELECT name FROM users WHERE id = $1', params: ['2'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
    ]);
  });

  test('a statement prepared with Describe, then bound with binary parameters and results (pgx)', () => {
    const { tty, events } = play([
      client(fe.parse({ name: 'stmtcache_1', text: 'SELECT id, name FROM users WHERE id = $1' }), fe.describe({ type: 'S', name: 'stmtcache_1' }), fe.sync()),
      server(be.parseComplete(), be.parameterDescription([INT4]), users, be.ready()),
      client(bind('stmtcache_1', [int4(7)], [1], [1, 0]), fe.execute(), fe.sync()),
      server(be.bindComplete(), be.dataRow([int4(7), 'grace']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT id, name FROM users WHERE id = $1', "-- $1 = '7'", ' id | name  ', '----+-------', '  7 | grace', '(1 row)', '']);
    assert.deepEqual(events, [query({ text: 'SELECT id, name FROM users WHERE id = $1', params: ['7'], durationMs: 10, rows: 1, tag: 'SELECT 1' })]);
  });

  test('an Execute of a portal never described names its columns by position', () => {
    const { tty } = play([
      client(fe.parse({ text: 'SELECT 1, 2' }), fe.bind({}), fe.execute(), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.dataRow(['1', '2']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT 1, 2', ' ?column1? | ?column2? ', '-----------+-----------', ' 1         | 2', '(1 row)', '']);
  });

  test('PortalSuspended, then a second Execute of the same portal', () => {
    const { tty, events } = play(scenarios.portalSuspended());
    assert.deepEqual(lines(tty), [
      'app=> SELECT id FROM t WHERE id > $1',
      "-- $1 = '0'",
      ' id ',
      '----',
      '  1',
      '  2',
      '(2 rows)',
      '',
      'app=> SELECT id FROM t WHERE id > $1',
      "-- $1 = '0'",
      ' id ',
      '----',
      '  3',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT id FROM t WHERE id > $1', params: ['0'], durationMs: 10, rows: 2, tag: '(portal suspended)' }),
      query({ text: 'SELECT id FROM t WHERE id > $1', params: ['0'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
    ]);
  });
});

describe('errors in the extended protocol', () => {
  test('an error at the second Bind of a pipeline: its event has the error, the skipped Execute none, the next Sync group runs', () => {
    const { tty, events } = play(scenarios.pipelineError());
    assert.deepEqual(lines(tty), [
      'app=> SELECT $1::int AS a',
      "-- $1 = '1'",
      'app=> SELECT $1::int AS b',
      "-- $1 = 'abc'",
      'app=> DELETE FROM t WHERE id = $1',
      "-- $1 = '3'",
      ' a ',
      '---',
      ' 1',
      '(1 row)',
      '',
      'ERROR:  invalid input syntax for type integer: "abc"',
      'app=> SELECT $1::int AS d',
      "-- $1 = '4'",
      ' d ',
      '---',
      ' 4',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT $1::int AS a', params: ['1'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
      query({ text: 'SELECT $1::int AS b', params: ['abc'], durationMs: 10, rows: 0, error: { code: '22P02', message: 'invalid input syntax for type integer: "abc"' } }),
      query({ text: 'SELECT $1::int AS d', params: ['4'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
    ]);
  });

  test('an error during an Execute: its rows so far and the error; the rest up to Sync skipped', () => {
    const { tty, events } = play([
      client(...pgQuery('SELECT 10 / x FROM t', []), ...pgQuery('DELETE FROM t', []), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: '?column?', type: INT4 }]), be.dataRow(['5']), be.error('22012', 'division by zero'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT 10 / x FROM t', 'app=> DELETE FROM t', ' ?column? ', '----------', '        5', '(1 row)', '', 'ERROR:  division by zero']);
    assert.deepEqual(events, [query({ text: 'SELECT 10 / x FROM t', params: [], durationMs: 10, rows: 1, error: { code: '22012', message: 'division by zero' } })]);
  });

  test('the Sync comes only after the error: what the client sends before it is skipped, as the server does', () => {
    const { tty, events } = play(scenarios.lateSync());
    assert.deepEqual(lines(tty), [
      'app=> SELECT $1::int AS b',
      "-- $1 = 'abc'",
      'ERROR:  invalid input syntax for type integer: "abc"',
      'app=> SELECT $1::int AS c',
      "-- $1 = '5'",
      ' c ',
      '---',
      ' 5',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT $1::int AS b', params: ['abc'], durationMs: 10, rows: 0, error: { code: '22P02', message: 'invalid input syntax for type integer: "abc"' } }),
      query({ text: 'SELECT $1::int AS c', params: ['5'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
    ]);
  });

  test('a syntax error at Parse, with its position in the statement', () => {
    const { tty, events } = play([
      client(...pgQuery('SELEC $1', ['x']), fe.sync()),
      server(be.error('42601', 'syntax error at or near "SELEC"', { position: '1' }), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELEC $1', "-- $1 = 'x'", 'ERROR:  syntax error at or near "SELEC"', 'LINE 1: SELEC $1', '        ^']);
    // The event is the queued Execute's: timed from when it was sent, with the parameters bound.
    assert.deepEqual(events, [query({ text: 'SELEC $1', params: ['x'], durationMs: 10, rows: 0, error: { code: '42601', message: 'syntax error at or near "SELEC"' } })]);
  });

  test('a Parse that only prepares (no Execute behind it) fails: the statement is shown before its error', () => {
    const { tty, events } = play([
      client(fe.parse({ name: 's1', text: 'SELEC 1' }), fe.describe({ type: 'S', name: 's1' }), fe.sync()),
      server(be.error('42601', 'syntax error at or near "SELEC"'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELEC 1', 'ERROR:  syntax error at or near "SELEC"']);
    assert.equal(events.length, 1);
  });

  test('a Parse the server refused does not rename the statement it already had', () => {
    const { tty, events } = play([
      client(fe.parse({ name: 's1', text: 'DELETE FROM audit_log' }), fe.sync()),
      server(be.parseComplete(), be.ready()),
      client(fe.parse({ name: 's1', text: 'SELECT 1' }), fe.sync()),
      server(be.error('42P05', 'prepared statement "s1" already exists'), be.ready()),
      client(fe.bind({ statement: 's1' }), fe.describe({ type: 'P' }), fe.execute(), fe.sync()),
      server(be.bindComplete(), be.noData(), be.commandComplete('DELETE 500'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT 1', 'ERROR:  prepared statement "s1" already exists', 'app=> DELETE FROM audit_log', 'DELETE 500']);
    assert.deepEqual(events[1], query({ text: 'DELETE FROM audit_log', params: [], durationMs: 10, rows: 500, tag: 'DELETE 500' }));
  });

  test('Parse and Close skipped after an error leave the statements as the server has them', () => {
    const { events } = play([
      client(fe.parse({ name: 'keep', text: 'SELECT 1 AS kept' }), fe.parse({ text: 'SELECT 2 AS unnamed' }), fe.sync()),
      server(be.parseComplete(), be.parseComplete(), be.ready()),
      // The Bind fails; the Parse of the unnamed statement and the Close behind it are skipped.
      client(...pgQuery('SELECT $1::int', ['x']), fe.parse({ text: 'SELECT 3 AS never' }), fe.close({ type: 'S', name: 'keep' }), fe.sync()),
      server(be.parseComplete(), be.error('22P02', 'invalid input syntax for type integer: "x"'), be.ready()),
      client(fe.bind({ statement: 'keep' }), fe.execute(), fe.sync()),
      server(be.bindComplete(), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
      // The failed Bind's Parse did take effect: the unnamed statement is `SELECT $1::int`.
      client(fe.bind({ values: ['1'] }), fe.execute(), fe.sync()),
      server(be.bindComplete(), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(
      events.map((e) => e['text']),
      ['SELECT $1::int', 'SELECT 1 AS kept', 'SELECT $1::int'],
    );
  });

  test('a failed Parse of the unnamed statement leaves none (PostgreSQL drops the old one first)', () => {
    const { events } = play([
      client(fe.parse({ text: 'SELECT 1' }), fe.sync()),
      server(be.parseComplete(), be.ready()),
      client(fe.parse({ text: 'SELEC 2' }), fe.sync()),
      server(be.error('42601', 'syntax error at or near "SELEC"'), be.ready()),
      client(fe.bind({}), fe.execute(), fe.sync()),
      server(be.error('26000', 'unnamed prepared statement does not exist'), be.ready()),
    ]);
    assert.deepEqual(
      events.map((e) => e['text']),
      ['SELEC 2', 'EXECUTE <unnamed>'],
    );
  });
});
