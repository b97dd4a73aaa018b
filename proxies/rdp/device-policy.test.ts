import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ChannelFlag, ChannelReassembler, chunkMessage, type ChannelChunk } from './codec/channels.js';
import type { Envelope } from './codec/envelope.js';
import { DeviceType, parseDeviceListAnnounce, PAKID_CORE_DEVICELIST_ANNOUNCE, RDPDR_CTYP_CORE } from './codec/rdpdr.js';
import { DevicePolicy, type DeviceDecision } from './device-policy.js';
import type { Redirection } from './spec.js';

/** A DEVICE_ANNOUNCE as a client writes it (MS-RDPEFS 2.2.1.3). */
function device(type: number, id: number, name: string, data = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(20 + data.length);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(id, 4);
  b.write(name, 8, 7, 'latin1');
  b.writeUInt32LE(data.length, 16);
  data.copy(b, 20);
  return b;
}

function announce(...devices: Buffer[]): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(RDPDR_CTYP_CORE, 0);
  head.writeUInt16LE(PAKID_CORE_DEVICELIST_ANNOUNCE, 2);
  head.writeUInt32LE(devices.length, 4);
  return Buffer.concat([head, ...devices]);
}

const DRIVE = device(DeviceType.FILESYSTEM, 1, 'HOME', Buffer.from('home\0'));
const PRINTER = device(DeviceType.PRINT, 2, 'PRN1', Buffer.alloc(3000, 7));
const CARD = device(DeviceType.SMARTCARD, 3, 'SCARD');
const PORT = device(DeviceType.SERIAL, 4, 'COM1');

/** The person's chunks through the policy, as the relay sees them: what reaches the target and what was announced. */
function through(policy: DevicePolicy, chunks: ChannelChunk[]): { sent: Buffer; decisions: DeviceDecision[] } {
  const reassembler = new ChannelReassembler();
  const sent: ChannelChunk[] = [];
  const decisions: DeviceDecision[] = [];
  for (const chunk of chunks) {
    const message = reassembler.push(1004, chunk);
    const env = { dir: 'c2s', kind: 'tpkt', label: 'x', channel: { name: 'rdpdr', chunk, message } } as Envelope;
    const d = policy.decide(env);
    decisions.push(d);
    if (d.action === 'pass') sent.push(chunk);
    if (d.action === 'replace') sent.push(...d.chunks);
  }
  const again = new ChannelReassembler();
  const messages = sent.map((c) => again.push(1004, c)).filter((m) => m !== null);
  return { sent: Buffer.concat(messages.map((m) => m.data)), decisions };
}

test('a target that allows drives gets the drive and hears of no printer, smart card or port', () => {
  const { sent, decisions } = through(new DevicePolicy(['drive']), chunkMessage(announce(DRIVE, PRINTER, CARD, PORT)));
  const kept = parseDeviceListAnnounce(sent);
  assert.deepEqual(kept.map((d) => [d.type, d.id, d.dosName]), [[DeviceType.FILESYSTEM, 1, 'HOME']]);
  assert.deepEqual(kept[0]!.raw, DRIVE, 'a kept device passes byte for byte');
  const last = decisions.at(-1)!;
  assert.equal(last.action, 'replace');
  assert.deepEqual(last.action === 'replace' && last.devices, [
    { kind: 'drive', name: 'HOME', allowed: true },
    { kind: 'printer', name: 'PRN1', allowed: false },
    { kind: 'smartcard', name: 'SCARD', allowed: false },
    { kind: 'port', name: 'COM1', allowed: false },
  ]);
  assert.ok(decisions.slice(0, -1).every((d) => d.action === 'hold'), 'the first chunks are held until the list is whole');
});

test('every kind named passes unchanged; file I/O on the channel is not held', () => {
  const all = announce(DRIVE, PRINTER, CARD, PORT);
  assert.deepEqual(through(new DevicePolicy(['drive', 'printer', 'smartcard', 'port']), chunkMessage(all)).sent, all);
  const io = Buffer.concat([Buffer.from([0x72, 0x44, 0x43, 0x49]), Buffer.alloc(5000, 1)]);
  const { sent, decisions } = through(new DevicePolicy(['drive']), chunkMessage(io));
  assert.deepEqual(sent, io);
  assert.ok(decisions.every((d) => d.action === 'pass'));
});

test('a header split across chunks is held and read whole: the list cannot slip by in pieces', () => {
  const list = announce(PRINTER, DRIVE);
  const chunks: ChannelChunk[] = [
    { length: list.length, flags: ChannelFlag.FIRST, data: list.subarray(0, 2) },
    { length: list.length, flags: 0, data: list.subarray(2, 3) },
    { length: list.length, flags: ChannelFlag.LAST, data: list.subarray(3) },
  ];
  const kept = parseDeviceListAnnounce(through(new DevicePolicy(['drive']), chunks).sent);
  assert.deepEqual(kept.map((d) => d.dosName), ['HOME']);
});

test('an announce that lies about its count is dropped with a reason, not passed', () => {
  const lie = announce(DRIVE);
  lie.writeUInt32LE(1_000_000, 4);
  const { sent, decisions } = through(new DevicePolicy(['drive']), chunkMessage(lie));
  assert.equal(sent.length, 0);
  const last = decisions.at(-1)!;
  assert.equal(last.action, 'drop');
  assert.match(last.action === 'drop' ? last.reason : '', /devices announced/);
});

test('the server side and other channels are not touched', () => {
  const policy = new DevicePolicy([]);
  const data = announce(PRINTER);
  const s2c = { dir: 's2c', kind: 'tpkt', label: 'x', channel: { name: 'rdpdr', chunk: { length: data.length, flags: 3, data }, message: null } } as Envelope;
  assert.equal(policy.decide(s2c).action, 'pass');
  assert.equal(policy.decide({ ...s2c, dir: 'c2s', channel: { ...s2c.channel!, name: 'cliprdr' } }).action, 'pass');
});

const kinds: Redirection[] = ['drive', 'printer', 'smartcard', 'port'];
const TYPE: Record<Redirection, number> = { drive: DeviceType.FILESYSTEM, printer: DeviceType.PRINT, smartcard: DeviceType.SMARTCARD, port: DeviceType.PARALLEL };

test('any list, any chunking, any policy: exactly the allowed devices reach the target, in order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ kind: fc.constantFrom(...kinds), size: fc.integer({ min: 0, max: 900 }) }), { maxLength: 8 }),
      fc.subarray(kinds),
      fc.integer({ min: 1, max: 1600 }),
      (list, allowed, chunkSize) => {
        const devices = list.map((d, i) => device(TYPE[d.kind], i + 1, `D${i}`, Buffer.alloc(d.size, i)));
        const { sent } = through(new DevicePolicy(allowed), chunkMessage(announce(...devices), chunkSize));
        const expected = list.flatMap((d, i) => (allowed.includes(d.kind) ? [i + 1] : []));
        assert.deepEqual(parseDeviceListAnnounce(sent).map((d) => d.id), expected);
      },
    ),
  );
});

test('any bytes on the channel: a decision, never a throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 1600 }), (bytes, size) => {
      const data = Buffer.from(bytes);
      if (data.length >= 4) data.writeUInt32LE(0x44414472, 0);
      through(new DevicePolicy(['drive']), chunkMessage(data, size));
    }),
  );
});
