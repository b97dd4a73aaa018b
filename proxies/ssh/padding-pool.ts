/**
 * Random packet padding without a system call per packet.
 *
 * Every SSH packet carries 4–255 bytes of random padding (RFC 4253 §6).
 * ssh2 (1.17) fills each packet's padding with a `crypto.randomFillSync` call
 * of its own: 7.5 µs each in the gateway (Node's job machinery, and OpenSSL's
 * fork check calls getpid()), 4 % of the gateway's CPU relaying bulk output.
 * OpenSSH takes its padding from a buffered arc4random; this does the same:
 * padding comes from a pool of CSPRNG bytes refilled 64 KiB at a time, each
 * byte used once.
 *
 * ssh2 keeps its cipher classes private and swaps the cipher object at every
 * key exchange (`protocol._cipher = createCipher(...)`), so the pool hooks
 * that assignment. For each new cipher it first learns the packet layout
 * from ssh2's own `allocPacket` (padding length by payload length modulo
 * 16, and the room left for the MAC), checks that layout holds for every
 * payload length it tried, and only then replaces `allocPacket` on that one
 * object. A cipher whose layout it cannot explain (a future ssh2) keeps
 * ssh2's own. Large packets are laid out in slabs used again once written
 * (packet-slabs.ts).
 */
import { randomFillSync } from 'node:crypto';
import { packetBuffer } from './packet-slabs.js';

const POOL_BYTES = 65_536;

/** Largest cipher block SSH uses (AES): padding lengths repeat with this period of the payload length. */
const PERIOD = 16;

interface Cipher {
  allocPacket(payloadLen: number): Buffer;
}

interface Layout {
  /** Padding length by payload length modulo PERIOD. */
  padding: number[];
  /** Bytes after the padding (the MAC or tag, written by encrypt). */
  mac: number;
}

class RandomPool {
  private readonly bytes = Buffer.allocUnsafe(POOL_BYTES);
  private used = POOL_BYTES;

  /** Copies `length` fresh random bytes into `target` at `offset`. */
  fill(target: Buffer, offset: number, length: number): void {
    if (this.used + length > POOL_BYTES) {
      randomFillSync(this.bytes);
      this.used = 0;
    }
    this.bytes.copy(target, offset, this.used, this.used + length);
    this.used += length;
  }
}

const pool = new RandomPool();

/** The layout ssh2's allocPacket produces, or undefined when it is not one this module can reproduce. */
export function learnLayout(cipher: Cipher): Layout | undefined {
  const padding: number[] = [];
  let mac: number | undefined;
  for (let n = 0; n < 2 * PERIOD; n++) {
    const packet = cipher.allocPacket(n);
    const pad = packet[4]!;
    const rest = packet.length - (5 + n + pad);
    const ok = pad >= 4 && packet.readUInt32BE(0) === 1 + n + pad && rest >= 0 && (mac === undefined || rest === mac) && (n < PERIOD || padding[n - PERIOD] === pad);
    if (!ok) return undefined;
    mac = rest;
    if (n < PERIOD) padding.push(pad);
  }
  return { padding, mac: mac! };
}

/** Replaces the cipher's allocPacket with one that lays packets out as learned and pads from the pool. */
export function poolCipherPadding(cipher: Cipher): boolean {
  if (typeof cipher?.allocPacket !== 'function') return false;
  const layout = learnLayout(cipher);
  if (!layout) return false;
  const { padding, mac } = layout;
  cipher.allocPacket = (payloadLen: number): Buffer => {
    const pad = padding[payloadLen % PERIOD]!;
    const length = 5 + payloadLen + pad;
    const packet = packetBuffer(length + mac);
    packet.writeUInt32BE(length - 4, 0);
    packet[4] = pad;
    pool.fill(packet, 5 + payloadLen, pad);
    return packet;
  };
  return true;
}

/** Pools the padding of every cipher this ssh2 connection or client installs from now on. */
export function poolPadding(owner: unknown): void {
  const protocol = (owner as { _protocol?: { _cipher?: Cipher } } | undefined)?._protocol;
  if (!protocol || !('_cipher' in protocol)) return;
  let current = protocol._cipher;
  Object.defineProperty(protocol, '_cipher', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (cipher: Cipher) => {
      current = cipher;
      poolCipherPadding(cipher);
    },
  });
}
