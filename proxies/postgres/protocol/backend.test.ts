import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Parser } from 'pg-protocol/dist/parser.js';
import { ProtocolError } from '../../../src/errors.js';
import {
  commandTagAt,
  decodeAuthentication,
  decodeBackendKeyData,
  decodeCommandComplete,
  decodeCopyResponse,
  decodeDataRow,
  decodeErrorResponse,
  decodeNegotiateProtocolVersion,
  decodeNoticeResponse,
  decodeNotificationResponse,
  decodeParameterDescription,
  decodeParameterStatus,
  decodeReadyForQuery,
  decodeRowDescription,
  encodeAuthenticationCleartextPassword,
  encodeAuthenticationMD5Password,
  encodeAuthenticationOk,
  encodeAuthenticationSASL,
  encodeAuthenticationSASLContinue,
  encodeAuthenticationSASLFinal,
  encodeBackendKeyData,
  encodeErrorResponse,
  encodeNegotiateProtocolVersion,
  encodeNoticeResponse,
  encodeParameterStatus,
  encodeReadyForQuery,
  transactionStatusAt,
  type NoticeFields,
} from './backend.js';
import { BackendType, decodeEmpty } from './message-types.js';
import { MessageWriter } from './wire.js';

function bodyOf(message: Buffer, type: string): Buffer {
  assert.equal(String.fromCharCode(message[0]!), type);
  assert.equal(message.readUInt32BE(1), message.length - 1);
  return message.subarray(5);
}

/** What pg's own client makes of a message. */
function pgParse(message: Buffer): Record<string, unknown> {
  const out: Record<string, unknown>[] = [];
  new Parser().parse(message, (m) => out.push(m as unknown as Record<string, unknown>));
  assert.equal(out.length, 1);
  return out[0]!;
}

const w = () => new MessageWriter('backend');
const backendError = (message: string) => (err: unknown) => err instanceof ProtocolError && err.message === `postgres/backend: ${message}`;

/**
 * Messages as PostgreSQL 15 sent them for
 *   select 1::int as a, null::text as b, 'x'::varchar as c; select 1/0;
 * over the simple query protocol (captured once, kept as hex).
 */
const CAPTURED = {
  rowDescription:
    '540000004200036100000000000000000000170004ffffffff0000620000000000000000000019ffffffffffff0000630000000000000000000413ffffffffffff0000',
  dataRow: '440000001400030000000131ffffffff0000000178',
  commandComplete: '430000000d53454c454354203100',
  errorResponse:
    '4500000041534552524f5200564552524f5200433232303132004d6469766973696f6e206279207a65726f0046696e742e63004c3836390052696e74346469760000',
  readyForQuery: '5a0000000549',
};

describe('backend decoders on captured server messages', () => {
  test('RowDescription', () => {
    assert.deepEqual(decodeRowDescription(bodyOf(Buffer.from(CAPTURED.rowDescription, 'hex'), 'T')), [
      { name: 'a', tableOid: 0, column: 0, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 },
      { name: 'b', tableOid: 0, column: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0 },
      { name: 'c', tableOid: 0, column: 0, typeOid: 1043, typeSize: -1, typeModifier: -1, format: 0 },
    ]);
  });

  test('DataRow, CommandComplete, ReadyForQuery', () => {
    assert.deepEqual(decodeDataRow(bodyOf(Buffer.from(CAPTURED.dataRow, 'hex'), 'D')), [Buffer.from('1'), null, Buffer.from('x')]);
    assert.deepEqual(decodeCommandComplete(bodyOf(Buffer.from(CAPTURED.commandComplete, 'hex'), 'C')), { tag: 'SELECT 1' });
    assert.deepEqual(decodeReadyForQuery(bodyOf(Buffer.from(CAPTURED.readyForQuery, 'hex'), 'Z')), { status: 'I' });
  });

  test('ErrorResponse', () => {
    assert.deepEqual(decodeErrorResponse(bodyOf(Buffer.from(CAPTURED.errorResponse, 'hex'), 'E')), {
      severity: 'ERROR',
      code: '22012',
      message: 'division by zero',
      file: 'int.c',
      line: '869',
      routine: 'int4div',
    });
  });
});

