import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConnectionState, decodeEnvelope } from './codec/envelope.js';
import { num } from './codec/struct.js';
import { Protocol } from './codec/x224.js';
import { capture } from './codec/test-captures.js';
import { chooseSecurity } from './connection.js';
import {
  attachUserConfirm,
  channelJoinConfirm,
  connectResponse,
  disconnectUltimatum,
  gatewayChannels,
  mapChannels,
  negotiationFailure,
  negotiationResponse,
  rdpFrame,
  setErrorInfo,
} from './pdus.js';

const tpkt = (bytes: Buffer) => ({ kind: 'tpkt' as const, bytes });

test('the gateway\'s Connect-Response decodes through the codec: TLS only, the protocols asked for, its channel ids', () => {
  const ids = gatewayChannels(5);
  assert.deepEqual(ids, { io: 1003, channels: [1004, 1005, 1006, 1007, 1008], user: 1009 });
  const state = new ConnectionState();
  const env = decodeEnvelope('s2c', tpkt(connectResponse(Protocol.SSL | Protocol.HYBRID, ids)), state);
  assert.equal(env.mcs?.kind, 'connect-response');
  assert.equal(env.mcs.result, 0);
  const blocks = env.conference!.blocks;
  const core = blocks.find((b) => b.name === 'SC_CORE');
  assert.ok(core && 'struct' in core);
  assert.equal(num(core.struct, 'clientRequestedProtocols'), 3);
  const sec = blocks.find((b) => b.name === 'SC_SECURITY');
  assert.ok(sec && 'struct' in sec);
  assert.equal(num(sec.struct, 'encryptionMethod'), 0);
  assert.equal(state.ioChannel, 1003);
  const net = blocks.find((b) => 'net' in b);
  assert.ok(net && 'net' in net);
  assert.deepEqual(net.net.channelIds, ids.channels);
});

test('attach, join and negotiation answers decode as what they claim', () => {
  const state = new ConnectionState();
  const attach = decodeEnvelope('s2c', tpkt(attachUserConfirm(1009)), state);
  assert.deepEqual(attach.mcs, { kind: 'attach-user-confirm', flags: 2, result: 0, initiator: 1009 });
  const join = decodeEnvelope('s2c', tpkt(channelJoinConfirm(1009, 1004)), state);
  assert.deepEqual(join.mcs, { kind: 'channel-join-confirm', flags: 2, result: 0, initiator: 1009, requested: 1004, channelId: 1004 });
  const ok = decodeEnvelope('s2c', tpkt(negotiationResponse(Protocol.SSL)), state);
  assert.equal(ok.x224?.kind === 'connection-confirm' && ok.x224.negotiation?.value, Protocol.SSL);
  const no = decodeEnvelope('s2c', tpkt(negotiationFailure(1)), state);
  assert.deepEqual(no.x224?.kind === 'connection-confirm' && no.x224.negotiation, { type: 3, flags: 0, value: 1 });
  assert.equal(decodeEnvelope('s2c', tpkt(disconnectUltimatum()), state).mcs?.kind, 'disconnect-provider-ultimatum');
});

test('Set Error Info travels on the I/O channel as a share data PDU the codec reads back', () => {
  const state = new ConnectionState();
  decodeEnvelope('s2c', tpkt(connectResponse(Protocol.SSL, gatewayChannels(0))), state);
  const env = decodeEnvelope('s2c', tpkt(setErrorInfo(1003, 7)), state);
  assert.equal(env.label, 'mcs:send-data-indication/data:set-error-info');
  assert.ok(env.data?.kind === 'flat');
  assert.equal(num(env.data.struct, 'errorInfo'), 7);
});

test('mapChannels renumbers Send Data initiator and channel and leaves everything else alone', () => {
  const state = new ConnectionState();
  decodeEnvelope('s2c', tpkt(connectResponse(Protocol.SSL, gatewayChannels(2))), state);
  const frame = tpkt(setErrorInfo(1003, 1));
  const mapped = mapChannels(frame, new Map([[1003, 1010], [1002, 1002]]));
  const env = decodeEnvelope('s2c', tpkt(mapped), new ConnectionState());
  assert.ok(env.mcs?.kind === 'send-data-indication');
  assert.equal(env.mcs.channelId, 1010);
  assert.equal(env.mcs.initiator, 1002);
  assert.ok(frame.bytes.equals(setErrorInfo(1003, 1)), 'the original is not changed');
  const untouched = tpkt(attachUserConfirm(1009));
  assert.equal(mapChannels(untouched, new Map([[1009, 1020]])), untouched.bytes);
  assert.equal(mapChannels({ kind: 'fastpath', bytes: Buffer.of(0, 3, 0) }, new Map([[0, 1]])).length, 3);
});

test('rdpFrame cuts a real client\'s PDUs at every split point, and refuses a PDU over the limit', () => {
  const pdus = capture('xfreerdp-shadow-tls.txt').filter((p) => p.dir === 'c2s').slice(0, 12).map((p) => p.bytes);
  const stream = Buffer.concat(pdus);
  const parse = rdpFrame(4096);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 20 }), (cuts) => {
      // Whatever has arrived, the parser takes whole PDUs only, in order.
      let buffered = Buffer.alloc(0);
      const got: Buffer[] = [];
      const points = [...new Set(cuts)].sort((a, b) => a - b).concat(stream.length);
      let at = 0;
      for (const p of points) {
        buffered = Buffer.concat([buffered, stream.subarray(at, p)]);
        at = p;
        for (let f = parse(buffered); f; f = parse(buffered)) {
          got.push(f.value.bytes);
          buffered = buffered.subarray(f.used);
        }
      }
      assert.deepEqual(got, pdus);
    }),
  );
  for (let i = 0; i < pdus[0]!.length; i++) assert.equal(parse(pdus[0]!.subarray(0, i)), undefined, `prefix of ${i} bytes`);
  assert.throws(() => rdpFrame(100)(Buffer.from('0300ffff', 'hex')), /65535 bytes .* more than the 100 allowed/);
});

test('chooseSecurity: NLA for a cookie naming a user with an NT hash, else TLS, none for standard RDP security', () => {
  const lookup = (login: string): Buffer | null => (login.startsWith('alice+') ? Buffer.alloc(16) : null);
  const both = Protocol.SSL | Protocol.HYBRID;
  assert.equal(chooseSecurity(both, 'Cookie: mstshash=alice+win01', lookup), Protocol.HYBRID);
  assert.equal(chooseSecurity(both, 'Cookie: mstshash=bob+win01', lookup), Protocol.SSL);
  assert.equal(chooseSecurity(both, null, lookup), Protocol.SSL);
  assert.equal(chooseSecurity(Protocol.SSL, 'Cookie: mstshash=alice+win01', lookup), Protocol.SSL);
  assert.equal(chooseSecurity(Protocol.HYBRID, null, lookup), Protocol.HYBRID);
  assert.equal(chooseSecurity(Protocol.RDP, 'Cookie: mstshash=alice+win01', lookup), null);
});
