/**
 * Helpers shared by the protocol tests (proxies/postgres/protocol,
 * proxies/mysql/protocol). Imported by tests only.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolError } from '../../src/errors.js';

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Fails unless `f` throws a ProtocolError whose message is `message` (or matches it). */
export function refuses(f: () => unknown, message: string | RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

/** Up to 10 cut points for fast-check to pick; fold them with cutPoints. */
export const cuts = fc.array(fc.nat(), { maxLength: 10 });

/** Picked cut points folded into 0..length, without repeats, sorted. */
export const cutPoints = (picked: number[], length: number): number[] =>
  [...new Set(picked.map((c) => c % (length + 1)))].sort((a, b) => a - b);

/** `stream` cut at the sorted offsets `cuts`, as copies, so that no chunk shares memory with another. */
export function splitAt(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [0, ...cuts, stream.length];
  return points.slice(1).map((end, i) => Buffer.from(stream.subarray(points[i]!, end)));
}

/**
 * Feeds `stream` cut in two at every offset, and in three at every pair of
 * offsets when `inThree`, failing unless `feed` gives `expected` (by
 * default what it gives for the stream in one chunk) each time.
 */
export function assertSameHoweverCut<T>(
  stream: Buffer,
  feed: (chunks: Buffer[]) => T,
  { inThree = false, expected = feed([stream]) }: { inThree?: boolean; expected?: T } = {},
): void {
  for (let a = 0; a <= stream.length; a++) {
    if (!inThree) {
      assert.deepEqual(feed(splitAt(stream, [a])), expected, `cut at ${a}`);
      continue;
    }
    for (let b = a; b <= stream.length; b++) assert.deepEqual(feed(splitAt(stream, [a, b])), expected, `cuts at ${a}, ${b}`);
  }
}

/** Pushes `data` cut at the `picked` points (see cutPoints); a ProtocolError ends it quietly, anything else is thrown. */
export function pushCutAnywhere(push: (chunk: Buffer) => void, data: Buffer, picked: number[]): void {
  try {
    for (const c of splitAt(data, cutPoints(picked, data.length))) push(c);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}
