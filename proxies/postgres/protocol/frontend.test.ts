import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { ProtocolError } from '../../../src/errors.js';
import {
  decodeBind,
  decodeClose,
  decodeCopyFail,
  decodeDescribe,
  decodeExecute,
  decodeFunctionCall,
  decodeParse,
  decodePasswordMessage,
  decodeQuery,
  decodeSASLInitialResponse,
  decodeSASLResponse,
  encodePasswordMessage,
  encodeSASLInitialResponse,
  encodeSASLResponse,
  encodeTerminate,
  formatCode,
} from './frontend.js';
import { FrontendType, decodeEmpty } from './message-types.js';
import { MessageWriter } from './wire.js';

/** The body of one whole message, checking its type byte and length field. */
function bodyOf(message: Buffer, type: string): Buffer {
  assert.equal(String.fromCharCode(message[0]!), type);
  assert.equal(message.readUInt32BE(1), message.length - 1);
  return message.subarray(5);
}

const fromPg = (message: Buffer) => message.subarray(5);
const w = () => new MessageWriter('frontend');
const frontendError = (message: string) => (err: unknown) =>
  err instanceof ProtocolError && err.message === `postgres/frontend: ${message}`;

describe('frontend decoders read what another client library writes', () => {
  test('Query', () => {
    assert.deepEqual(decodeQuery(fromPg(serialize.query('select 1; select ’ü’'))), { query: 'select 1; select ’ü’' });
  });

  test('Parse', () => {
    assert.deepEqual(decodeParse(fromPg(serialize.parse({ name: 's1', text: 'select $1::int, $2', types: [23, 0] }))), {
      statement: 's1',
      query: 'select $1::int, $2',
      paramTypes: [23, 0],
    });
    assert.deepEqual(decodeParse(fromPg(serialize.parse({ text: 'select 1' }))), { statement: '', query: 'select 1', paramTypes: [] });
  });

  test('Bind with text, binary and NULL parameters', () => {
    const bin = Buffer.from([0, 0, 0, 42]);
    const bind = decodeBind(fromPg(serialize.bind({ portal: 'p', statement: 's1', values: ['héllo', bin, null], binary: true })));
    assert.deepEqual(bind, {
      portal: 'p',
      statement: 's1',
      paramFormats: [0, 1, 0],
      params: [Buffer.from('héllo'), bin, null],
      resultFormats: [1],
    });
    assert.deepEqual(
      bind.params.map((_, i) => formatCode(bind.paramFormats, i)),
      [0, 1, 0],
    );
  });

  test('Execute, Describe, Close', () => {
    assert.deepEqual(decodeExecute(fromPg(serialize.execute({ portal: 'p', rows: 100 }))), { portal: 'p', maxRows: 100 });
    assert.deepEqual(decodeExecute(fromPg(serialize.execute())), { portal: '', maxRows: 0 });
    assert.deepEqual(decodeDescribe(fromPg(serialize.describe({ type: 'S', name: 's1' }))), { target: 'statement', name: 's1' });
    assert.deepEqual(decodeDescribe(fromPg(serialize.describe({ type: 'P' }))), { target: 'portal', name: '' });
    assert.deepEqual(decodeClose(fromPg(serialize.close({ type: 'P', name: 'c' }))), { target: 'portal', name: 'c' });
  });

  test('CopyFail, and the messages without fields', () => {
    assert.deepEqual(decodeCopyFail(fromPg(serialize.copyFail('client gave up'))), { message: 'client gave up' });
    for (const m of [serialize.sync(), serialize.flush(), serialize.copyDone(), serialize.end()]) decodeEmpty('frontend', m[0]!, fromPg(m));
    assert.throws(
      () => decodeEmpty('frontend', FrontendType.Sync, Buffer.from('x')),
      frontendError('Sync message has 1 byte after its last field'),
    );
  });

  test('PasswordMessage, SASLInitialResponse, SASLResponse', () => {
    assert.deepEqual(decodePasswordMessage(fromPg(serialize.password('s3cret'))), { password: 's3cret' });
    const first = 'n,,n=,r=abcdef';
    assert.deepEqual(decodeSASLInitialResponse(fromPg(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', first))), {
      mechanism: 'SCRAM-SHA-256',
      data: Buffer.from(first),
    });
    const final = 'c=biws,r=abcdef,p=xyz';
    assert.deepEqual(decodeSASLResponse(fromPg(serialize.sendSCRAMClientFinalMessage(final))), { data: Buffer.from(final) });
  });
});

describe('frontend encoders round-trip', () => {
  test('PasswordMessage', () => {
    for (const password of ['', 'pässword', 'md5' + 'a'.repeat(32)]) {
      assert.deepEqual(decodePasswordMessage(bodyOf(encodePasswordMessage(password), 'p')), { password });
    }
    assert.throws(() => encodePasswordMessage('a\0b'), frontendError('password contains a NUL byte'));
  });

  test('SASLInitialResponse with and without data, SASLResponse', () => {
    for (const data of [Buffer.from('n,,n=,r=xyz'), Buffer.alloc(0), null]) {
      assert.deepEqual(decodeSASLInitialResponse(bodyOf(encodeSASLInitialResponse('SCRAM-SHA-256', data), 'p')), {
        mechanism: 'SCRAM-SHA-256',
        data,
      });
    }
    const data = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(decodeSASLResponse(bodyOf(encodeSASLResponse(data), 'p')), { data });
  });

  test('Terminate', () => {
    decodeEmpty('frontend', FrontendType.Terminate, bodyOf(encodeTerminate(), 'X'));
  });
});

describe('frontend decoders', () => {
  test('FunctionCall', () => {
    const body = w()
      .int32(1598)
      .int16(1) // one format code, for all arguments
      .int16(1)
      .int16(2)
      .nullableBytes(Buffer.from([0, 0, 0, 5]))
      .nullableBytes(null)
      .int16(1)
      .finish(0x46)
      .subarray(5);
    assert.deepEqual(decodeFunctionCall(body), {
      functionOid: 1598,
      argFormats: [1],
      args: [Buffer.from([0, 0, 0, 5]), null],
      resultFormat: 1,
    });
  });

  test('type oids are read unsigned', () => {
    const body = w().string('', 'n').string('select $1', 'q').int16(1).int32(0xffff_fff0).finish(0x50).subarray(5);
    assert.deepEqual(decodeParse(body).paramTypes, [0xffff_fff0]);
  });

  test('byte fields are views of the body', () => {
    const body = fromPg(serialize.bind({ values: [Buffer.from('abc')] }));
    const param = decodeBind(body).params[0]!;
    assert.equal(param.buffer, body.buffer);
  });

  test('formatCode applies the none / one / each rule', () => {
    assert.equal(formatCode([], 3), 0);
    assert.equal(formatCode([1], 3), 1);
    assert.equal(formatCode([0, 1], 1), 1);
  });

  test('report where a malformed body goes wrong, without its contents', () => {
    const bind = fromPg(serialize.bind({ values: ['top secret value'] }));
    assert.throws(() => decodeBind(bind.subarray(0, bind.length - 10)), (err: unknown) => {
      assert.ok(err instanceof ProtocolError);
      assert.equal(err.message, 'postgres/frontend: Bind message ends inside parameter 1');
      return true;
    });
    assert.throws(() => decodeQuery(Buffer.from('select 1')), frontendError('Query message has no terminator after the query'));
    assert.throws(() => decodeQuery(Buffer.from('select 1\0\0')), frontendError('Query message has 1 byte after its last field'));
    assert.throws(() => decodeExecute(Buffer.from('\0\0\0')), frontendError('Execute message ends inside the row limit'));
    assert.throws(() => decodeDescribe(Buffer.from('Xname\0')), frontendError("Describe message targets kind 0x58, not 'S' or 'P'"));
    const negative = w().string('', 'p').string('', 's').int16(0).int16(1).int32(-2).int16(0).finish(0x42).subarray(5);
    assert.throws(() => decodeBind(negative), frontendError('Bind message gives parameter 1 a length of -2'));
    assert.throws(
      () => decodeSASLInitialResponse(Buffer.from('SCRAM-SHA-256\0\0\0\0\x09abc')),
      frontendError('SASLInitialResponse message ends inside the initial response'),
    );
  });

  test('fuzz: any body only ever throws ProtocolError', () => {
    const decoders = [
      decodeQuery,
      decodeParse,
      decodeBind,
      decodeExecute,
      decodeDescribe,
      decodeClose,
      decodeCopyFail,
      decodeFunctionCall,
      decodePasswordMessage,
      decodeSASLInitialResponse,
      decodeSASLResponse,
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
