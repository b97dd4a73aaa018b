/**
 * Pooled padding against ssh2's own cipher objects (the same layout, fresh random
 * padding), and end to end between a real ssh2 server and client with every cipher
 * the gateway offers, their sockets' writes coalesced and large packets in slabs used
 * again as the gateway's are.
 */
import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import ssh2 from 'ssh2';
import { ALGORITHMS } from './algorithms.js';
import { coalesceWrites } from './coalesce.js';
import { readLoggedInIntoSlabs } from './socket-reads.js';
import { slabCounts } from './packet-slabs.js';
import { learnLayout, poolCipherPadding, poolPadding } from './padding-pool.js';
import { generateSshHostKey } from '../../src/daemon/ssh-host-key.js';

interface CipherLike {
  allocPacket(payloadLen: number): Buffer;
}
interface SshCrypto {
  CIPHER_INFO: Record<string, { keyLen: number; ivLen: number }>;
  MAC_INFO: Record<string, { len: number }>;
  createCipher(config: unknown): CipherLike;
}
const sshCrypto = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as SshCrypto;

function cipher(name: string, mac = 'hmac-sha2-256'): CipherLike {
  const info = sshCrypto.CIPHER_INFO[name]!;
  return sshCrypto.createCipher({
    outbound: {
      onWrite: () => undefined,
      cipherInfo: info,
      cipherKey: Buffer.alloc(info.keyLen, 1),
      cipherIV: Buffer.alloc(info.ivLen, 2),
      seqno: 0,
      macInfo: sshCrypto.MAC_INFO[mac],
      macKey: Buffer.alloc(sshCrypto.MAC_INFO[mac]!.len, 3),
    },
  });
}

const CIPHERS = ALGORITHMS.cipher as string[];
/** Each cipher with each kind of MAC the gateway offers (the AEAD ciphers ignore it). */
const CASES = CIPHERS.flatMap((c) => (c.endsWith('-ctr') ? [[c, 'hmac-sha2-256'], [c, 'hmac-sha2-512-etm@openssh.com']] : [[c, 'hmac-sha2-256']]));
const LENGTHS = [...Array.from({ length: 300 }, (_, i) => i), 1000, 4095, 16_384, 32_768, 32_769, 35_000];

for (const [name, mac] of CASES) {
  test(`${name} (${mac}): packets laid out as ssh2 lays them out, padded with fresh random bytes`, () => {
    const original = cipher(name!, mac);
    const pooled = cipher(name!, mac);
    assert.equal(poolCipherPadding(pooled), true);
    const paddings = new Set<string>();
    for (const n of LENGTHS) {
      const [a, b] = [original.allocPacket(n), pooled.allocPacket(n)];
      assert.equal(b.length, a.length, `payload ${n}: packet length`);
      assert.equal(b.readUInt32BE(0), a.readUInt32BE(0), `payload ${n}: length field`);
      assert.equal(b[4], a[4], `payload ${n}: padding length`);
      paddings.add(b.subarray(5 + n, 5 + n + b[4]!).toString('hex'));
    }
    assert.equal(paddings.size, LENGTHS.length, 'no two packets share their padding');
  });
}

test('a cipher whose layout is not one it can reproduce keeps its own allocPacket', () => {
  // Padding that depends on more than the payload length modulo 16.
  const odd: CipherLike = {
    allocPacket(n) {
      const pad = n > 20 ? 9 : 4;
      const packet = Buffer.alloc(5 + n + pad);
      packet.writeUInt32BE(1 + n + pad, 0);
      packet[4] = pad;
      return packet;
    },
  };
  const own = odd.allocPacket;
  assert.equal(learnLayout(odd), undefined);
  assert.equal(poolCipherPadding(odd), false);
  assert.equal(odd.allocPacket, own);
});

type Owner = { _protocol: { _cipher: object } };
const pooledNow = (owner: unknown): boolean => Object.hasOwn((owner as Owner)._protocol._cipher, 'allocPacket');

