import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { hex, refuses } from '../../wire/test-support.js';
import {
  decodeAuthMoreData,
  decodeAuthNextFactor,
  decodeAuthReply,
  decodeAuthSwitchRequest,
  encodeAuthMoreData,
  encodeAuthSwitchRequest,
} from './auth-exchange.js';
import { Capability as C, MariaDbCapability as M, RELAY_CLEARED_CAPABILITIES, RELAY_CLEARED_MARIADB_CAPABILITIES, capabilityNames } from './capabilities.js';
import {
  decodeHandshakeResponse,
  decodeSslRequest,
  encodeHandshakeResponse,
  encodeSslRequest,
  isSslRequest,
  type HandshakeResponse,
} from './handshake-response.js';
import { decodeInitialHandshake, encodeInitialHandshake, type InitialHandshake } from './initial-handshake.js';
import { encodeErr, encodeOk } from './packets.js';

/** Every strict prefix of `payload` either decodes or throws a ProtocolError. */
function prefixesOnlyThrowProtocolError(payload: Buffer, decode: (b: Buffer) => unknown): number {
  let refused = 0;
  for (let n = 0; n < payload.length; n++) {
    try {
      decode(payload.subarray(0, n));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      refused++;
    }
  }
  return refused;
}

// The initial handshake of MariaDB 10.11 and the mariadb client's answer to it, as captured.
const MARIADB_GREETING = hex(
  '0a352e352e352d31302e31312e31392d4d6172696144422d302b64656231327531002300000' +
    '07e6663405362723500fef72d0200ff81150000000000001d000000527d3d58254a282830553f79006d7973716c5f6e61746976655f70617373776f726400',
);
const MARIADB_CLIENT_RESPONSE = hex(
  '8ca2bf000000100021000000000000000000000000000000000000001d000000726f6f74000074657374006d7973716c5f6e61746976655f70617373776f7264007f035f6f73' +
    '054c696e75780c5f636c69656e745f6e616d650a6c69626d617269616462045f7069640532323235300f5f636c69656e745f76657273696f6e06332e332e3230095f706c6174' +
    '666f726d067838365f36340c70726f6772616d5f6e616d65056d7973716c0c5f7365727665725f686f7374093132372e302e302e31',
);

const SCRAMBLE = Buffer.from('0123456789abcdefghij');
const MYSQL8_CAPS = 0xdfffffff;

describe('initial handshake', () => {
  test('decodes a MariaDB greeting, with its extended capabilities, and writes it back byte for byte', () => {
    const h = decodeInitialHandshake(MARIADB_GREETING);
    assert.equal(h.serverVersion, '5.5.5-10.11.19-MariaDB-0+deb12u1');
    assert.equal(h.connectionId, 35);
    assert.equal(h.authPluginData.toString('latin1'), '~fc@Sbr5R}=X%J((0U?y');
    assert.equal(h.capabilities & C.CLIENT_LONG_PASSWORD, 0);
    assert.ok(h.capabilities & C.CLIENT_DEPRECATE_EOF);
    assert.equal(
      h.mariadbCapabilities,
      M.MARIADB_CLIENT_PROGRESS | M.MARIADB_CLIENT_STMT_BULK_OPERATIONS | M.MARIADB_CLIENT_EXTENDED_METADATA | M.MARIADB_CLIENT_CACHE_METADATA,
    );
    assert.equal(h.charset, 45);
    assert.equal(h.statusFlags, 2);
    assert.equal(h.authPluginName, 'mysql_native_password');
    assert.deepEqual(encodeInitialHandshake(h), MARIADB_GREETING);
  });

  test('round-trips a MySQL 8 style greeting: CLIENT_LONG_PASSWORD set, so no extended capabilities are written', () => {
    const h: InitialHandshake = {
      serverVersion: '8.4.3',
      connectionId: 0xfffffffe,
      authPluginData: SCRAMBLE,
      capabilities: MYSQL8_CAPS,
      mariadbCapabilities: 0x1f,
      charset: 255,
      statusFlags: 0x4002,
      authPluginName: 'caching_sha2_password',
    };
    const payload = encodeInitialHandshake(h);
    assert.deepEqual(payload.subarray(33, 37), hex('00000000'));
    assert.deepEqual(decodeInitialHandshake(payload), { ...h, mariadbCapabilities: 0 });
  });

  test('reads a greeting whose plugin name lacks its terminator, and one without CLIENT_PLUGIN_AUTH', () => {
    const payload = encodeInitialHandshake({ ...decodeInitialHandshake(MARIADB_GREETING) });
    assert.equal(decodeInitialHandshake(payload.subarray(0, payload.length - 1)).authPluginName, 'mysql_native_password');
    const noPlugin = encodeInitialHandshake({
      ...decodeInitialHandshake(MARIADB_GREETING),
      capabilities: C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION,
      authPluginName: '',
    });
    const h = decodeInitialHandshake(noPlugin);
    assert.equal(h.authPluginName, '');
    assert.deepEqual(h.authPluginData, decodeInitialHandshake(MARIADB_GREETING).authPluginData);
  });

  test('refuses an ERR packet, other protocol versions, and truncation', () => {
    refuses(
      () => decodeInitialHandshake(encodeErr({ code: 1040, sqlState: '08004', message: 'Too many connections' }, 0)),
      'mysql/server: sent an ERR packet instead of the initial handshake',
    );
    refuses(() => decodeInitialHandshake(hex('09352e3000')), 'mysql/server: initial handshake has protocol version 9; only 10 is supported');
    refuses(() => decodeInitialHandshake(MARIADB_GREETING.subarray(0, 60)), 'mysql/server: initial handshake ends inside the reserved bytes');
    refuses(() => decodeInitialHandshake(Buffer.concat([MARIADB_GREETING, hex('00')])), /initial handshake has 1 byte after its last field/);
    assert.ok(prefixesOnlyThrowProtocolError(MARIADB_GREETING, decodeInitialHandshake) > 0);
  });

  test('the encoder insists on protocol 4.1 and a 20-byte scramble', () => {
    const h = decodeInitialHandshake(MARIADB_GREETING);
    refuses(() => encodeInitialHandshake({ ...h, authPluginData: SCRAMBLE.subarray(0, 8) }), 'mysql/server: auth-plugin-data of 8 bytes; the scramble is 20');
    refuses(() => encodeInitialHandshake({ ...h, capabilities: C.CLIENT_PROTOCOL_41 }), /only written with CLIENT_PROTOCOL_41 and CLIENT_SECURE_CONNECTION/);
  });
});

