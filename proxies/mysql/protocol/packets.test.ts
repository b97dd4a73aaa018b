import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { hex, refuses } from '../../wire/test-support.js';
import { Capability as C } from './capabilities.js';
import {
  SessionTrack,
  ServerStatus,
  decodeEof,
  decodeErr,
  decodeLocalInfileRequest,
  decodeOk,
  decodeResultSetEnd,
  encodeEof,
  encodeErr,
  encodeLocalInfileRequest,
  encodeOk,
  encodeProgressReport,
  isEofPacket,
  isResultSetEnd,
  type OkPacket,
} from './packets.js';
import { PayloadWriter, lenencIntLength } from './payload-writer.js';
import { PayloadReader } from './wire.js';

const P41 = C.CLIENT_PROTOCOL_41;
const TRACK = C.CLIENT_PROTOCOL_41 | C.CLIENT_SESSION_TRACK;

describe('length-encoded integers and strings', () => {
  const edges: (number | bigint)[] = [0, 250, 251, 0xffff, 0x1_0000, 0xff_ffff, 0x100_0000, 2 ** 32, Number.MAX_SAFE_INTEGER, 2n ** 53n, 2n ** 64n - 1n];

  test('round-trip at every size boundary: numbers while exact, bigints beyond', () => {
    for (const n of edges) {
      const b = new PayloadWriter('server').lenencInt(n, 'n').finish();
      assert.equal(b.length, lenencIntLength(n), `${n}`);
      const back = new PayloadReader(b, 'server', 'test').lenencInt('n');
      assert.equal(typeof back, typeof n === 'bigint' ? 'bigint' : 'number', `${n}`);
      assert.equal(BigInt(back), BigInt(n));
    }
    assert.deepEqual(new PayloadWriter('server').lenencInt(251, 'n').finish(), hex('fcfb00'));
    assert.deepEqual(new PayloadWriter('server').lenencInt(0x1_0000, 'n').finish(), hex('fd000001'));
  });

  test('0xFB is NULL where a value may be, 0xFF never starts one, and lengths must fit', () => {
    const r = new PayloadReader(hex('fb02616200'), 'server', 'text row');
    assert.equal(r.nullableLenencBytes('column', 0), null);
    assert.deepEqual(r.nullableLenencBytes('column', 1), Buffer.from('ab'));
    refuses(
      () => new PayloadReader(hex('fb'), 'server', 'OK packet').lenencInt('the affected rows'),
      'mysql/server: OK packet has 0xfb where the affected rows should start a length-encoded integer',
    );
    refuses(() => new PayloadReader(hex('ff'), 'server', 'OK packet').lenencInt('the affected rows'), /has 0xff where/);
    refuses(
      () => new PayloadReader(hex('fc01'), 'server', 'OK packet').lenencInt('the affected rows'),
      'mysql/server: OK packet ends inside the affected rows',
    );
    refuses(() => new PayloadReader(hex('0561'), 'client', 'text row').lenencBytes('column', 2), 'mysql/client: text row ends inside column 3');
    refuses(() => new PayloadReader(hex('feffffffffffffffff'), 'server', 'text row').lenencBytes('column', 0), 'mysql/server: text row ends inside column 1');
    refuses(() => new PayloadWriter('server').lenencInt(-1, 'affected rows'), 'mysql/server: affected rows -1 does not fit in 64 unsigned bits');
    refuses(() => new PayloadWriter('client').nulString('a\0b', 'username'), 'mysql/client: username contains a NUL byte');
  });
});

