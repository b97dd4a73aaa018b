/**
 * Packet memory used again once the kernel has the bytes.
 *
 * ssh2 allocates every outgoing packet on its own. A packet above half of
 * Node's 8 KiB buffer pool gets an ArrayBuffer of its own, so relaying bulk
 * output allocates one 32 KiB ArrayBuffer per packet: a third of the memory
 * the gateway allocates per relayed byte (the socket's reads and the sealed
 * chunks are most of the rest). V8 counts that memory as external and runs
 * a young collection every few tens of MB of it, and a packet that waits in
 * the socket's queue while the person's client reads slowly lives through
 * collections, is promoted, and is freed only by a full mark-compact.
 *
 * Here such packets are views of slabs that go back to a free list when the
 * socket's write callback runs: Node calls it once libuv has handed the bytes
 * to the kernel, or when the write failed or was dropped with the socket, so
 * nothing reads a slab once it is back. A slab is lent to one packet at a
 * time; a packet that is never written (a cipher freed at a key exchange, a
 * socket already closed) just leaves its slab to the collector.
 */

/** One slab: a full channel-data packet (32 KiB of data, its headers, padding and the largest MAC). */
export const SLAB_BYTES = 33 * 1024;

/** Packets up to this size come from Node's shared pool, which allocUnsafe already uses. */
const POOLED_BY_NODE = Buffer.poolSize >>> 1;

/** Free slabs kept for the next packets: 4 MiB, about two SSH windows of bulk output in flight. */
const FREE_LIMIT = Math.floor((4 * 1024 * 1024) / SLAB_BYTES);

const free: ArrayBuffer[] = [];
const lent = new WeakSet<ArrayBuffer>();
const counts = { made: 0, reused: 0 };

/** Memory for a packet of `length` bytes: a view of a slab when it is large enough to need one. */
export function packetBuffer(length: number): Buffer {
  if (length <= POOLED_BY_NODE || length > SLAB_BYTES) return Buffer.allocUnsafe(length);
  let slab = free.pop();
  if (slab) counts.reused++;
  else {
    slab = new ArrayBuffer(SLAB_BYTES);
    counts.made++;
  }
  lent.add(slab);
  return Buffer.from(slab, 0, length);
}

/** Whether `chunk` is a packet in a lent slab (and so should be given back when written). */
export function inLentSlab(chunk: unknown): chunk is Uint8Array {
  return chunk instanceof Uint8Array && lent.has(chunk.buffer as ArrayBuffer);
}

/** Gives the slab under `chunk` back; once only, whoever calls. */
export function giveBack(chunk: Uint8Array): void {
  const slab = chunk.buffer as ArrayBuffer;
  if (!lent.delete(slab)) return;
  if (free.length < FREE_LIMIT) free.push(slab);
}

/** Slabs made and reused since the process started. */
export function slabCounts(): { made: number; reused: number } {
  return { ...counts };
}
