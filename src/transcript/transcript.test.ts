import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ServerMessage, Transcript, quoteParam } from './transcript.js';

const t = new Transcript();

test("a multi-line statement continues with psql's prompts", () => {
  // Typed into psql 15.20 interactively (PROMPT1 and PROMPT2 both `%/%R%x%# `, as superuser).
  const typed = 'select 1,\n  \'abc\ndef\',\n  (1 +\n 2), $$x\ny$$, "a\nb" /* c\n */ ;\nselect 2 -- x\n;';
  assert.equal(
    t.statement('test=# ', typed),
    'test=# select 1,\r\n' +
      "test-#   'abc\r\n" +
      "test'# def',\r\n" +
      'test-#   (1 +\r\n' +
      'test(#  2), $$x\r\n' +
      'test$# y$$, "a\r\n' +
      'test"# b" /* c\r\n' +
      'test*#  */ ;\r\n' +
      'test=# select 2 -- x\r\n' +
      'test-# ;\r\n',
  );
});

test('statement: trailing blank lines dropped, CRLF taken as a line end, prompts of other shapes', () => {
  assert.equal(t.statement('app=> ', 'select 1;\n\n'), 'app=> select 1;\r\n');
  assert.equal(t.statement('app=*> ', 'select\r\n1'), 'app=*> select\r\napp-*> 1\r\n');
  assert.equal(t.statement('mysql> ', 'select 1\nfrom t'), 'mysql> select 1\r\n    -> from t\r\n');
  assert.equal(t.statement('app=> ', 'select 1\nfrom t', '...> '), 'app=> select 1\r\n...> from t\r\n');
  assert.equal(t.statement('app=> ', ''), 'app=> \r\n');
  assert.equal(t.statement('app=> ', 'select 1   '), 'app=> select 1\r\n');
  assert.equal(t.statement('app=> ', "select E'it\\'s\n', 1"), "app=> select E'it\\'s\r\napp'> ', 1\r\n");
});

test('statement: a huge one is cut, and a note says so', () => {
  const out = t.statement('app=> ', `select '${'x'.repeat(100_000)}'`);
  assert.ok(out.length < 70_000);
  assert.ok(out.endsWith('\r\n-- recgate: statement cut: 100009 characters, first 65536 shown\r\n'));
});

test('statement: controls other than line breaks and tabs are shown, not obeyed', () => {
  assert.equal(
    t.statement('app=> ', 'select 1 \x1b[2J\x1b]0;x\x07\rdrop\u202e\tx'),
    'app=> select 1 \\x1B[2J\\x1B]0;x\\x07\\rdrop\\u202E\tx\r\n',
  );
  assert.equal(t.statement('a\x1bpp=> ', 'x'), 'a\\x1Bpp=> x\r\n');
});

test('parameters: one comment line of SQL literals', () => {
  assert.equal(t.parameters([]), '');
  assert.equal(t.parameters(['42', null]), "-- $1 = '42', $2 = NULL\r\n");
  assert.equal(t.parameters(["it's", 'a\\b']), "-- $1 = 'it''s', $2 = 'a\\b'\r\n");
  // With anything to escape, E'' syntax tells an escape from the same characters typed.
  assert.equal(t.parameters(['a\nb\\x1B\x1b']), "-- $1 = E'a\\nb\\\\x1B\\x1B'\r\n");
});

test('parameters: values capped at 200 characters, at most 64 shown', () => {
  assert.equal(quoteParam('x'.repeat(500)), `'${'x'.repeat(200)}'…`);
  assert.equal(quoteParam('x'.repeat(200)), `'${'x'.repeat(200)}'`);
  assert.equal(new Transcript({ maxParamChars: 3 }).parameters(['abcdef']), "-- $1 = 'abc'…\r\n");
  // The cut counts characters before quotes are doubled, and characters, not UTF-16 units.
  assert.equal(quoteParam("ab'cd", 3), "'ab'''…");
  assert.equal(quoteParam('ab😀d', 3), "'ab😀'…");
  assert.equal(quoteParam('abc\x01', 3), "'abc'…");
  const many = t.parameters(Array.from({ length: 70 }, (_, i) => String(i)));
  assert.ok(many.includes("$64 = '63', … (6 more parameters)\r\n"));
  assert.ok(!many.includes('$65'));
});