describe('HandshakeResponse41 and SSLRequest', () => {
  test('decodes the mariadb client’s response and writes it back byte for byte', () => {
    const r = decodeHandshakeResponse(MARIADB_CLIENT_RESPONSE);
    assert.equal(r.username, 'root');
    assert.equal(r.authResponse.length, 0);
    assert.equal(r.database, 'test');
    assert.equal(r.authPluginName, 'mysql_native_password');
    assert.equal(r.charset, 33);
    assert.equal(r.maxPacketSize, 1 << 20);
    assert.equal(r.mariadbCapabilities, 0x1d);
    assert.equal(r.attributes?.get('program_name'), 'mysql');
    assert.equal(r.attributes?.size, 7);
    assert.equal(r.zstdLevel, undefined);
    assert.ok(capabilityNames(r.capabilities, r.mariadbCapabilities).includes('MARIADB_CLIENT_CACHE_METADATA'));
    assert.deepEqual(encodeHandshakeResponse(r), MARIADB_CLIENT_RESPONSE);
  });

  const base: HandshakeResponse = {
    capabilities: C.CLIENT_PROTOCOL_41,
    mariadbCapabilities: 0,
    maxPacketSize: 0x40000000,
    charset: 255,
    username: 'alice',
    authResponse: Buffer.alloc(0),
  };

  test('reads each form of the auth response the flags call for', () => {
    const auth = Buffer.from([0, 1, 2, 0xfb, 0xff]);
    const lenenc = { ...base, capabilities: C.CLIENT_PROTOCOL_41 | C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | C.CLIENT_SECURE_CONNECTION, authResponse: auth };
    assert.deepEqual(decodeHandshakeResponse(encodeHandshakeResponse(lenenc)), lenenc);
    const oneByte = { ...lenenc, capabilities: C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION };
    assert.deepEqual(decodeHandshakeResponse(encodeHandshakeResponse(oneByte)), oneByte);
    const nul = { ...base, authResponse: Buffer.from('scrambled') };
    assert.deepEqual(decodeHandshakeResponse(encodeHandshakeResponse(nul)), nul);
    refuses(() => encodeHandshakeResponse({ ...nul, authResponse: auth }), 'mysql/client: auth response contains a NUL byte');
    refuses(() => encodeHandshakeResponse({ ...oneByte, authResponse: Buffer.alloc(256) }), /does not fit a 1-byte length/);
    const long = { ...lenenc, authResponse: Buffer.alloc(300, 7) };
    assert.deepEqual(decodeHandshakeResponse(encodeHandshakeResponse(long)), long);
  });

  test('round-trips every combination of optional fields', () => {
    const optional = [
      C.CLIENT_CONNECT_WITH_DB,
      C.CLIENT_PLUGIN_AUTH,
      C.CLIENT_CONNECT_ATTRS,
      C.CLIENT_SECURE_CONNECTION,
      C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
      C.CLIENT_ZSTD_COMPRESSION_ALGORITHM,
    ];
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: optional.length, maxLength: optional.length }),
        fc.boolean(),
        fc.string({ maxLength: 20 }).filter((s) => !s.includes('\0')),
        fc.uint8Array({ maxLength: 40 }).filter((a) => !a.includes(0)),
        fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 300 })), { maxLength: 4 }),
        fc.nat(0xffffffff),
        (flags, mariadb, text, auth, attrs, ext) => {
          let caps = C.CLIENT_PROTOCOL_41 | (mariadb ? 0 : C.CLIENT_LONG_PASSWORD);
          flags.forEach((on, i) => (caps |= on ? optional[i]! : 0));
          caps >>>= 0;
          const r: HandshakeResponse = { ...base, capabilities: caps, mariadbCapabilities: mariadb ? ext : 0, username: text, authResponse: Buffer.from(auth) };
          if (caps & C.CLIENT_CONNECT_WITH_DB) r.database = text;
          if (caps & C.CLIENT_PLUGIN_AUTH) r.authPluginName = 'caching_sha2_password';
          if (caps & C.CLIENT_CONNECT_ATTRS) r.attributes = new Map(attrs);
          if (caps & C.CLIENT_ZSTD_COMPRESSION_ALGORITHM) r.zstdLevel = 3;
          assert.deepEqual(decodeHandshakeResponse(encodeHandshakeResponse(r)), r);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('lets the trailing optional fields be missing, as servers do', () => {
    const caps = C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION | C.CLIENT_PLUGIN_AUTH | C.CLIENT_CONNECT_ATTRS;
    const full = encodeHandshakeResponse({ ...base, capabilities: caps, authPluginName: 'x', attributes: new Map([['a', 'b']]) });
    const noAttrs = full.subarray(0, full.length - 5);
    assert.deepEqual(decodeHandshakeResponse(noAttrs).attributes, undefined);
    const noPlugin = noAttrs.subarray(0, noAttrs.length - 2);
    assert.equal(decodeHandshakeResponse(noPlugin).authPluginName, '');
    refuses(() => decodeHandshakeResponse(full.subarray(0, full.length - 1)), 'mysql/client: HandshakeResponse41 ends inside the connection attributes');
    assert.ok(prefixesOnlyThrowProtocolError(MARIADB_CLIENT_RESPONSE, decodeHandshakeResponse) > 30);
  });

  test('refuses a pre-4.1 client and an attribute running past its block', () => {
    const old = Buffer.from(MARIADB_CLIENT_RESPONSE);
    old[1] = old[1]! & ~0x02; // CLIENT_PROTOCOL_41 is bit 9
    refuses(() => decodeHandshakeResponse(old), 'mysql/client: speaks the pre-4.1 protocol (CLIENT_PROTOCOL_41 is clear), which is not supported');
    const caps = C.CLIENT_PROTOCOL_41 | C.CLIENT_CONNECT_ATTRS;
    const good = encodeHandshakeResponse({ ...base, capabilities: caps, attributes: new Map([['k', 'value']]) });
    const bad = Buffer.from(good);
    bad[bad.length - 9] = 5; // the block claims 5 bytes; its one attribute takes 8
    refuses(() => decodeHandshakeResponse(bad), 'mysql/client: HandshakeResponse41 has a connection attribute running past the attributes block');
  });

  test('SSLRequest: the 32-byte prefix, with CLIENT_SSL', () => {
    const s = { capabilities: C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION, mariadbCapabilities: 0x1d, maxPacketSize: 1 << 24, charset: 45 };
    const payload = encodeSslRequest(s);
    assert.equal(payload.length, 32);
    assert.ok(isSslRequest(payload));
    assert.ok(!isSslRequest(MARIADB_CLIENT_RESPONSE));
    assert.deepEqual(decodeSslRequest(payload), { ...s, capabilities: s.capabilities | C.CLIENT_SSL });
    // The same bytes begin the response that follows the TLS handshake.
    const response = encodeHandshakeResponse({ ...base, ...s, capabilities: s.capabilities | C.CLIENT_SSL });
    assert.deepEqual(response.subarray(0, 32), payload);
    const plain = Buffer.from(payload);
    plain[1] = 0x82; // CLIENT_SSL (bit 11) cleared, CLIENT_PROTOCOL_41 and CLIENT_SECURE_CONNECTION kept
    refuses(() => decodeSslRequest(plain), 'mysql/client: SSLRequest does not set CLIENT_SSL');
    refuses(() => decodeSslRequest(payload.subarray(0, 31)), 'mysql/client: SSLRequest ends inside the filler');
  });
});

