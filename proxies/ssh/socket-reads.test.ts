import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { readLoggedInIntoSlabs } from './socket-reads.js';

/** A connected pair of loopback sockets: [ours, the peer's]. */
async function pair(): Promise<[Socket, Socket, () => void]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const ours = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [peer] = (await once(server, 'connection')) as [Socket];
  await once(ours, 'connect');
  return [ours, peer, () => (ours.destroy(), peer.destroy(), server.close())];
}

/** Waits until `got()` holds `n` bytes. */
async function until(got: () => number, n: number): Promise<void> {
  for (let i = 0; i < 500 && got() < n; i++) await new Promise((r) => setTimeout(r, 2));
  assert.equal(got(), n);
}

test('a socket read into slabs hands each read to its data listeners once, in order, as views of shared slabs', async () => {
  const [ours, peer, close] = await pair();
  try {
    const chunks: Buffer[] = [];
    ours.on('data', (c: Buffer) => chunks.push(c));
    assert.equal(readLoggedInIntoSlabs(ours), true);
    const sent: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      const keystroke = Buffer.from(`key ${i};`);
      sent.push(keystroke);
      peer.write(keystroke);
      // One read a keystroke, as a person types.
      await until(() => Buffer.concat(chunks).length, Buffer.concat(sent).length);
    }
    assert.equal(Buffer.concat(chunks).toString(), Buffer.concat(sent).toString());
    // Node's own reads each have a buffer of their own; these are regions of a few slabs.
    assert.ok(new Set(chunks.map((c) => c.buffer)).size < chunks.length / 2, `${chunks.length} reads`);
  } finally {
    close();
  }
});

test('a paused socket holding bytes stays with its Readable stream, and its listeners get those bytes once', async () => {
  const [ours, peer, close] = await pair();
  try {
    let got = '';
    ours.on('data', (c: Buffer) => (got += c.toString()));
    ours.pause();
    peer.write('before the login');
    for (let i = 0; i < 500 && ours.readableLength === 0; i++) await new Promise((r) => setTimeout(r, 2));
    assert.equal(readLoggedInIntoSlabs(ours), false);
    ours.resume();
    peer.write(', after it');
    await until(() => got.length, 'before the login, after it'.length);
    assert.equal(got, 'before the login, after it');
  } finally {
    close();
  }
});

test('idle sockets hold small regions: sockets taken over one after another read into neighbouring 2 KiB of a slab', async () => {
  const pairs = await Promise.all(Array.from({ length: 8 }, () => pair()));
  try {
    const firsts: Buffer[] = [];
    for (const [ours, peer] of pairs) {
      const got: Buffer[] = [];
      ours.on('data', (c: Buffer) => got.push(c));
      assert.equal(readLoggedInIntoSlabs(ours), true);
      peer.write('a prompt$ ');
      await until(() => Buffer.concat(got).length, 10);
      firsts.push(got[0]!);
    }
    const bySlab = new Map<ArrayBufferLike, number[]>();
    for (const c of firsts) bySlab.set(c.buffer, [...(bySlab.get(c.buffer) ?? []), c.byteOffset]);
    // Eight 2 KiB regions cross at most one slab's end.
    assert.ok(bySlab.size <= 2, `${bySlab.size} slabs`);
    for (const offsets of bySlab.values()) offsets.slice(1).forEach((o, i) => assert.equal(o - offsets[i]!, 2048));
  } finally {
    for (const [, , close] of pairs) close();
  }
});
