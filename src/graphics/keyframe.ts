/** Keyframe records: the whole screen as deflated RGB rows (see records.ts). */
import { deflateSync, inflateSync } from 'node:zlib';
import type { Framebuffer } from './framebuffer.js';
import { RecordType, ScreenFormatError, type ScreenRecord } from './records.js';

export function keyframeOf(fb: Framebuffer, level = 1): ScreenRecord {
  return { type: RecordType.Keyframe, w: fb.width, h: fb.height, rgb: deflateSync(fb.rgb(), { level }) };
}

/** The RGB rows of a keyframe; its size is bounded by what the header claims. */
export function inflateKeyframe(r: Extract<ScreenRecord, { type: RecordType.Keyframe }>): Uint8Array {
  const size = r.w * r.h * 3;
  let rgb: Buffer;
  try {
    rgb = inflateSync(r.rgb, { maxOutputLength: Math.max(size, 1) });
  } catch (err) {
    throw new ScreenFormatError(`keyframe does not inflate: ${(err as Error).message}`);
  }
  if (rgb.length !== size) throw new ScreenFormatError(`keyframe holds ${rgb.length} bytes for a ${r.w}x${r.h} screen`);
  return rgb;
}