describe('authentication exchange', () => {
  test('AuthSwitchRequest round-trips, and the old form means mysql_old_password', () => {
    const data = Buffer.concat([SCRAMBLE, hex('00')]);
    const payload = encodeAuthSwitchRequest('mysql_native_password', data);
    assert.deepEqual(decodeAuthSwitchRequest(payload), { pluginName: 'mysql_native_password', pluginData: data });
    assert.deepEqual(decodeAuthSwitchRequest(hex('fe')), { pluginName: 'mysql_old_password', pluginData: Buffer.alloc(0) });
    refuses(() => decodeAuthSwitchRequest(hex('fe6162')), 'mysql/server: AuthSwitchRequest has no terminator after the plugin name');
    refuses(() => encodeAuthSwitchRequest('', data), 'mysql/server: AuthSwitchRequest plugin name is empty');
  });

  test('AuthMoreData and AuthNextFactor', () => {
    assert.deepEqual(decodeAuthMoreData(encodeAuthMoreData(hex('03'))), hex('03'));
    assert.deepEqual(decodeAuthNextFactor(Buffer.from('\x02authentication_fido_client\0\x01\x02', 'latin1')), {
      pluginName: 'authentication_fido_client',
      pluginData: hex('0102'),
    });
    refuses(() => decodeAuthMoreData(hex('0203')), 'mysql/server: AuthMoreData starts with 0x02, not 0x01');
  });

  test('decodeAuthReply tells the server’s packets apart by their first byte', () => {
    const caps = C.CLIENT_PROTOCOL_41;
    assert.equal(decodeAuthReply(encodeOk({}, caps), caps).kind, 'ok');
    const err = decodeAuthReply(encodeErr({ code: 1045, sqlState: '28000', message: "Access denied for user 'x'" }, caps), caps);
    assert.deepEqual(err, { kind: 'error', error: { code: 1045, sqlState: '28000', message: "Access denied for user 'x'" } });
    assert.equal(decodeAuthReply(encodeAuthSwitchRequest('client_ed25519', SCRAMBLE), caps).kind, 'switch');
    assert.deepEqual(decodeAuthReply(hex('0104'), caps), { kind: 'more-data', data: hex('04') });
    assert.equal(decodeAuthReply(Buffer.from('\x02p\0', 'latin1'), caps).kind, 'next-factor');
    refuses(() => decodeAuthReply(hex(''), caps), 'mysql/server: sent an empty packet during authentication');
    refuses(() => decodeAuthReply(hex('0a'), caps), 'mysql/server: sent a packet starting with 0x0a during authentication');
  });
});