// Captured from psql 15.20 (`psql -X -c '<statement>'`, stderr), "\n" turned into "\r\n"; fields as the server sent them.
const PSQL_ERRORS: { name: string; statement: string; error: ServerMessage; expected: string }[] = [
  {
    name: 'position on the first line',
    statement: 'select * from nosuch',
    error: { severity: 'ERROR', code: '42P01', message: 'relation "nosuch" does not exist', position: 15 },
    expected:
      'ERROR:  relation "nosuch" does not exist\r\n' +
      'LINE 1: select * from nosuch\r\n' +
      '                      ^\r\n',
  },
  {
    name: 'position on a later line',
    statement: 'select 1,\n  2 from nosuch where x',
    error: { severity: 'ERROR', code: '42P01', message: 'relation "nosuch" does not exist', position: 20 },
    expected:
      'ERROR:  relation "nosuch" does not exist\r\n' +
      'LINE 2:   2 from nosuch where x\r\n' +
      '                 ^\r\n',
  },
  {
    name: 'position at the end of the input',
    statement: 'select 1 +',
    error: { severity: 'ERROR', code: '42601', message: 'syntax error at end of input', position: 11 },
    expected:
      'ERROR:  syntax error at end of input\r\n' +
      'LINE 1: select 1 +\r\n' +
      '                  ^\r\n',
  },
  {
    name: 'long line cut on the right',
    statement: `select ${'x'.repeat(30)}, '${'b'.repeat(95)}'`,
    error: { severity: 'ERROR', code: '42703', message: 'column "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" does not exist', position: 8 },
    expected:
      'ERROR:  column "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" does not exist\r\n' +
      "LINE 1: select xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, 'bbbbbbbbbbbbbbbbbbbb...\r\n" +
      '               ^\r\n',
  },
  {
    name: 'long line cut on both sides',
    statement: `select '${'b'.repeat(95)}', ${'x'.repeat(30)}, '${'c'.repeat(30)}'`,
    error: { severity: 'ERROR', code: '42703', message: 'column "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" does not exist', position: 107 },
    expected:
      'ERROR:  column "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" does not exist\r\n' +
      "LINE 1: ...bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', xxxxxxxxxx...\r\n" +
      '                                                             ^\r\n',
  },
  {
    name: 'CRLF line ends and a tab',
    statement: 'select 1,\r\n\t2, nosuch',
    error: { severity: 'ERROR', code: '42703', message: 'column "nosuch" does not exist', position: 16 },
    expected:
      'ERROR:  column "nosuch" does not exist\r\n' +
      'LINE 2:  2, nosuch\r\n' +
      '            ^\r\n',
  },
  {
    name: 'wide characters before the position',
    statement: `select '${'日本語'.repeat(14)}', nosuch`,
    error: { severity: 'ERROR', code: '42703', message: 'column "nosuch" does not exist', position: 54 },
    expected:
      'ERROR:  column "nosuch" does not exist\r\n' +
      "LINE 1: ...語日本語日本語日本語日本語日本語日本語日本語日本語', nosuch\r\n" +
      '                                                                ^\r\n',
  },
  {
    name: 'detail',
    statement: 'insert into t values (1)',
    error: { severity: 'ERROR', code: '23505', message: 'duplicate key value violates unique constraint "t_pkey"', detail: 'Key (a)=(1) already exists.' },
    expected:
      'ERROR:  duplicate key value violates unique constraint "t_pkey"\r\n' +
      'DETAIL:  Key (a)=(1) already exists.\r\n',
  },
  {
    name: 'multi-line context',
    statement: 'select f()',
    error: { severity: 'ERROR', code: '22012', message: 'division by zero', context: 'SQL expression "1/0"\nPL/pgSQL function f() line 1 at RETURN' },
    expected:
      'ERROR:  division by zero\r\n' +
      'CONTEXT:  SQL expression "1/0"\r\n' +
      'PL/pgSQL function f() line 1 at RETURN\r\n',
  },
  {
    name: 'multi-line message and a position on a later line',
    statement: 'select 1,\n  \'abc\ndef\',\n  (1 +\n 2), $$x\ny$$, "a\nb" /* c\n */ ;',
    error: { severity: 'ERROR', code: '42703', message: 'column "a\nb" does not exist', position: 45 },
    expected: 'ERROR:  column "a\r\n' + 'b" does not exist\r\n' + 'LINE 6: y$$, "a\r\n' + '             ^\r\n',
  },
];

for (const f of PSQL_ERRORS) {
  test(`psql's error output byte for byte: ${f.name}`, () => {
    assert.equal(t.error(f.error, f.statement), f.expected);
  });
}

