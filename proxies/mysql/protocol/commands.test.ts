import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { hex, refuses } from '../../wire/test-support.js';
import {
  Command,
  SetOption,
  commandName,
  decodeChangeUser,
  decodeEmptyCommand,
  decodeFieldList,
  decodeInitDb,
  decodeSetOption,
  encodeChangeUser,
  encodeEmptyCommand,
  encodeFieldList,
  encodeInitDb,
  encodeSetOption,
  type ChangeUser,
} from './commands.js';
import { decodeQuery, encodeQuery } from './query-command.js';
import {
  ExecuteFlag,
  decodeStmtClose,
  decodeStmtExecute,
  decodeStmtFetch,
  decodeStmtPrepare,
  decodeStmtPrepareOk,
  decodeStmtReset,
  decodeStmtSendLongData,
  encodeStmtClose,
  encodeStmtExecute,
  encodeStmtFetch,
  encodeStmtPrepare,
  encodeStmtPrepareOk,
  encodeStmtReset,
  encodeStmtSendLongData,
  type Param,
} from './statement-commands.js';
import { Capability as C } from './capabilities.js';
import { ColumnType as T } from './values.js';

const P41 = C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION | C.CLIENT_PLUGIN_AUTH | C.CLIENT_CONNECT_ATTRS;
const QA = C.CLIENT_PROTOCOL_41 | C.CLIENT_QUERY_ATTRIBUTES;

describe('simple commands', () => {
  test('commands without arguments round-trip, and anything after the byte is refused', () => {
    for (const c of [Command.COM_QUIT, Command.COM_PING, Command.COM_STATISTICS, Command.COM_RESET_CONNECTION]) {
      assert.equal(decodeEmptyCommand(encodeEmptyCommand(c)), c);
    }
    refuses(() => decodeEmptyCommand(hex('0e00')), 'mysql/client: COM_PING has 1 byte after its last field');
    refuses(() => decodeEmptyCommand(hex('')), 'mysql/client: sent an empty command packet');
  });

  test('names commands, and unknown bytes safely', () => {
    assert.equal(commandName(0x03), 'COM_QUERY');
    assert.equal(commandName(0x1f), 'COM_RESET_CONNECTION');
    assert.equal(commandName(0xfa), 'COM_STMT_BULK_EXECUTE');
    assert.equal(commandName(0x7a), 'command 0x7a');
  });

  test('COM_INIT_DB, COM_FIELD_LIST, COM_STMT_PREPARE, COM_STMT_CLOSE/RESET/FETCH, COM_SET_OPTION, COM_STMT_SEND_LONG_DATA', () => {
    assert.deepEqual(encodeInitDb('mysql'), Buffer.from('\x02mysql'));
    assert.deepEqual(decodeInitDb(encodeInitDb('wörld')), { schema: 'wörld' });
    assert.deepEqual(decodeFieldList(encodeFieldList('t1', 'c%')), { table: 't1', wildcard: 'c%' });
    refuses(() => decodeFieldList(hex('047431')), 'mysql/client: COM_FIELD_LIST has no terminator after the table');
    assert.deepEqual(decodeStmtPrepare(encodeStmtPrepare('select ? + ?')), { query: 'select ? + ?' });
    assert.deepEqual(encodeStmtClose(7), hex('1907000000'));
    assert.deepEqual(decodeStmtClose(encodeStmtClose(0xffffffff)), { statementId: 0xffffffff });
    assert.deepEqual(decodeStmtReset(encodeStmtReset(3)), { statementId: 3 });
    refuses(() => decodeStmtReset(encodeStmtClose(3)), 'mysql/client: COM_STMT_RESET starts with 0x19, not 0x1a');
    refuses(() => decodeStmtClose(hex('190700')), 'mysql/client: COM_STMT_CLOSE ends inside the statement id');
    assert.deepEqual(decodeStmtFetch(encodeStmtFetch(4, 100)), { statementId: 4, rows: 100 });
    assert.deepEqual(decodeSetOption(encodeSetOption(SetOption.MULTI_STATEMENTS_OFF)), { option: 1 });
    assert.deepEqual(decodeStmtSendLongData(encodeStmtSendLongData(9, 2, hex('00ff'))), { statementId: 9, paramId: 2, data: hex('00ff') });
  });

  test('COM_QUERY without attributes is the byte and the text, and decodes even when cut short', () => {
    assert.deepEqual(encodeQuery('select 1', P41), Buffer.from('\x03select 1'));
    assert.deepEqual(decodeQuery(Buffer.from('\x03select 1'), P41), { query: 'select 1', attributes: [] });
    assert.deepEqual(decodeQuery(Buffer.from('\x03sel'), P41), { query: 'sel', attributes: [] });
    refuses(() => decodeQuery(hex('04'), P41), 'mysql/client: COM_QUERY starts with 0x04, not 0x03');
    refuses(() => encodeQuery('select 1', P41, [{ type: T.TINY, unsigned: false, value: 1 }]), 'mysql/client: query attributes need CLIENT_QUERY_ATTRIBUTES');
  });
});