describe('capabilities', () => {
  test('names the flags set, and the relay masks clear compression and metadata skipping', () => {
    assert.deepEqual(capabilityNames(C.CLIENT_SSL | C.CLIENT_REMEMBER_OPTIONS, M.MARIADB_CLIENT_PROGRESS | 0x100), [
      'CLIENT_SSL',
      'CLIENT_REMEMBER_OPTIONS',
      'MARIADB_CLIENT_PROGRESS',
      'MARIADB bit 8',
    ]);
    assert.deepEqual(capabilityNames(RELAY_CLEARED_CAPABILITIES, RELAY_CLEARED_MARIADB_CAPABILITIES), [
      'CLIENT_COMPRESS',
      'CLIENT_OPTIONAL_RESULTSET_METADATA',
      'CLIENT_ZSTD_COMPRESSION_ALGORITHM',
      'MARIADB_CLIENT_COM_MULTI',
      'MARIADB_CLIENT_STMT_BULK_OPERATIONS',
      'MARIADB_CLIENT_CACHE_METADATA',
      'MARIADB_CLIENT_BULK_UNIT_RESULTS',
    ]);
    assert.equal(C.CLIENT_REMEMBER_OPTIONS, 2 ** 31);
  });
});

test('fuzz: connection-phase decoders throw nothing but ProtocolError', () => {
  const decoders: ((b: Buffer) => unknown)[] = [
    decodeInitialHandshake,
    decodeHandshakeResponse,
    decodeSslRequest,
    decodeAuthSwitchRequest,
    decodeAuthMoreData,
    decodeAuthNextFactor,
    (b) => decodeAuthReply(b, MYSQL8_CAPS),
  ];
  const seeds = [MARIADB_GREETING, MARIADB_CLIENT_RESPONSE];
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), fc.nat()).map(([seed, flips, cut]) => {
    const b = Buffer.from(seed);
    for (const [at, v] of flips) b[at % b.length] = v;
    return b.subarray(0, cut % (b.length + 1));
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), mutated), (bytes) => {
      for (const decode of decoders) {
        try {
          decode(bytes);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }
    }),
    { numRuns: 500 },
  );
});
