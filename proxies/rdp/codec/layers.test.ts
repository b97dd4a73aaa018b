import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { refuses } from '../../wire/test-support.js';
import { CapabilityType, findSet, GENERAL, ORDER, SURFACE_COMMANDS } from './capabilities.js';
import { BlockType, CS_CORE, EarlyCapability } from './data-blocks.js';
import { ConnectionState, decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.js';
import { errorInfoText } from './error-info.js';
import { parseExtendedInfo } from './extended-info.js';
import { RdpFramer } from './framer.js';
import { parseConferenceCreate, serializeConferenceCreate } from './gcc.js';
import { clearGfxFlag, restrictCapabilities, withoutCompression } from './restrict.js';
import { InfoFlag, injectCredentials, parseClientInfo, serializeClientInfo } from './security.js';
import { num, parseStruct } from './struct.js';
import { capture, CAPTURES } from './test-captures.js';
import { walkCapture } from './walker.js';
import { NEG_FAILURE_TEXT, parseX224, Protocol, serializeX224 } from './x224.js';

const envelopes = (name: (typeof CAPTURES)[number]): Envelope[] => walkCapture(capture(name)).envelopes;

describe('X.224', () => {
  test('a Connection Request with a cookie and RDP_NEG_REQ for TLS and CredSSP', () => {
    const cr = parseX224(Buffer.from('26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003000000', 'hex'));
    assert.equal(cr.kind, 'connection-request');
    if (cr.kind !== 'connection-request') return;
    assert.equal(cr.cookie, 'Cookie: mstshash=alice');
    assert.equal(cr.negotiation?.value, Protocol.SSL | Protocol.HYBRID);
    assert.equal(serializeX224(cr).toString('hex'), '26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003000000');
  });

  test('a negotiation failure and what it means', () => {
    const cc = parseX224(Buffer.from('0ed000001234000300080005000000', 'hex'));
    assert.ok(cc.kind === 'connection-confirm' && cc.negotiation?.type === 3);
    assert.equal(NEG_FAILURE_TEXT[cc.negotiation.value], 'the server requires CredSSP (NLA)');
  });

  test('a length indicator that does not match is refused', () => {
    refuses(() => parseX224(Buffer.from('10d0000000000000', 'hex')), /length indicator 16/);
  });
});

describe('conference and Client Info', () => {
  const xrdp = envelopes('xfreerdp-xrdp-tls.txt');
  const request = xrdp.find((e) => e.mcs?.kind === 'connect-initial')!;
  const info = xrdp.find((e) => e.clientInfo)!.clientInfo!;

  test('xfreerdp asks for the graphics pipeline; clearGfxFlag clears only that bit', () => {
    const gcc = request.conference!.gcc;
    const core = (c: typeof gcc) => parseStruct(c.blocks.find((b) => b.type === BlockType.CS_CORE)!.body, 'core', CS_CORE, 12);
    const before = num(core(gcc), 'earlyCapabilityFlags');
    assert.ok(before & EarlyCapability.SUPPORT_DYNVC_GFX_PROTOCOL);
    const cleared = parseConferenceCreate(serializeConferenceCreate(clearGfxFlag(gcc)));
    assert.equal(num(core(cleared), 'earlyCapabilityFlags'), before & ~EarlyCapability.SUPPORT_DYNVC_GFX_PROTOCOL);
    assert.equal(num(core(cleared), 'desktopWidth'), 800);
  });

  test('the channel list is read: cliprdr, rdpdr, rdpsnd, drdynvc', () => {
    const net = request.conference!.blocks.find((b) => 'channels' in b);
    assert.ok(net && 'channels' in net);
    for (const name of ['cliprdr', 'rdpdr', 'rdpsnd', 'drdynvc']) assert.ok(net.channels.some((c) => c.name === name), name);
  });

  test('the Client Info carries what xfreerdp was given; injected credentials replace it', () => {
    assert.equal(info.userName, 'recgate-rdp');
    assert.equal(info.password, 'Xrdp-target-pw1');
    assert.ok(info.flags & InfoFlag.COMPRESSION, 'xfreerdp asks for bulk compression');
    const injected = parseClientInfo(serializeClientInfo(injectCredentials(info, { userName: 'target', password: 'pässwörd', domain: 'CORP' })));
    assert.deepEqual([injected.userName, injected.password, injected.domain], ['target', 'pässwörd', 'CORP']);
    assert.ok(injected.flags & InfoFlag.AUTOLOGON);
    assert.deepEqual(injected.extra, info.extra, 'the extended info is kept');
    assert.equal(withoutCompression(info).flags & (InfoFlag.COMPRESSION | InfoFlag.COMPRESSION_TYPE_MASK), 0);
  });

  test('the extended info tells the client\'s address', () => {
    const ext = parseExtendedInfo(info.extra);
    assert.equal(ext?.clientAddressFamily, 2);
    assert.equal(ext?.clientAddress, '127.0.0.1');
    assert.equal(typeof ext?.performanceFlags, 'number');
    refuses(() => parseExtendedInfo(Buffer.from('0200ff00', 'hex')), /more than 80/);
  });

  test('a field longer than the Info Packet allows is refused', () => {
    refuses(() => serializeClientInfo({ ...info, password: 'x'.repeat(300) }), /more than 512/);
  });
});

describe('capabilities', () => {
  for (const name of CAPTURES) {
    test(`restrictCapabilities on ${name}: no orders, no codecs, no surface commands, no compression`, () => {
      for (const e of envelopes(name).filter((x) => x.active)) {
        const r = restrictCapabilities(e.active!);
        const order = findSet(r, CapabilityType.ORDER);
        if (order) {
          const s = parseStruct(order.body, 'order', ORDER, 0);
          assert.ok((s.fields.orderSupport as Buffer).every((b) => b === 0));
          assert.equal(s.fields.orderSupportExFlags, 0);
        }
        const codecs = findSet(r, CapabilityType.BITMAP_CODECS);
        if (codecs) assert.deepEqual(codecs.body, Buffer.of(0));
        const surface = findSet(r, CapabilityType.SURFACE_COMMANDS);
        if (surface) assert.equal(num(parseStruct(surface.body, 's', SURFACE_COMMANDS, 1), 'cmdFlags'), 0);
        const general = findSet(r, CapabilityType.GENERAL);
        if (general) assert.equal(num(parseStruct(general.body, 'g', GENERAL, 5), 'compressionTypes'), 0);
        // The edited PDU still decodes, with the same sets in the same order.
        const again = encodeEnvelope({ ...e, active: r });
        const state = new ConnectionState();
        state.ioChannel = (e.mcs as { channelId: number }).channelId;
        const back = decodeEnvelope(e.dir, new RdpFramer().push(again)[0]!, state);
        assert.deepEqual(back.active?.sets.map((s) => s.type), e.active!.sets.map((s) => s.type));
      }
    });
  }
});

test('error info codes read as words; unknown ones as hex', () => {
  assert.equal(errorInfoText(0x3), 'the session was idle longer than the server allows');
  assert.equal(errorInfoText(0x10ca), 'unknown pduType in a share control header');
  assert.equal(errorInfoText(0xabcdef), 'error 0x00abcdef');
});

describe('fuzz', () => {
  const real = CAPTURES.flatMap((name) => capture(name));

  test('a real PDU with bytes changed decodes or fails with a ProtocolError, never anything else', () => {
    fc.assert(
      fc.property(fc.nat(real.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), (i, changes) => {
        const pdu = real[i]!;
        const bytes = Buffer.from(pdu.bytes);
        for (const [at, v] of changes) bytes[at % bytes.length] = v;
        // The state a real connection has by then: the I/O channel and the virtual channels known.
        const state = new ConnectionState();
        for (const p of real.slice(0, 4)) decodeEnvelope(p.dir, new RdpFramer().push(p.bytes)[0]!, state);
        try {
          for (const f of new RdpFramer().push(bytes)) encodeEnvelope(decodeEnvelope(pdu.dir, f, state));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('random bytes behind a valid TPKT and X.224 data header fail only with a ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (body, io) => {
        const state = new ConnectionState();
        state.ioChannel = 1003;
        state.channelNames.set(1004, 'cliprdr');
        const mcs = Buffer.concat([Buffer.from(io ? '64000703eb70' : '64000703ec70', 'hex'), Buffer.of(0x80 | (body.length >> 8), body.length & 0xff), body]);
        const tpdu = Buffer.concat([Buffer.from('02f080', 'hex'), mcs]);
        const frame = Buffer.concat([Buffer.of(3, 0, (tpdu.length + 4) >> 8, (tpdu.length + 4) & 0xff), tpdu]);
        try {
          const env = decodeEnvelope('c2s', { kind: 'tpkt', bytes: frame }, state);
          encodeEnvelope(env);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });
});

test('a codec error names the layers the PDU went through', () => {
  const state = new ConnectionState();
  state.ioChannel = 1003;
  // A share control header announcing a Demand Active whose capability sets are cut short.
  const share = Buffer.from('12001100ea03' + 'ea030100' + '0400' + '2000', 'hex');
  share.writeUInt16LE(share.length, 0);
  const mcs = Buffer.concat([Buffer.from('68000703eb70', 'hex'), Buffer.of(share.length), share]);
  const tpdu = Buffer.concat([Buffer.from('02f080', 'hex'), mcs]);
  const frame = Buffer.concat([Buffer.of(3, 0, 0, tpdu.length + 4), tpdu]);
  refuses(() => decodeEnvelope('s2c', { kind: 'tpkt', bytes: frame }, state), /^rdp\/s2c\/mcs\/demand-active: sourceDescriptor: needs 4 bytes/);
});