describe('COM_QUERY with CLIENT_QUERY_ATTRIBUTES', () => {
  test('reads the attribute block before the query (hand-built as MySQL 8 clients send it)', () => {
    // count 2, one set, NULL bitmap 0b10 (the second is NULL), bound, types+names, then one value.
    const payload = Buffer.concat([
      hex('03' + '02' + '01' + '02' + '01'),
      hex('fe00'),
      Buffer.from('\x05trace'),
      hex('0380'),
      Buffer.from('\x02id'),
      hex('0b') /* the value of 'trace': string<lenenc> */,
      Buffer.from('hello world'),
      Buffer.from('select 1'),
    ]);
    assert.deepEqual(decodeQuery(payload, QA), {
      query: 'select 1',
      attributes: [
        { type: T.STRING, unsigned: false, name: 'trace', value: Buffer.from('hello world') },
        { type: T.LONG, unsigned: true, name: 'id', value: null },
      ],
    });
  });

  test('round-trips, with an empty block when there are no attributes', () => {
    assert.deepEqual(encodeQuery('select 1', QA), Buffer.from('\x03\x00\x01select 1'));
    assert.deepEqual(decodeQuery(encodeQuery('select 1', QA), QA), { query: 'select 1', attributes: [] });
    const attributes: Param[] = [
      { type: T.LONGLONG, unsigned: true, name: 'n', value: 2n ** 64n - 1n },
      { type: T.DOUBLE, unsigned: false, name: 'x', value: 0.5 },
      { type: T.VAR_STRING, unsigned: false, name: '', value: null },
    ];
    assert.deepEqual(decodeQuery(encodeQuery('select 2', QA, attributes), QA), { query: 'select 2', attributes });
  });

  test('refuses attributes without types, and counts the payload cannot hold', () => {
    refuses(() => decodeQuery(hex('0301010000'), QA), 'mysql/client: COM_QUERY has query attributes without types (new-params-bound flag 0)');
    refuses(() => decodeQuery(hex('03fd00000101'), QA), 'mysql/client: COM_QUERY announces 65536 query attributes but has room for at most 0');
  });
});