test('error: without the statement the position is given as text; out of range it is dropped', () => {
  const e: ServerMessage = { severity: 'ERROR', message: 'relation "nosuch" does not exist', position: 15 };
  assert.equal(t.error(e), 'ERROR:  relation "nosuch" does not exist at character 15\r\n');
  assert.equal(t.error({ ...e, position: 99 }, 'select 1'), 'ERROR:  relation "nosuch" does not exist\r\n');
  assert.equal(
    t.error({ severity: 'FATAL', message: 'terminating connection due to administrator command', hint: 'h', internalQuery: 'q' }),
    'FATAL:  terminating connection due to administrator command\r\nHINT:  h\r\nQUERY:  q\r\n',
  );
});

test('error: controls in the statement are escaped and the caret still points at the right place', () => {
  assert.equal(
    t.error({ severity: 'ERROR', message: 'm\x1b[31m', position: 13 }, 'select \x1b[2J nosuch'),
    'ERROR:  m\\x1B[31m\r\nLINE 1: select \\x1B[2J nosuch\r\n' + ' '.repeat(23) + '^\r\n',
  );
});

test('notice as psql prints it, without CONTEXT', () => {
  // psql 15.20: do $$ begin raise notice 'hello %', 1 using detail='d', hint='h'; end $$
  assert.equal(
    t.notice({ severity: 'NOTICE', code: '00000', message: 'hello 1', detail: 'd', hint: 'h', context: 'PL/pgSQL function inline_code_block line 1 at RAISE' }),
    'NOTICE:  hello 1\r\nDETAIL:  d\r\nHINT:  h\r\n',
  );
  assert.equal(t.notice({ severity: 'WARNING', message: 'there is no transaction in progress' }), 'WARNING:  there is no transaction in progress\r\n');
});

test('notification as psql prints it', () => {
  assert.equal(
    t.notification('ch', 'x', 123),
    'Asynchronous notification "ch" with payload "x" received from server process with PID 123.\r\n',
  );
  assert.equal(t.notification('ch', '', 123), 'Asynchronous notification "ch" received from server process with PID 123.\r\n');
  assert.equal(
    t.notification('c\x1bh', 'a\nb', 1),
    'Asynchronous notification "c\\x1Bh" with payload "a\\x0Ab" received from server process with PID 1.\r\n',
  );
});

test('command tag, COPY and gateway notes', () => {
  assert.equal(t.commandTag('INSERT 0 1'), 'INSERT 0 1\r\n');
  assert.equal(t.copy('in', 81920), '-- COPY data: 81920 bytes from client (not recorded)\r\n');
  assert.equal(t.copy('out', 1, 1), '-- COPY data: 1 byte, 1 row from server (not recorded)\r\n');
  assert.equal(t.copy('out', 10, 2), '-- COPY data: 10 bytes, 2 rows from server (not recorded)\r\n');
  assert.equal(
    t.note('session terminated: \x1b[2Jadmin\nsecond line'),
    '-- recgate: session terminated: \\x1B[2Jadmin\r\n-- recgate: second line\r\n',
  );
  assert.equal(t.note('recgate: COM_CHANGE_USER is not allowed'), '-- recgate: COM_CHANGE_USER is not allowed\r\n');
});

test('table delegates to renderTable with the transcript cap', () => {
  const small = new Transcript({ maxCellWidth: 3 });
  assert.equal(
    small.table({ columns: [{ name: 'a', align: 'left' }], rows: [['abcdef']], totalRows: 1, maxRows: 10 }),
    '  a  \r\n-----\r\n ab…\r\n(1 row)\r\n\r\n',
  );
});

const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function assertSafe(out: string): void {
  if (out === '') return;
  assert.ok(out.endsWith('\r\n'), JSON.stringify(out));
  for (const line of out.slice(0, -2).split('\r\n')) assert.doesNotMatch(line, UNSAFE, JSON.stringify(out));
}

test('property: nothing a client or server sends gets a control character through', () => {
  const s = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('\n', '\r', '\t', '\x1b', '\x9b', '\u202e', '\ud800', "'", '\\', '$', '(', 'a', '日'), maxLength: 40 }),
  );
  fc.assert(
    fc.property(s, s, s, fc.option(fc.integer({ min: -5, max: 60 }), { nil: undefined }), (a, b, c, position) => {
      assertSafe(t.statement(a, b));
      assertSafe(t.statement(a, b, c));
      assertSafe(t.parameters([a, null, b]));
      assertSafe(t.commandTag(a));
      const e: ServerMessage = { severity: a, message: b, detail: c, hint: a, context: b, internalQuery: c };
      if (position !== undefined) e.position = position;
      assertSafe(t.error(e, c));
      assertSafe(t.error(e));
      assertSafe(t.notice(e, c));
      assertSafe(t.notification(a, b, 7));
      assertSafe(t.note(a));
    }),
  );
});