describe('backend encoders round-trip, and pg reads them alike', () => {
  test('Authentication requests', () => {
    assert.deepEqual(decodeAuthentication(bodyOf(encodeAuthenticationOk(), 'R')), { kind: 'ok' });
    assert.equal(pgParse(encodeAuthenticationOk()).name, 'authenticationOk');
    assert.deepEqual(decodeAuthentication(bodyOf(encodeAuthenticationCleartextPassword(), 'R')), { kind: 'cleartext-password' });
    assert.equal(pgParse(encodeAuthenticationCleartextPassword()).name, 'authenticationCleartextPassword');
    const salt = Buffer.from([1, 2, 3, 250]);
    assert.deepEqual(decodeAuthentication(bodyOf(encodeAuthenticationMD5Password(salt), 'R')), { kind: 'md5-password', salt });
    assert.deepEqual(pgParse(encodeAuthenticationMD5Password(salt)).salt, salt);
    assert.throws(() => encodeAuthenticationMD5Password(Buffer.alloc(3)), backendError('MD5 salt of 3 bytes; it is always 4'));
    const mechanisms = ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'];
    assert.deepEqual(decodeAuthentication(bodyOf(encodeAuthenticationSASL(mechanisms), 'R')), { kind: 'sasl', mechanisms });
    assert.deepEqual(pgParse(encodeAuthenticationSASL(mechanisms)).mechanisms, mechanisms);
    const data = Buffer.from('r=abc,s=salt,i=4096');
    assert.deepEqual(decodeAuthentication(bodyOf(encodeAuthenticationSASLContinue(data), 'R')), { kind: 'sasl-continue', data });
    assert.equal(pgParse(encodeAuthenticationSASLContinue(data)).data, data.toString());
    assert.deepEqual(decodeAuthentication(bodyOf(encodeAuthenticationSASLFinal(data), 'R')), { kind: 'sasl-final', data });
    assert.equal(pgParse(encodeAuthenticationSASLFinal(data)).data, data.toString());
  });

  test('Authentication requests the gateway does not send still decode', () => {
    const auth = (code: number, extra = Buffer.alloc(0)) => w().int32(code).bytes(extra).finish(0x52).subarray(5);
    assert.deepEqual(decodeAuthentication(auth(2)), { kind: 'kerberos-v5' });
    assert.deepEqual(decodeAuthentication(auth(7)), { kind: 'gss' });
    assert.deepEqual(decodeAuthentication(auth(8, Buffer.from([9]))), { kind: 'gss-continue', data: Buffer.from([9]) });
    assert.deepEqual(decodeAuthentication(auth(9)), { kind: 'sspi' });
    assert.throws(() => decodeAuthentication(auth(4)), backendError('Authentication request code 4 is not defined by protocol 3'));
    assert.throws(
      () => decodeAuthentication(auth(0, Buffer.from([0]))),
      backendError('Authentication message has 1 byte after its last field'),
    );
    assert.throws(
      () => decodeAuthentication(auth(10, Buffer.from('SCRAM-SHA-256\0'))),
      backendError('Authentication message has no terminator after mechanism 2'),
    );
  });

  test('ErrorResponse and NoticeResponse write S and V, and every field', () => {
    const fields: NoticeFields = {
      severity: 'FATAL',
      code: '28P01',
      message: 'password authentication failed for user "alice"',
      detail: 'd',
      hint: 'h',
      position: '12',
      where: 'w',
      schema: 's',
      table: 't',
      column: 'c',
      dataType: 'dt',
      constraint: 'k',
    };
    const error = encodeErrorResponse(fields);
    assert.deepEqual(decodeErrorResponse(bodyOf(error, 'E')), fields);
    const parsed = pgParse(error);
    assert.equal(parsed.name, 'error');
    assert.equal(parsed.severity, 'FATAL');
    assert.equal(parsed.code, '28P01');
    assert.equal(parsed.message, fields.message);
    assert.equal(parsed.dataType, 'dt');
    const notice = { severity: 'NOTICE', code: '00000', message: 'hello' };
    assert.deepEqual(decodeNoticeResponse(bodyOf(encodeNoticeResponse(notice), 'N')), notice);
    assert.equal(pgParse(encodeNoticeResponse(notice)).name, 'notice');
  });

  test('severity prefers V over the localized S; unknown fields are skipped', () => {
    const body = w()
      .int8(0x53)
      .string('FEHLER', 'S')
      .int8(0x56)
      .string('ERROR', 'V')
      .int8(0x5a)
      .string('future', 'Z')
      .int8(0x4d)
      .string('m', 'M')
      .int8(0)
      .finish(0x45);
    assert.deepEqual(decodeErrorResponse(bodyOf(body, 'E')), { severity: 'ERROR', code: '', message: 'm' });
    const old = w().int8(0x53).string('ERROR', 'S').int8(0).finish(0x45);
    assert.equal(decodeErrorResponse(bodyOf(old, 'E')).severity, 'ERROR');
  });

  test('ParameterStatus, BackendKeyData, ReadyForQuery, NegotiateProtocolVersion', () => {
    const status = encodeParameterStatus('TimeZone', 'UTC');
    assert.deepEqual(decodeParameterStatus(bodyOf(status, 'S')), { name: 'TimeZone', value: 'UTC' });
    assert.deepEqual({ ...pgParse(status) }, { name: 'parameterStatus', length: 17, parameterName: 'TimeZone', parameterValue: 'UTC' });
    for (const n of [4, 32, 256]) {
      const secretKey = Buffer.alloc(n, 7);
      assert.deepEqual(decodeBackendKeyData(bodyOf(encodeBackendKeyData(1234, secretKey), 'K')), { pid: 1234, secretKey });
    }
    assert.equal(pgParse(encodeBackendKeyData(99, Buffer.from([0, 0, 0, 5]))).secretKey, 5);
    assert.throws(() => encodeBackendKeyData(1, Buffer.alloc(257)), ProtocolError);
    assert.throws(
      () => decodeBackendKeyData(Buffer.alloc(7)),
      backendError('BackendKeyData carries a 3-byte secret key; expected 4 to 256'),
    );
    for (const status of ['I', 'T', 'E'] as const) {
      assert.deepEqual(decodeReadyForQuery(bodyOf(encodeReadyForQuery(status), 'Z')), { status });
      assert.equal(pgParse(encodeReadyForQuery(status)).status, status);
    }
    assert.throws(
      () => decodeReadyForQuery(Buffer.from('X')),
      backendError("ReadyForQuery transaction status 0x58 is not 'I', 'T' or 'E'"),
    );
    const negotiate = encodeNegotiateProtocolVersion(0, ['_pq_.a', '_pq_.b']);
    assert.deepEqual(decodeNegotiateProtocolVersion(bodyOf(negotiate, 'v')), { newestMinor: 0, unsupportedOptions: ['_pq_.a', '_pq_.b'] });
  });
});