async function roundTrip(cipherName: ssh2.CipherAlgorithm): Promise<{ toClient: Buffer; toServer: Buffer; pooledAfterRekey: boolean[]; slabReads: boolean[] }> {
  const hostKey = generateSshHostKey().privateKey;
  const down = Buffer.from(Array.from({ length: 2 * 1024 * 1024 }, (_, i) => (i * 13) & 0xff));
  const up = Buffer.from(Array.from({ length: 1024 * 1024 + 7 }, (_, i) => (i * 5 + 1) & 0xff));
  const received: Buffer[] = [];
  const pooledAfterRekey: boolean[] = [];
  const slabReads: boolean[] = [];
  let rekeyed: Promise<void> = Promise.resolve();
  let serverError: (err: Error) => void = () => undefined;
  const server = new ssh2.Server({ hostKeys: [hostKey], algorithms: { cipher: [cipherName] } }, (conn) => {
    coalesceWrites((conn as unknown as { _sock: Socket })._sock);
    poolPadding(conn);
    conn.on('error', (err) => serverError(err));
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('ready', () => slabReads.push(readLoggedInIntoSlabs((conn as unknown as { _sock: Socket })._sock)));
    conn.on('session', (accept) => {
      accept().on('exec', (acceptExec) => {
        const channel = acceptExec();
        channel.on('data', (d: Buffer) => received.push(d));
        // A key exchange mid-session installs new ciphers on both ends: the pool follows.
        rekeyed = new Promise<void>((r) => conn.rekey(() => r()));
        channel.on('end', () => {
          void rekeyed.then(() => {
            pooledAfterRekey.push(pooledNow(conn));
            channel.end(down);
          });
        });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new ssh2.Client();
  try {
    const toClient = await new Promise<Buffer>((resolve, reject) => {
      client.once('ready', () => {
        slabReads.push(readLoggedInIntoSlabs((client as unknown as { _sock: Socket })._sock));
        client.exec('x', (err, stream) => {
          if (err) return reject(err);
          const got: Buffer[] = [];
          stream.on('data', (d: Buffer) => got.push(d));
          stream.on('close', () => {
            pooledAfterRekey.push(pooledNow(client));
            resolve(Buffer.concat(got));
          });
          stream.end(up);
        });
      });
      client.once('error', reject);
      serverError = reject;
      client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'u', password: 'p', algorithms: { cipher: [cipherName] } });
      coalesceWrites((client as unknown as { _sock: Socket })._sock);
      poolPadding(client);
    });
    return { toClient, toServer: Buffer.concat(received), pooledAfterRekey, slabReads };
  } finally {
    client.end();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

for (const name of CIPHERS) {
  test(`${name}: a real ssh2 client and server with pooled padding, packet slabs and slab reads on both ends exchange data intact, across a rekey`, async () => {
    const before = slabCounts();
    const { toClient, toServer, pooledAfterRekey, slabReads } = await roundTrip(name as ssh2.CipherAlgorithm);
    // Decrypted in place in the regions of shared slabs, from the login on.
    assert.deepEqual(slabReads, [true, true]);
    const after = slabCounts();
    // 3 MiB in 32 KiB packets, all in slabs, at most an SSH window's worth (2 MiB) of them
    // unwritten at once: the rest reuse slabs given back.
    const [made, reused] = [after.made - before.made, after.reused - before.reused];
    assert.ok(made + reused >= 90, `packets in slabs: ${made + reused}`);
    assert.ok(reused >= 24, `slabs used again: ${reused}`);
    assert.deepEqual(pooledAfterRekey, [true, true], 'the ciphers installed by the rekey pool their padding too');
    assert.equal(toServer.length, 1024 * 1024 + 7);
    assert.equal(toClient.length, 2 * 1024 * 1024);
    assert.ok(toServer.every((b, i) => b === ((i * 5 + 1) & 0xff)));
    assert.ok(toClient.every((b, i) => b === ((i * 13) & 0xff)));
  });
}