describe('OK packet', () => {
  test('decodes what MariaDB sends after login: status, and the schema change it tracks', () => {
    const ok = decodeOk(hex('00000002400000000701050474657374'), TRACK);
    assert.deepEqual(ok, {
      header: 0,
      affectedRows: 0,
      lastInsertId: 0,
      statusFlags: ServerStatus.SERVER_STATUS_AUTOCOMMIT | ServerStatus.SERVER_SESSION_STATE_CHANGED,
      warnings: 0,
      info: '',
      sessionStateChanges: [{ type: SessionTrack.Schema, schema: 'test' }],
    });
  });

  test('round-trips under each capability set the server may write it for', () => {
    const ok: OkPacket = { header: 0, affectedRows: 3, lastInsertId: 2n ** 60n, statusFlags: 3, warnings: 1, info: 'Rows matched: 3  Changed: 3  Warnings: 1' };
    assert.deepEqual(decodeOk(encodeOk(ok, P41), P41), ok);
    assert.deepEqual(decodeOk(encodeOk(ok, C.CLIENT_TRANSACTIONS), C.CLIENT_TRANSACTIONS), { ...ok, warnings: 0 });
    assert.deepEqual(decodeOk(encodeOk(ok, 0), 0), { ...ok, statusFlags: 0, warnings: 0 });
    assert.deepEqual(decodeOk(encodeOk(ok, TRACK), TRACK), ok);
    const changes: OkPacket['sessionStateChanges'] = [
      { type: SessionTrack.SystemVariables, name: 'autocommit', value: 'OFF' },
      { type: SessionTrack.Schema, schema: 'mysql' },
      { type: SessionTrack.TransactionState, data: Buffer.from('T_______') },
    ];
    const tracked = { ...ok, header: 0xfe, statusFlags: 3 | ServerStatus.SERVER_SESSION_STATE_CHANGED, sessionStateChanges: changes };
    assert.deepEqual(decodeOk(encodeOk(tracked, TRACK), TRACK), tracked);
  });

  test('under CLIENT_SESSION_TRACK the info may be left out, as servers do', () => {
    assert.deepEqual(decodeOk(hex('00010502000000'), TRACK), {
      header: 0,
      affectedRows: 1,
      lastInsertId: 5,
      statusFlags: 2,
      warnings: 0,
      info: '',
    });
  });

  test('refuses other headers, truncation and bytes left over', () => {
    refuses(() => decodeOk(hex('ff00'), P41), 'mysql/server: OK packet starts with 0xff, not 0x00 or 0xfe');
    refuses(() => decodeOk(hex('000000020000'), P41), 'mysql/server: OK packet ends inside the warning count');
    refuses(() => decodeOk(hex('000000020000000000'), TRACK), 'mysql/server: OK packet has 1 byte after its last field');
    refuses(() => decodeOk(hex('000000024000000003010274'), TRACK), 'mysql/server: OK packet session state ends inside change 1');
  });
});