describe('backend decoders', () => {
  test('DataRow values are views of the body; NULL is null', () => {
    const body = w().int16(3).nullableBytes(Buffer.from('1')).nullableBytes(null).nullableBytes(Buffer.alloc(0)).finish(0x44).subarray(5);
    const values = decodeDataRow(body);
    assert.deepEqual(values, [Buffer.from('1'), null, Buffer.alloc(0)]);
    assert.equal(values[0]!.buffer, body.buffer);
    assert.throws(() => decodeDataRow(body.subarray(0, body.length - 1)), backendError('DataRow message ends inside length of column 3'));
    assert.throws(() => decodeDataRow(Buffer.from('0001ffffff00', 'hex')), backendError('DataRow message gives column 1 a length of -256'));
    assert.throws(
      () => decodeDataRow(Buffer.from('ffff00000000', 'hex')),
      backendError('DataRow message announces 65535 columns but has room for at most 1'),
    );
    assert.throws(() => decodeDataRow(Buffer.from('00', 'hex')), backendError('DataRow message ends inside the count of columns'));
  });

  test('NotificationResponse, CopyResponses, ParameterDescription', () => {
    const notify = w().int32(321).string('jobs', 'c').string('{"id":1}', 'p').finish(0x41).subarray(5);
    assert.deepEqual(decodeNotificationResponse(notify), { pid: 321, channel: 'jobs', payload: '{"id":1}' });
    const copy = w().int8(1).int16(2).int16(1).int16(1).finish(0x47).subarray(5);
    assert.deepEqual(decodeCopyResponse(BackendType.CopyInResponse, copy), { format: 1, columnFormats: [1, 1] });
    assert.throws(
      () => decodeCopyResponse(BackendType.CopyOutResponse, copy.subarray(0, 4)),
      backendError('CopyOutResponse message announces 2 column format codes but has room for at most 0'),
    );
    const params = w().int16(2).int32(23).int32(25).finish(0x74).subarray(5);
    assert.deepEqual(decodeParameterDescription(params), [23, 25]);
  });

  test('messages without fields', () => {
    const empty = [
      BackendType.ParseComplete,
      BackendType.BindComplete,
      BackendType.CloseComplete,
      BackendType.NoData,
      BackendType.PortalSuspended,
      BackendType.EmptyQueryResponse,
    ];
    for (const type of empty) decodeEmpty('backend', type, Buffer.alloc(0));
    assert.throws(
      () => decodeEmpty('backend', BackendType.NoData, Buffer.alloc(2)),
      backendError('NoData message has 2 bytes after its last field'),
    );
  });

  test('fuzz: any body only ever throws ProtocolError', () => {
    const decoders: ((b: Buffer) => unknown)[] = [
      decodeAuthentication,
      decodeBackendKeyData,
      decodeParameterStatus,
      decodeReadyForQuery,
      decodeRowDescription,
      decodeDataRow,
      decodeCommandComplete,
      decodeErrorResponse,
      decodeNoticeResponse,
      decodeNotificationResponse,
      (b) => decodeCopyResponse(BackendType.CopyBothResponse, b),
      decodeParameterDescription,
      decodeNegotiateProtocolVersion,
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        for (const decode of decoders) {
          try {
            decode(Buffer.from(bytes));
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('backend messages read where they lie', () => {
  /** What `decode` gives for the body, or the message of the ProtocolError it throws. */
  function outcome<T>(decode: () => T): T | string {
    try {
      return decode();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return `ProtocolError: ${err.message}`;
    }
  }

  test('a command tag and a transaction status read in place are what the decoders read, errors and all', () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.string({ maxLength: 70 }).map((t) => Buffer.from(`${t}\0`)),
      fc.constantFrom(...['I', 'T', 'E', 'X', '', 'II'].map((t) => Buffer.from(t))),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), body, fc.uint8Array({ maxLength: 8 }), (before, b, after) => {
        const bytes = Buffer.concat([before, b, after]);
        const start = before.length;
        const end = start + b.length;
        const alone = Buffer.from(b);
        assert.deepEqual(
          outcome(() => commandTagAt(bytes, start, end)),
          outcome(() => decodeCommandComplete(alone).tag),
        );
        assert.deepEqual(
          outcome(() => transactionStatusAt(bytes, start, end)),
          outcome(() => decodeReadyForQuery(alone).status),
        );
      }),
      { numRuns: 2000 },
    );
  });
});