describe('COM_STMT_EXECUTE', () => {
  const ctx = { paramCount: 4, capabilities: P41 };

  test('decodes NULLs and unsigned integers from hand-built bytes', () => {
    const payload = Buffer.concat([
      hex('17' + '05000000' + '00' + '01000000'),
      hex('0a'), // NULL bitmap: parameters 2 and 4 are NULL
      hex('01'), // new params bound
      hex('0880' + '0300' + '0180' + '0f00'), // BIGINT UNSIGNED, INT, TINYINT UNSIGNED, VARCHAR
      hex('ffffffffffffffff'),
      hex('c8'),
    ]);
    const e = decodeStmtExecute(payload, ctx);
    assert.deepEqual(e, {
      statementId: 5,
      flags: 0,
      iterationCount: 1,
      newParamsBound: true,
      params: [
        { type: T.LONGLONG, unsigned: true, value: 2n ** 64n - 1n },
        { type: T.LONG, unsigned: false, value: null },
        { type: T.TINY, unsigned: true, value: 200 },
        { type: T.VARCHAR, unsigned: false, value: null },
      ],
    });
    assert.deepEqual(encodeStmtExecute(e, e.params!, P41), payload);
    // The same bytes read as signed give the two's complement values.
    const signed = Buffer.from(payload);
    signed[13] = 0x00;
    signed[17] = 0x00;
    const values = decodeStmtExecute(signed, ctx).params!.map((p) => p.value);
    assert.deepEqual(values, [-1, null, -56, null]);
  });

  test('without new types, uses the types the caller remembered; unknown without them', () => {
    const params: Param[] = [
      { type: T.SHORT, unsigned: true, value: 65535 },
      { type: T.DATETIME, unsigned: false, value: { kind: 'datetime', year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58, microsecond: 999999 } },
      { type: T.TIME, unsigned: false, value: { kind: 'time', negative: true, days: 34, hours: 22, minutes: 59, seconds: 59, microseconds: 0 } },
      { type: T.FLOAT, unsigned: false, value: 1.5 },
    ];
    const again = encodeStmtExecute({ statementId: 1, flags: 0, iterationCount: 1 }, params, P41, false);
    const unknown = decodeStmtExecute(again, ctx);
    assert.equal(unknown.newParamsBound, false);
    assert.equal(unknown.params, null);
    const known = decodeStmtExecute(again, { ...ctx, previousTypes: params });
    assert.deepEqual(known.params, params);
    refuses(
      () => decodeStmtExecute(Buffer.concat([again, hex('00')]), { ...ctx, previousTypes: params }),
      'mysql/client: COM_STMT_EXECUTE has 1 byte after its last field',
    );
  });

  test('skips parameters whose data came with COM_STMT_SEND_LONG_DATA', () => {
    const params: Param[] = [
      { type: T.BLOB, unsigned: false, value: null, longData: true },
      { type: T.LONG, unsigned: false, value: -7 },
    ];
    const payload = encodeStmtExecute({ statementId: 2, flags: 0, iterationCount: 1 }, params, P41);
    assert.deepEqual(payload.subarray(10), hex('00' + '01' + 'fc00' + '0300' + 'f9ffffff'));
    assert.deepEqual(decodeStmtExecute(payload, { paramCount: 2, capabilities: P41, longData: new Set([0]) }).params, params);
    refuses(() => decodeStmtExecute(payload, { paramCount: 2, capabilities: P41 }), /COM_STMT_EXECUTE ends inside/);
  });

  test('a statement without parameters sends none; query attributes add a count and names', () => {
    assert.deepEqual(decodeStmtExecute(hex('17010000000001000000'), { paramCount: 0, capabilities: P41 }).params, []);
    const attrs: Param[] = [{ type: T.VAR_STRING, unsigned: false, name: 'app', value: Buffer.from('billing') }];
    const e = { statementId: 1, flags: ExecuteFlag.PARAMETER_COUNT_AVAILABLE, iterationCount: 1 };
    const payload = encodeStmtExecute(e, attrs, QA);
    assert.deepEqual(decodeStmtExecute(payload, { paramCount: 0, capabilities: QA }), { ...e, newParamsBound: true, params: attrs });
    // Without the flag a parameterless statement sends no block even under CLIENT_QUERY_ATTRIBUTES.
    assert.deepEqual(encodeStmtExecute({ ...e, flags: 0 }, [], QA), hex('17010000000001000000'));
    const positional: Param[] = [
      { type: T.LONG, unsigned: false, name: '', value: 1 },
      { type: T.NULL, unsigned: false, name: 'extra', value: null },
    ];
    const withCount = encodeStmtExecute({ statementId: 1, flags: 0, iterationCount: 1 }, positional, QA);
    assert.deepEqual(decodeStmtExecute(withCount, { paramCount: 1, capabilities: QA }).params, positional);
  });

  test('refuses malformed blocks with clear messages', () => {
    refuses(
      () => decodeStmtExecute(hex('170100000000010000000002'), { paramCount: 1, capabilities: P41 }),
      'mysql/client: COM_STMT_EXECUTE has new-params-bound flag 2, not 0 or 1',
    );
    refuses(
      () => decodeStmtExecute(hex('1701000000000100000000010c00020000'), { paramCount: 1, capabilities: P41 }),
      'mysql/client: COM_STMT_EXECUTE gives date/time value 1 a length of 2, not 0, 4, 7 or 11',
    );
    refuses(
      () => decodeStmtExecute(hex('170100000000010000'), { paramCount: 1, capabilities: P41 }),
      'mysql/client: COM_STMT_EXECUTE ends inside the iteration count',
    );
    refuses(
      () => decodeStmtExecute(hex('17010000000801000000feffffffffffffffff'), { paramCount: 0, capabilities: QA }),
      /announces 18446744073709551615 parameters but has room for at most 0/,
    );
  });

  test('fuzz: encode then decode gives the parameters back', () => {
    const paramArb: fc.Arbitrary<Param> = fc.oneof(
      fc.record({ type: fc.constant<number>(T.TINY), unsigned: fc.constant(true), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ type: fc.constant<number>(T.SHORT), unsigned: fc.constant(false), value: fc.integer({ min: -32768, max: 32767 }) }),
      fc.record({ type: fc.constant<number>(T.LONG), unsigned: fc.boolean(), value: fc.integer({ min: 0, max: 0x7fffffff }) }),
      fc.record({ type: fc.constant<number>(T.LONGLONG), unsigned: fc.constant(false), value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
      fc.record({ type: fc.constant<number>(T.DOUBLE), unsigned: fc.constant(false), value: fc.double({ noNaN: true }) }),
      fc.record({ type: fc.constant<number>(T.BLOB), unsigned: fc.constant(false), value: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) }),
      fc.record({ type: fc.constantFrom<number>(T.VAR_STRING, T.LONG), unsigned: fc.constant(false), value: fc.constant(null) }),
    );
    fc.assert(
      fc.property(fc.array(paramArb, { maxLength: 20 }), (params) => {
        // Decoding gives a number for any 64-bit value that is exact as one.
        const exact = (v: Param['value']) => (typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v);
        const normalized = params.map((p) => ({ ...p, value: exact(p.value) }));
        const payload = encodeStmtExecute({ statementId: 1, flags: 0, iterationCount: 1 }, params, P41);
        assert.deepEqual(decodeStmtExecute(payload, { paramCount: params.length, capabilities: P41 }).params, normalized);
      }),
      { numRuns: 200 },
    );
  });
});

describe('COM_STMT_PREPARE_OK and COM_CHANGE_USER', () => {
  test('prepare OK round-trips, with the metadata flag only under CLIENT_OPTIONAL_RESULTSET_METADATA', () => {
    const ok = { statementId: 1, columnCount: 3, paramCount: 2, warnings: 0, metadataFollows: true };
    assert.deepEqual(encodeStmtPrepareOk(ok, P41), hex('000100000003000200000000'));
    assert.deepEqual(decodeStmtPrepareOk(encodeStmtPrepareOk(ok, P41), P41), ok);
    const optional = P41 | C.CLIENT_OPTIONAL_RESULTSET_METADATA;
    assert.deepEqual(decodeStmtPrepareOk(encodeStmtPrepareOk({ ...ok, metadataFollows: false }, optional), optional), { ...ok, metadataFollows: false });
    // Old servers stop before the warning count.
    assert.deepEqual(decodeStmtPrepareOk(hex('00010000000300020000'), P41), ok);
    refuses(() => decodeStmtPrepareOk(hex('ff'), P41), 'mysql/server: COM_STMT_PREPARE_OK starts with 0xff, not 0x00');
  });

  test('change user round-trips with and without its optional tail', () => {
    const c: ChangeUser = {
      username: 'bob',
      authResponse: hex('00112233'),
      schema: 'app',
      charset: 45,
      authPluginName: 'mysql_native_password',
      attributes: new Map([['_client_name', 'libmysql']]),
    };
    assert.deepEqual(decodeChangeUser(encodeChangeUser(c, P41), P41), c);
    const short: ChangeUser = { username: 'bob', authResponse: Buffer.from('pw'), schema: '' };
    assert.deepEqual(decodeChangeUser(encodeChangeUser(short, C.CLIENT_PROTOCOL_41), C.CLIENT_PROTOCOL_41), short);
    refuses(() => decodeChangeUser(hex('11626f6200'), P41), 'mysql/client: COM_CHANGE_USER ends inside the auth response length');
  });
});

test('fuzz: command decoders throw nothing but ProtocolError', () => {
  const decoders: ((b: Buffer, caps: number) => unknown)[] = [
    decodeEmptyCommand,
    decodeInitDb,
    (b, c) => decodeQuery(b, c),
    decodeFieldList,
    (b, c) => decodeChangeUser(b, c),
    decodeStmtPrepare,
    (b, c) => decodeStmtPrepareOk(b, c),
    (b, c) =>
      decodeStmtExecute(b, {
        paramCount: b.length % 5,
        capabilities: c,
        previousTypes: [
          { type: T.DATETIME, unsigned: false },
          { type: T.TIME, unsigned: false },
        ],
      }),
    decodeStmtSendLongData,
    decodeStmtClose,
    decodeStmtReset,
    decodeStmtFetch,
    decodeSetOption,
  ];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(P41, QA, 0), fc.integer({ min: 0, max: 0x1f }), (bytes, caps, command) => {
      const b = Buffer.from(bytes);
      if (b.length > 0) b[0] = command;
      for (const decode of decoders) {
        try {
          decode(b, caps);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }
    }),
    { numRuns: 1000 },
  );
});
