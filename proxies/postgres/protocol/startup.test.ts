import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { ProtocolError } from '../../../src/errors.js';
import {
  CANCEL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  PROTOCOL_3_0,
  PROTOCOL_3_2,
  SSL_REQUEST_CODE,
  encodeCancelRequest,
  encodeSSLRequest,
  encodeStartupMessage,
  parseStartupPacket,
  startupPacketLength,
} from './startup.js';

/** length | code | rest, with the length computed. */
function packet(code: number, rest: Uint8Array = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(8 + rest.length);
  b.writeUInt32BE(b.length, 0);
  b.writeUInt32BE(code >>> 0, 4);
  b.set(rest, 8);
  return b;
}

const startupError = (message: string) => (err: unknown) => err instanceof ProtocolError && err.message === `postgres/frontend: ${message}`;

describe('parseStartupPacket', () => {
  test('reads a StartupMessage written by another client library', () => {
    const parsed = parseStartupPacket(serialize.startup({ user: 'alice', database: 'app', application_name: 'psql' }));
    assert.deepEqual(parsed, {
      kind: 'startup',
      major: 3,
      minor: 0,
      user: 'alice',
      params: new Map([
        ['user', 'alice'],
        ['database', 'app'],
        ['application_name', 'psql'],
        ['client_encoding', 'UTF8'],
      ]),
    });
  });

  test('round-trips a StartupMessage, protocol 3.0 and 3.2', () => {
    const params = new Map([
      ['user', 'bob'],
      ['options', '-c search_path=x'],
      ['_pq_.extension', 'on'],
      ['empty', ''],
    ]);
    for (const minor of [0, 2]) {
      const encoded = encodeStartupMessage(params, minor);
      assert.equal(encoded.readUInt32BE(4), minor === 0 ? PROTOCOL_3_0 : PROTOCOL_3_2);
      assert.equal(startupPacketLength(encoded), encoded.length);
      assert.deepEqual(parseStartupPacket(encoded), { kind: 'startup', major: 3, minor, user: 'bob', params });
    }
  });

  test('fuzz: any parameters round-trip', () => {
    const name = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }).filter((s) => !s.includes('\0'));
    const value = fc.string({ maxLength: 20, unit: 'grapheme' }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 6 }), name, (extra, user) => {
        const params = new Map([['user', user], ...Object.entries(extra).filter(([k]) => k !== 'user')]);
        const parsed = parseStartupPacket(encodeStartupMessage(params));
        assert.deepEqual(parsed, { kind: 'startup', major: 3, minor: 0, user, params });
      }),
      { numRuns: 200 },
    );
  });

  test('a repeated parameter keeps its last value', () => {
    const rest = Buffer.from('user\0a\0user\0b\0\0');
    assert.equal((parseStartupPacket(packet(PROTOCOL_3_0, rest)) as { user: string }).user, 'b');
  });

  test('reads SSLRequest and GSSENCRequest', () => {
    assert.deepEqual(parseStartupPacket(encodeSSLRequest()), { kind: 'ssl-request' });
    assert.deepEqual(parseStartupPacket(serialize.requestSsl()), { kind: 'ssl-request' });
    assert.deepEqual(parseStartupPacket(packet(GSSENC_REQUEST_CODE)), { kind: 'gssenc-request' });
    assert.throws(
      () => parseStartupPacket(packet(GSSENC_REQUEST_CODE, Buffer.alloc(4))),
      startupError('GSSENCRequest of 12 bytes; it is always 8'),
    );
  });

  test('reads a CancelRequest with a 4-byte key and with a protocol 3.2 key', () => {
    assert.deepEqual(parseStartupPacket(serialize.cancel(4242, 0x01020304)), {
      kind: 'cancel-request',
      pid: 4242,
      secretKey: Buffer.from([1, 2, 3, 4]),
    });
    for (const n of [4, 32, 256]) {
      const key = Buffer.alloc(n, 0xab);
      assert.deepEqual(parseStartupPacket(encodeCancelRequest(77, key)), { kind: 'cancel-request', pid: 77, secretKey: key });
    }
  });

  test('refuses a CancelRequest key shorter than 4 or longer than 256 bytes', () => {
    const pidAnd = (n: number) => Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.alloc(n)]);
    assert.throws(
      () => parseStartupPacket(packet(CANCEL_REQUEST_CODE, pidAnd(3))),
      startupError('CancelRequest carries a 3-byte secret key; expected 4 to 256'),
    );
    assert.throws(() => parseStartupPacket(packet(CANCEL_REQUEST_CODE, pidAnd(257))), /257-byte secret key/);
    assert.throws(() => encodeCancelRequest(1, Buffer.alloc(2)), ProtocolError);
  });

  test('refuses protocol versions other than 3', () => {
    const params = Buffer.from('user\0a\0\0');
    assert.throws(() => parseStartupPacket(packet((1 << 16) | 2, params)), startupError('unsupported protocol version 1.2'));
    assert.throws(() => parseStartupPacket(packet(2 << 16, params)), startupError('unsupported protocol version 2.0'));
    assert.throws(() => parseStartupPacket(packet((1234 << 16) | 5681)), startupError('unsupported protocol version 1234.5681'));
  });

  test('refuses malformed parameter lists', () => {
    const bad: [string, string][] = [
      ['user\0alice\0', 'StartupMessage parameter list has no terminator'],
      ['', 'StartupMessage parameter list has no terminator'],
      ['user\0', 'StartupMessage parameter 1 has no value'],
      ['user\0alice', 'StartupMessage parameter 1 has an unterminated value'],
      ['user', 'StartupMessage parameter 1 has no value'],
      ['user\0alice\0\0junk', 'StartupMessage has 4 bytes after its parameter list'],
      ['database\0app\0\0', 'StartupMessage names no user'],
      ['user\0\0\0', 'StartupMessage names no user'],
    ];
    for (const [rest, message] of bad) {
      assert.throws(() => parseStartupPacket(packet(PROTOCOL_3_0, Buffer.from(rest))), startupError(message), JSON.stringify(rest));
    }
  });

  test('refuses a packet whose length field disagrees with its size', () => {
    const p = encodeSSLRequest();
    assert.throws(
      () => parseStartupPacket(Buffer.concat([p, Buffer.of(0)])),
      startupError('startup packet of 9 bytes has a length field of 8'),
    );
    assert.throws(
      () => parseStartupPacket(p.subarray(0, 3)),
      startupError('startup packet of 3 bytes has a length field of less than 4 bytes'),
    );
  });

  test('refuses over-long packets and direct TLS', () => {
    const long = packet(PROTOCOL_3_0, Buffer.alloc(9_997));
    assert.throws(() => startupPacketLength(long), startupError('startup packet length 10005 is outside 8..10004'));
    assert.throws(() => startupPacketLength(Buffer.from('160301020000', 'hex')), /TLS handshake instead of a startup packet/);
  });

  test('encoders refuse what cannot be put on the wire', () => {
    assert.throws(() => encodeStartupMessage({ user: 'a\0b' }), startupError('StartupMessage parameter user contains a NUL byte'));
    assert.throws(() => encodeStartupMessage({ '': 'x' }), ProtocolError);
  });

  test('fuzz: any packet bytes only ever throw ProtocolError', () => {
    const codes = fc.constantFrom(PROTOCOL_3_0, PROTOCOL_3_2, CANCEL_REQUEST_CODE, SSL_REQUEST_CODE);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), codes, (rest, code) => {
        for (const p of [packet(code, rest), Buffer.from(rest)]) {
          try {
            parseStartupPacket(p);
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
