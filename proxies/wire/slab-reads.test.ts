/** Reads into shared slabs on real loopback sockets: order, bytes that stay as read, pausing, the end, and TLS left alone. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { onreadKeys, readIntoSlabs } from './slab-reads.js';

let server: Server;
const accepted: Socket[] = [];

before(async () => {
  server = createServer({ pauseOnConnect: true }, (s) => accepted.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
after(() => server.close());

/** A connected pair: `ours` is the accepted side (paused, as a login leaves it), `peer` the client. */
async function pair(): Promise<{ ours: Socket; peer: Socket }> {
  const peer = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(peer, 'connect');
  while (accepted.length === 0) await new Promise((r) => setImmediate(r));
  return { ours: accepted.shift()!, peer };
}

test("this Node keeps a socket's onread buffer where the relay looks for it", () => {
  // Should a Node release move them, the relay falls back to 'data' events: this test says so first.
  assert.notEqual(onreadKeys(), null);
});

test('bytes read before the takeover come first, every chunk keeps its bytes while later reads land, and the end still ends', async () => {
  const { ours, peer } = await pair();
  // A login read the socket, then paused it with bytes still in its Readable.
  const early = Buffer.from('read before the relay took the socket');
  ours.resume();
  peer.write(early);
  await once(ours, 'data').then(([chunk]) => ours.unshift(chunk as Buffer));
  ours.pause();
  const chunks: Buffer[] = [];
  const copies: Buffer[] = [];
  assert.equal(
    readIntoSlabs(ours, (c) => {
      chunks.push(c);
      copies.push(Buffer.from(c));
    }),
    true,
  );
  assert.deepEqual(Buffer.concat(chunks), early, 'what the Readable held is handed over at once');
  ours.resume();
  const sent: Buffer[] = [early];
  for (let i = 0; i < 300; i++) {
    const piece = randomBytes(1 + ((i * 7919) % 70_000));
    sent.push(piece);
    if (!peer.write(piece)) await once(peer, 'drain');
  }
  peer.end();
  await once(ours, 'end');
  // equals(), not deepEqual: a diff of megabytes would be the failure's message.
  chunks.forEach((c, i) => assert.ok(c.equals(copies[i]!), `chunk ${i} of ${chunks.length} was written over after it was handed out`));
  assert.ok(Buffer.concat(chunks).equals(Buffer.concat(sent)), 'every byte, in order');
  ours.destroy();
});

test('a paused socket is not read until it is resumed', async () => {
  const { ours, peer } = await pair();
  let got = 0;
  assert.equal(readIntoSlabs(ours, (c) => (got += c.length)), true);
  ours.resume();
  peer.write('one');
  while (got < 3) await new Promise((r) => setImmediate(r));
  ours.pause();
  peer.write('two');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(got, 3, 'nothing read while paused');
  ours.resume();
  while (got < 6) await new Promise((r) => setImmediate(r));
  peer.destroy();
  ours.destroy();
});

test('a TLS socket stays with its data events', async () => {
  const { ours, peer } = await pair();
  const tls = new TLSSocket(peer);
  assert.equal(
    readIntoSlabs(tls, () => undefined),
    false,
  );
  tls.destroy();
  ours.destroy();
});