describe('ERR, EOF and LOCAL INFILE packets', () => {
  test('ERR round-trips with and without SQLSTATE', () => {
    const err = { code: 1146, sqlState: '42S02', message: "Table 'test.nope' doesn't exist" };
    const payload = encodeErr(err, P41);
    assert.deepEqual(payload.subarray(0, 9), Buffer.from("\xff\x7a\x04#42S02", 'latin1'));
    assert.deepEqual(decodeErr(payload, P41), err);
    assert.deepEqual(decodeErr(encodeErr(err, 0), 0), { ...err, sqlState: '' });
    // Before capabilities are agreed (e.g. too many connections) there is no SQLSTATE, whatever the flags.
    const early = encodeErr({ ...err, code: 1040, message: 'Too many connections' }, 0);
    assert.deepEqual(decodeErr(early, P41), { code: 1040, sqlState: '', message: 'Too many connections' });
    refuses(() => encodeErr({ ...err, sqlState: '42' }, P41), 'mysql/server: ERR packet SQLSTATE must be 5 printable ASCII characters');
    refuses(() => decodeErr(hex('ff7a'), P41), 'mysql/server: ERR packet ends inside the error code');
    refuses(() => decodeErr(hex('fe'), P41), 'mysql/server: ERR packet starts with 0xfe, not 0xff');
  });

  test('a MariaDB progress report is an ERR packet with code 0xFFFF', () => {
    const progress = { stage: 1, maxStage: 3, progress: 45_000, info: 'copy to tmp table' };
    assert.deepEqual(decodeErr(encodeProgressReport(progress), P41), { code: 0xffff, sqlState: '', message: 'copy to tmp table', progress });
    refuses(() => decodeErr(hex('ffffff0103'), P41), 'mysql/server: ERR packet ends inside the progress');
  });

  test('EOF round-trips and is always shorter than 9 bytes', () => {
    const eof = { warnings: 2, statusFlags: ServerStatus.SERVER_MORE_RESULTS_EXISTS | ServerStatus.SERVER_STATUS_AUTOCOMMIT };
    assert.deepEqual(encodeEof(eof, P41), hex('fe02000a00'));
    assert.deepEqual(decodeEof(encodeEof(eof, P41), P41), eof);
    assert.deepEqual(decodeEof(hex('fe'), 0), { warnings: 0, statusFlags: 0 });
    assert.deepEqual(decodeEof(hex('fe3412cdab'), P41), { warnings: 0x1234, statusFlags: 0xabcd }, 'little-endian, high bits too');
    refuses(() => decodeEof(hex('fe3412cdab'), 0), 'mysql/server: EOF packet has 4 bytes after its last field');
    refuses(() => decodeEof(hex('00000000'), P41), 'mysql/server: EOF packet starts with 0x00, not 0xfe');
    refuses(() => decodeEof(hex('fe0000000000000000'), P41), 'mysql/server: EOF packet is 9 bytes long; an EOF packet is shorter than 9');
    assert.ok(isEofPacket(0xfe, 5));
    assert.ok(!isEofPacket(0xfe, 9));
    assert.ok(!isEofPacket(0x00, 5));
  });

  test('the end of a result set: EOF, or OK with a 0xFE header under CLIENT_DEPRECATE_EOF', () => {
    assert.deepEqual(decodeResultSetEnd(hex('fe00002200'), P41), { header: 0xfe, affectedRows: 0, lastInsertId: 0, statusFlags: 0x22, warnings: 0, info: '' });
    const deprecate = P41 | C.CLIENT_DEPRECATE_EOF;
    assert.deepEqual(decodeResultSetEnd(hex('fe000022000100'), deprecate), {
      header: 0xfe,
      affectedRows: 0,
      lastInsertId: 0,
      statusFlags: 0x22,
      warnings: 1,
      info: '',
    });
    assert.ok(isResultSetEnd(0xfe, 7));
    assert.ok(isResultSetEnd(0xfe, 0xff_fffe));
    // A text row whose first value is 0xFFFFFF bytes or longer starts with 0xFE too.
    assert.ok(!isResultSetEnd(0xfe, 0xff_ffff));
    assert.ok(!isResultSetEnd(0x00, 7));
  });

  test('LOCAL INFILE request round-trips', () => {
    assert.deepEqual(encodeLocalInfileRequest('/tmp/data.csv'), Buffer.from('\xfb/tmp/data.csv', 'latin1'));
    assert.deepEqual(decodeLocalInfileRequest(encodeLocalInfileRequest('/tmp/data.csv')), { filename: '/tmp/data.csv' });
    refuses(() => decodeLocalInfileRequest(hex('00')), 'mysql/server: LOCAL INFILE request starts with 0x00, not 0xfb');
  });

  test('fuzz: decoders throw nothing but ProtocolError, and error messages carry no payload bytes', () => {
    const caps = [0, P41, TRACK, TRACK | C.CLIENT_DEPRECATE_EOF, C.CLIENT_TRANSACTIONS];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.constantFrom(...caps), fc.constantFrom(0x00, 0xfe, 0xff, 0xfb), (bytes, c, first) => {
        const b = Buffer.from(bytes);
        if (b.length > 0) b[0] = first;
        for (const decode of [decodeOk, decodeErr, decodeEof, decodeResultSetEnd, (p: Buffer) => decodeLocalInfileRequest(p)]) {
          try {
            decode(b, c);
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
            assert.doesNotMatch(err.message, /[^\x20-\x7e]/);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
