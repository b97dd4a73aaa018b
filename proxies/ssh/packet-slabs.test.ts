/**
 * Packet slabs on their own: which packets get one, and that a slab is never lent to two
 * packets at once whatever order they are written in (end to end through real ssh2
 * sockets in padding-pool.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { giveBack, inLentSlab, packetBuffer, SLAB_BYTES, slabCounts } from './packet-slabs.js';

test('packets Node pools itself, and packets larger than a slab, get memory of their own', () => {
  for (const n of [0, 5, 4096, SLAB_BYTES + 1, 256 * 1024]) {
    const packet = packetBuffer(n);
    assert.equal(packet.length, n);
    assert.equal(inLentSlab(packet), false, `${n} bytes`);
  }
  for (const n of [4097, 32_768 + 9 + 5 + 19 + 16, SLAB_BYTES]) {
    const packet = packetBuffer(n);
    assert.equal(packet.length, n);
    assert.equal(inLentSlab(packet), true, `${n} bytes`);
    giveBack(packet);
    assert.equal(inLentSlab(packet), false, 'given back');
  }
});

test('a slab given back is used for the next packet, and giving it back twice frees it once', () => {
  const first = packetBuffer(20_000);
  giveBack(first);
  giveBack(first);
  const before = slabCounts().reused;
  const a = packetBuffer(30_000);
  assert.equal(a.buffer, first.buffer, 'the free slab went to the next packet');
  assert.equal(slabCounts().reused, before + 1);
  const b = packetBuffer(30_000);
  assert.notEqual(b.buffer, a.buffer, 'and only to that one');
  giveBack(a);
  giveBack(b);
});

test('whatever the order of packets and writes, no slab is under two unwritten packets', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: SLAB_BYTES + 100 }), fc.constant(-1)), { maxLength: 200 }), fc.nat(), (ops, seed) => {
      const held: { packet: Buffer; mark: number }[] = [];
      let pick = seed;
      for (const [i, op] of ops.entries()) {
        if (op > 0) {
          const packet = packetBuffer(op);
          packet.fill(i & 0xff);
          held.push({ packet, mark: i & 0xff });
        } else if (held.length > 0) {
          pick = (pick * 1_103_515_245 + 12_345) >>> 0;
          giveBack(held.splice(pick % held.length, 1)[0]!.packet);
        }
      }
      // Every packet not yet written still holds what was written into it.
      for (const { packet, mark } of held) assert.ok(packet.every((b) => b === mark));
      for (const { packet } of held) giveBack(packet);
    }),
  );
});
