/**
 * Walks a recorded connection (PDUs in the order they crossed, each with
 * its direction) through every codec: each direction's bytes go through
 * its own framer, each frame is decoded into an envelope and encoded
 * again, and every decoded update content re-serialized, which must give
 * back the same bytes. Used by the tests on real captures, and by anyone
 * checking a capture by hand.
 */
import { encodeEnvelope, decodeEnvelope, ConnectionState, type Direction, type Envelope } from './envelope.js';
import { codecError } from './errors.js';
import { RdpFramer } from './framer.js';
import { serializeBitmapUpdate, serializePalette, serializePointerBody } from './updates.js';
import type { FastPathContent } from './fastpath.js';

export interface WalkResult {
  envelopes: Envelope[];
  /** How many PDUs of each label went by. */
  tally: Record<string, number>;
  /** Bitmap rectangles decoded, slow and fast path. */
  bitmapRects: number;
}

function contentMatches(c: FastPathContent, whole: Buffer | undefined): void {
  if (!whole) return;
  const again = c.kind === 'bitmap' ? serializeBitmapUpdate(c.rects) : c.kind === 'palette' ? serializePalette(c.palette) : c.kind === 'pointer' ? serializePointerBody(c.pointer) : null;
  if (again && !again.equals(whole)) throw codecError(['walker'], `a ${c.kind} update does not serialize to its bytes`);
}

export function walkCapture(pdus: { dir: Direction; bytes: Buffer }[]): WalkResult {
  const framers: Record<Direction, RdpFramer> = { c2s: new RdpFramer(), s2c: new RdpFramer() };
  const state = new ConnectionState();
  const envelopes: Envelope[] = [];
  const tally: Record<string, number> = {};
  let bitmapRects = 0;
  pdus.forEach((pdu, i) => {
    const frames = framers[pdu.dir].push(pdu.bytes);
    for (const frame of frames) {
      const env = decodeEnvelope(pdu.dir, frame, state);
      const again = encodeEnvelope(env);
      if (!again.equals(frame.bytes)) throw codecError(['walker'], `PDU ${i} (${pdu.dir} ${env.label}) encodes to different bytes`);
      for (const c of env.fastpath?.contents ?? []) {
        if (c.kind === 'bitmap') bitmapRects += c.rects.length;
        const single = env.fastpath?.output?.updates.length === 1 && env.fastpath.output.updates[0]!.fragmentation === 0 ? env.fastpath.output.updates[0]!.data : undefined;
        contentMatches(c, single);
      }
      if (env.data?.kind === 'bitmap') bitmapRects += env.data.rects.length;
      tally[env.label] = (tally[env.label] ?? 0) + 1;
      envelopes.push(env);
    }
  });
  for (const dir of ['c2s', 's2c'] as const) if (!framers[dir].idle) throw codecError(['walker'], `the ${dir} stream ends inside a PDU`);
  return { envelopes, tally, bitmapRects };
}
