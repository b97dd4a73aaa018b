/**
 * The part of node:zlib that src/graphics/keyframe.ts uses, for the page:
 * the bundle maps `node:zlib` here (scripts/build.mjs), so keyframes
 * inflate in the browser with the same results and the same refusals
 * (corrupt data, more output than `maxOutputLength`). zlib format, RFC 1950,
 * through fflate.
 */
import { unzlibSync, zlibSync } from 'fflate';

export interface InflateOptions {
  maxOutputLength?: number;
}

export function inflateSync(data: Uint8Array, options: InflateOptions = {}): Uint8Array {
  const max = options.maxOutputLength;
  try {
    if (max === undefined) return unzlibSync(data);
    // One byte of room past the limit tells "too large" from "exactly the limit".
    const out = unzlibSync(data, { out: new Uint8Array(max + 1) });
    if (out.length > max) throw new RangeError(`inflated data exceeds maxOutputLength (${max} bytes)`);
    return out;
  } catch (err) {
    if (err instanceof RangeError) throw err;
    throw new Error(`invalid zlib data: ${(err as Error).message}`);
  }
}

export function deflateSync(data: Uint8Array, options: { level?: number } = {}): Uint8Array {
  const level = options.level ?? 6;
  return zlibSync(data, { level: Math.min(9, Math.max(0, level)) as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 });
}
