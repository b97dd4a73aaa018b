import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { assertSameHoweverCut, cuts, pushCutAnywhere, refuses } from '../../wire/test-support.js';
import { RdpFramer, readTpkt, writeTpkt } from './framer.js';
import { capture } from './test-captures.js';

const frames = (chunks: Buffer[], max?: number): string[] => {
  const f = new RdpFramer(max);
  const out = chunks.flatMap((c) => f.push(c)).map((x) => `${x.kind} ${x.bytes.toString('hex')}`);
  assert.ok(f.idle, 'ends on a PDU boundary');
  return out;
};

describe('RdpFramer', () => {
  const pdus = capture('xfreerdp-xrdp-tls.txt');
  for (const dir of ['c2s', 's2c'] as const) {
    const mine = pdus.filter((p) => p.dir === dir);
    const stream = Buffer.concat(mine.map((p) => p.bytes));
    test(`cuts the real ${dir} stream into its TPKT and fast-path PDUs however it is split`, () => {
      const expected = mine.map((p) => `${p.bytes[0] === 3 ? 'tpkt' : 'fastpath'} ${p.bytes.toString('hex')}`);
      assert.deepEqual(frames([stream]), expected);
      assertSameHoweverCut(stream, (chunks) => frames(chunks), { expected });
    });
  }

  test('reads one- and two-byte fast-path lengths', () => {
    assert.deepEqual(frames([Buffer.from('0406aabbccdd', 'hex')]), ['fastpath 0406aabbccdd']);
    assert.deepEqual(frames([Buffer.from('048006aabbcc', 'hex')]), ['fastpath 048006aabbcc']);
  });

  test('refuses a PDU longer than the bound as soon as its header says so, and stays failed', () => {
    const f = new RdpFramer(100);
    refuses(() => f.push(Buffer.from('030000c8', 'hex')), 'rdp/framer: a PDU of 200 bytes is longer than the 100 allowed');
    refuses(() => f.push(Buffer.from('00', 'hex')), /longer than the 100 allowed/);
  });

  test('refuses bytes that start no PDU and TPKT lengths too short for a header', () => {
    refuses(() => new RdpFramer().push(Buffer.of(0x05, 0x10)), /first byte 0x05 starts neither/);
    refuses(() => new RdpFramer().push(Buffer.from('03000004', 'hex')), /length 4 is shorter/);
    refuses(() => new RdpFramer().push(Buffer.of(0x00, 0x01)), /length 1 is shorter/);
  });

  test('frames CredSSP TSRequests only while asked to', () => {
    const ts = Buffer.from('3006a00302010600', 'hex');
    const f = new RdpFramer();
    f.credssp = true;
    assert.deepEqual(f.push(ts).map((x) => x.kind), ['credssp']);
    refuses(() => new RdpFramer().push(ts), /length 6|first byte/);
  });

  test('a TPKT is written and read back', () => {
    assert.deepEqual(readTpkt(writeTpkt(Buffer.from('02f080', 'hex'))), Buffer.from('02f080', 'hex'));
    refuses(() => readTpkt(Buffer.from('0300000902f080', 'hex')), /length 9 is not the frame's 7/);
  });

  test('fuzz: any bytes, cut anywhere, give PDUs or a ProtocolError, never more than the bound held', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), cuts, (data, picked) => {
        const f = new RdpFramer(300);
        pushCutAnywhere((c) => {
          for (const x of f.push(c)) assert.ok(x.bytes.length <= 300);
        }, Buffer.from(data), picked);
      }),
      { numRuns: 500 },
    );
  });

  test('PDUs of one chunk are views of it, not copies; a PDU cut across chunks is whole', () => {
    const chunk = Buffer.from('0404aabb0405ccddee04', 'hex');
    const f = new RdpFramer();
    const [a, b] = f.push(chunk);
    const [c] = f.push(Buffer.from('03ff', 'hex'));
    assert.deepEqual([a, b, c].map((x) => x?.bytes.toString('hex')), ['0404aabb', '0405ccddee', '0403ff']);
    chunk.fill(0, 0, 9);
    assert.equal(a!.bytes.toString('hex'), '00000000', 'a view of the chunk');
    assert.equal(b!.bytes.toString('hex'), '0000000000');
    assert.equal(c!.bytes.toString('hex'), '0403ff', 'joined from two chunks: its own bytes');
  });
});
