/**
 * The screen a part of a video export starts from, when the part starts
 * mid-recording: what the frame before it showed, from the last keyframe
 * before it (palette and pointer records replayed from the start).
 *
 * Two reads of the stream up to there: the first notes where each bitmap
 * since the keyframe lands (overdraw.ts), the second decodes only the
 * bitmaps still visible at the part's start. Scrolling text repaints every
 * tile many times between two keyframes, so most of the decoding a part
 * would do only to paint over it is left out. If a bitmap turns out not to
 * decode (a damaged recording), a later one may not have painted what it
 * was trusted to: the screen is then built again with every bitmap decoded,
 * as a player would show it.
 */
import { Overdraw } from '../graphics/overdraw.js';
import { ScreenPlayer, type TimedRecord } from '../graphics/player.js';
import { RecordType, type ScreenRecord } from '../graphics/records.js';

/** A reader of the screen stream's records from its start, in time order. */
export type OpenRecords = () => AsyncIterator<TimedRecord>;

export interface PartStart {
  player: ScreenPlayer;
  /** The reader, positioned at `next`: the first record after `until`. */
  records: AsyncIterator<TimedRecord>;
  next: IteratorResult<TimedRecord>;
}

/** Records that carry state a keyframe does not: the palette and the pointer (cheap to replay). */
const keptBeforeKeyframe = (r: ScreenRecord): boolean => r.type === RecordType.Palette || r.type >= RecordType.PointerPosition;

/**
 * The screen as of `until` (every record at or before it counted) on a canvas of
 * `width`×`height`, starting from the keyframe at `keyframe` (-Infinity: none).
 */
export async function partStart(open: OpenRecords, until: number, keyframe: number, width: number, height: number): Promise<PartStart> {
  const hidden = await overdrawn(open(), until, keyframe, width, height);
  const start = await replay(open, until, keyframe, width, height, hidden);
  if (start.player.skipped === 0 || hidden === undefined || !hidden.includes(1)) return start;
  await start.records.return?.(undefined);
  return replay(open, until, keyframe, width, height, undefined);
}

/** Which bitmaps between the keyframe and `until` are painted over before `until`. */
async function overdrawn(records: AsyncIterator<TimedRecord>, until: number, keyframe: number, width: number, height: number): Promise<Uint8Array | undefined> {
  const overdraw = new Overdraw(width, height);
  try {
    for (let next = await records.next(); !next.done && next.value.t <= until; next = await records.next()) {
      const { t, record: r } = next.value;
      if (t < keyframe) continue;
      if (r.type === RecordType.Bitmap) overdraw.paint(r.x, r.y, r.x + Math.min(r.destW, r.width), r.y + Math.min(r.destH, r.height));
      else if (r.type === RecordType.DesktopSize || r.type === RecordType.Keyframe) overdraw.barrier();
    }
  } finally {
    await records.return?.(undefined);
  }
  return overdraw.hidden();
}

async function replay(open: OpenRecords, until: number, keyframe: number, width: number, height: number, hidden: Uint8Array | undefined): Promise<PartStart> {
  const player = new ScreenPlayer(width, height);
  const records = open();
  let bitmap = 0;
  let next: IteratorResult<TimedRecord>;
  try {
    next = await records.next();
    while (!next.done && next.value.t <= until) {
      const { t, record } = next.value;
      if (t >= keyframe) {
        const isBitmap = record.type === RecordType.Bitmap;
        if (!(isBitmap && hidden?.[bitmap] === 1)) player.apply(record);
        if (isBitmap) bitmap++;
      } else if (keptBeforeKeyframe(record)) player.apply(record);
      next = await records.next();
    }
  } catch (err) {
    await records.return?.(undefined);
    throw err;
  }
  return { player, records, next };
}
